"""Rows of the plans: programmes, projects, task sheets and items, phases, milestones and
re-baselines (the tables of `server.domain.models.plans`)."""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import Annotated, ClassVar

from server.domain.models.plans import MilestoneStatus, ProjectStatus
from server.domain.rows import Row, Scale

Money = Annotated[decimal.Decimal, Scale(2)]
"""An amount in 万元 (ten thousand yuan), two places after the point."""


@dataclass(frozen=True, slots=True)
class ProgrammeRow(Row):
    """A numbered programme of one year (1090, 1050, …)."""

    TABLE: ClassVar[str] = "programme"
    id: int
    code: str
    name: str
    year: int


@dataclass(frozen=True, slots=True)
class ProjectRow(Row):
    """A project as the read side sees it: every column but the bookkeeping instants."""

    TABLE: ClassVar[str] = "project"
    id: int
    code: str
    name: str
    responsible_unit: str
    lead_official: str | None
    town: str | None
    latitude: float | None
    longitude: float | None
    site_radius_meters: int | None
    total_investment: Money | None
    status: ProjectStatus
    planned_start: dt.date | None
    planned_finish: dt.date | None


@dataclass(frozen=True, slots=True)
class TaskSheetRow(Row):
    """One revision of a project's task sheet (任务书) for a year."""

    TABLE: ClassVar[str] = "task_sheet"
    id: int
    project_id: int
    year: int
    revision: int
    scope: str | None
    annual_investment_target: Money | None
    completed_investment: Money | None
    approved_at: dt.datetime | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TaskItemRow(Row):
    """One line of a task sheet."""

    TABLE: ClassVar[str] = "task_item"
    id: int
    sheet_id: int
    position: int
    title: str
    responsible_unit: str | None
    responsible_person: str | None
    due_date: dt.date | None
    done: bool


@dataclass(frozen=True, slots=True)
class PhaseRow(Row):
    """A phase of a project's roadmap (路线图)."""

    TABLE: ClassVar[str] = "phase"
    id: int
    project_id: int
    name: str
    sequence: int
    planned_start: dt.date | None
    planned_finish: dt.date | None


@dataclass(frozen=True, slots=True)
class MilestoneRow(Row):
    """A dated point of a project's timetable (时间表)."""

    TABLE: ClassVar[str] = "milestone"
    id: int
    project_id: int
    phase_id: int | None
    title: str
    baseline_date: dt.date
    planned_date: dt.date
    actual_date: dt.date | None
    status: MilestoneStatus
    completion_note: str | None


@dataclass(frozen=True, slots=True)
class RebaselineRow(Row):
    """One move of a milestone's planned date."""

    TABLE: ClassVar[str] = "rebaseline"
    id: int
    milestone_id: int
    old_date: dt.date
    new_date: dt.date
    reason: str
    actor_id: int | None
    at: dt.datetime
