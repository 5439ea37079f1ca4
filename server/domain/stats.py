"""The figures of a programme, grouped by the database: projects per colour, overdue
milestones and open tickets, over the projects a viewer may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from server.domain.access import ProjectScope
from server.domain.health import Cutoffs, Health, health_counts_by_programme
from server.domain.models import OPEN_STATUSES, MilestoneStatus
from server.domain.rawsql import fetch


@dataclass(frozen=True)
class HealthCount:
    """How many projects have one colour."""

    health: Health
    count: int


@dataclass(frozen=True)
class ProgrammeStats:
    """The figures of one programme, over the projects of a scope."""

    programme_id: int
    project_count: int
    overdue_milestone_count: int
    open_ticket_count: int
    health_counts: list[HealthCount]
    """Every colour, BLUE to RED."""


async def programme_counts(
    programme_ids: Sequence[int], today: dt.date, scope: ProjectScope
) -> dict[int, tuple[int, int]]:
    """(overdue milestones, open tickets) of each programme's projects in `scope`, in two
    statements."""
    if not programme_ids:
        return {}
    params: dict[str, Any] = {
        "programmes": list(programme_ids),
        "today": today,
        "pending": MilestoneStatus.PENDING.value,
        "open_statuses": [status.value for status in OPEN_STATUSES],
    }
    visible = scope.sql("pp.project_id", params)
    overdue = await fetch(
        "SELECT pp.programme_id AS programme_id, COUNT(*) AS n"
        " FROM milestone m JOIN project_programme pp ON pp.project_id = m.project_id"
        f" WHERE pp.programme_id IN (:programmes){visible}"
        " AND m.status = :pending AND m.planned_date < :today"
        " GROUP BY pp.programme_id",
        params,
    )
    tickets = await fetch(
        "SELECT pp.programme_id AS programme_id, COUNT(*) AS n"
        " FROM shortage_ticket t JOIN project_programme pp ON pp.project_id = t.project_id"
        f" WHERE pp.programme_id IN (:programmes){visible}"
        " AND t.status IN (:open_statuses)"
        " GROUP BY pp.programme_id",
        params,
    )
    overdue_by = {row["programme_id"]: int(row["n"]) for row in overdue}
    tickets_by = {row["programme_id"]: int(row["n"]) for row in tickets}
    return {pid: (overdue_by.get(pid, 0), tickets_by.get(pid, 0)) for pid in programme_ids}


async def programme_stats(
    programme_ids: Sequence[int], cutoffs: Cutoffs, scope: ProjectScope
) -> list[ProgrammeStats]:
    """The figures of each programme, in the given order, in three statements; colours and
    overdue milestones as of `cutoffs.today`."""
    colours = await health_counts_by_programme(programme_ids, cutoffs, scope)
    counts = await programme_counts(programme_ids, cutoffs.today, scope)
    found = []
    for pid in programme_ids:
        by_colour = colours[pid]
        overdue, tickets = counts[pid]
        found.append(
            ProgrammeStats(
                programme_id=pid,
                project_count=sum(by_colour.values()),
                overdue_milestone_count=overdue,
                open_ticket_count=tickets,
                health_counts=[HealthCount(c, by_colour.get(c, 0)) for c in Health],
            )
        )
    return found
