"""What the scale seed's row builders share: the random source, the tables, the ids so far."""

from __future__ import annotations

import datetime as dt
import random

from server.demo.scale.tables import Table
from server.domain import models
from server.domain.clock import utc_now


class Zone:
    """The zone being built: `projects` projects, drawn reproducibly from `seed`.

    Each builder adds its tables and records the ids later builders refer to (users by role,
    projects' spans and managers, milestones per project, overdue milestones).
    """

    def __init__(self, projects: int, today: dt.date, password_hash: str, seed: int = 1) -> None:
        self.project_count = projects
        self.today = today
        self.password_hash = password_hash
        self.rng = random.Random(seed)
        self.now = utc_now()
        self.tables: dict[str, Table] = {}
        self.years = tuple(range(today.year - 5, today.year + 1))
        self.programme_ids: dict[tuple[str, int], int] = {}
        self.office: list[int] = []
        self.supervisors: list[int] = []
        self.coordinators: list[int] = []
        self.site_managers: list[int] = []
        self.busy_site_manager = 0
        self.project_years: dict[int, int] = {}
        self.project_spans: dict[int, tuple[dt.date, dt.date, models.ProjectStatus]] = {}
        self.managers_of: dict[int, list[int]] = {}
        self.milestones_of: dict[int, list[int]] = {}
        self.overdue: list[tuple[int, int, dt.date]] = []

    def add(self, table: Table) -> Table:
        """Register a table; tables are written in the order they were added."""
        self.tables[table.name] = table
        return table

    def instant(self, day: dt.date) -> dt.datetime:
        """A random moment of `day` in working hours, in UTC."""
        hour = self.rng.randint(8, 18)
        minute = self.rng.randint(0, 59)
        return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)
