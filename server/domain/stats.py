"""Counts per programme, grouped by the database: overdue milestones and open tickets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from server.domain.models import OPEN_STATUSES, MilestoneStatus
from server.domain.rawsql import fetch


async def programme_counts(
    programme_ids: Sequence[int], today: dt.date, visible_to_manager: int | None = None
) -> dict[int, tuple[int, int]]:
    """(overdue milestones, open tickets) of each programme's projects, in two statements.

    `visible_to_manager` limits the count to the projects that site manager belongs to.
    """
    if not programme_ids:
        return {}
    params: dict[str, Any] = {
        "programmes": list(programme_ids),
        "today": today,
        "pending": MilestoneStatus.PENDING.value,
        "open_statuses": [status.value for status in OPEN_STATUSES],
    }
    scope = ""
    if visible_to_manager is not None:
        scope = (
            " AND pp.project_id IN"
            " (SELECT project_id FROM project_site_manager WHERE user_id = :uid)"
        )
        params["uid"] = visible_to_manager
    overdue = await fetch(
        "SELECT pp.programme_id AS programme_id, COUNT(*) AS n"
        " FROM milestone m JOIN project_programme pp ON pp.project_id = m.project_id"
        f" WHERE pp.programme_id IN (:programmes){scope}"
        " AND m.status = :pending AND m.planned_date < :today"
        " GROUP BY pp.programme_id",
        params,
    )
    tickets = await fetch(
        "SELECT pp.programme_id AS programme_id, COUNT(*) AS n"
        " FROM shortage_ticket t JOIN project_programme pp ON pp.project_id = t.project_id"
        f" WHERE pp.programme_id IN (:programmes){scope}"
        " AND t.status IN (:open_statuses)"
        " GROUP BY pp.programme_id",
        params,
    )
    overdue_by = {row["programme_id"]: int(row["n"]) for row in overdue}
    tickets_by = {row["programme_id"]: int(row["n"]) for row in tickets}
    return {pid: (overdue_by.get(pid, 0), tickets_by.get(pid, 0)) for pid in programme_ids}
