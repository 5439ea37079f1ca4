"""Reading the board history: colours over time and the board as it stood on a past day, from
the daily snapshots (`server.domain.snapshots` writes them).

A past day answers only from its snapshots: a project without a line that day (it did not
exist yet, or the day was never written nor backfilled) is not on that day's board, and a day
with no lines at all gives an empty board (zero counts), never a guess from today's data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from tortoise.expressions import RawSQL

from server.domain.access import ProjectScope
from server.domain.health import WORST_FIRST, Health
from server.domain.rawsql import fetch
from server.domain.rows import fetch_rows
from server.domain.rows.board import SnapshotRow
from server.domain.rows.plans import ProjectRow
from server.domain.stats import HealthCount, ProgrammeStats

MAX_HISTORY_DAYS = 366
"""Most days one health history may span."""


@dataclass(frozen=True, slots=True)
class ProjectOnDate(ProjectRow):
    """A project as the board of the past day `as_of` shows it: its fields that have a history
    (health) answer from that day's snapshot."""

    as_of: dt.date

    @classmethod
    def of_row(cls, row: ProjectRow, as_of: dt.date) -> ProjectOnDate:
        """`row` seen on the board of `as_of`."""
        values = {f.name: getattr(row, f.name) for f in fields(ProjectRow)}
        return cls(**values, as_of=as_of)


def check_past_day(day: dt.date, today: dt.date) -> None:
    """ValueError when `day` is after `today`: the board of a day to come is not known."""
    if day > today:
        raise ValueError(f"{day.isoformat()} is in the future: the board is known up to today.")


def check_range(start: dt.date, end: dt.date) -> None:
    """ValueError for a range that ends before it starts or spans more than a year."""
    if end < start:
        raise ValueError("`to` is before `from`.")
    if (end - start).days + 1 > MAX_HISTORY_DAYS:
        raise ValueError(f"a history may span at most {MAX_HISTORY_DAYS} days.")


async def snapshots_between(
    project_ids: Sequence[int], start: dt.date, end: dt.date
) -> list[SnapshotRow]:
    """The snapshots of these projects from `start` to `end`, by project and date (one
    statement)."""
    if not project_ids:
        return []
    return await fetch_rows(
        SnapshotRow,
        f"SELECT {SnapshotRow.select_list('s')} FROM board_snapshot s"
        " WHERE s.project_id IN (:ids) AND s.date >= :start AND s.date <= :end"
        " ORDER BY s.project_id, s.date",
        {"ids": list(project_ids), "start": start, "end": end},
    )


async def health_on(keys: Iterable[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], Health]:
    """The recorded colour of each (project, day) that has a snapshot, one statement per day."""
    by_day: dict[dt.date, list[int]] = {}
    for project_id, day in keys:
        by_day.setdefault(day, []).append(project_id)
    found = {}
    for day, ids in by_day.items():
        rows = await fetch(
            "SELECT project_id, health FROM board_snapshot"
            " WHERE date = :day AND project_id IN (:ids)",
            {"day": day, "ids": ids},
        )
        found.update({(row["project_id"], day): Health(row["health"]) for row in rows})
    return found


async def ids_on_board(day: dt.date, healths: Iterable[Health] | None = None) -> list[int]:
    """The projects with a snapshot of `day` (with one of `healths`, when given)."""
    params: dict[str, Any] = {"day": day}
    wanted = ""
    if healths is not None:
        params["wanted"] = [Health(h).value for h in healths]
        if not params["wanted"]:
            return []
        wanted = " AND health IN (:wanted)"
    rows = await fetch(f"SELECT project_id FROM board_snapshot WHERE date = :day{wanted}", params)
    return [row["project_id"] for row in rows]


def snapshot_rank(day: dt.date) -> RawSQL:
    """An ORM annotation: 0 for RED up to 4 for BLUE as the project's snapshot of `day` has it,
    for ordering the board of that day worst first."""
    ranks = " ".join(f"WHEN '{h.value}' THEN {i}" for i, h in enumerate(WORST_FIRST))
    recorded = (
        'SELECT s.health FROM board_snapshot s WHERE s.project_id = "project".id'
        f" AND s.date = '{day.isoformat()}'"
    )
    return RawSQL(f"CASE ({recorded}) {ranks} ELSE {len(WORST_FIRST)} END")


async def programme_stats_on(
    programme_ids: Sequence[int], day: dt.date, scope: ProjectScope
) -> list[ProgrammeStats]:
    """The figures of each programme as its projects' snapshots of `day` recorded them, over
    the projects in `scope`, in the given order (one statement)."""
    if not programme_ids:
        return []
    params: dict[str, Any] = {"programmes": list(programme_ids), "day": day}
    visible = scope.sql("s.project_id", params)
    rows = await fetch(
        "SELECT pp.programme_id AS programme_id, s.health AS health, COUNT(*) AS n,"
        " SUM(s.overdue_milestones) AS overdue,"
        " SUM(s.open_labour_tickets + s.open_material_tickets) AS tickets"
        " FROM board_snapshot s JOIN project_programme pp ON pp.project_id = s.project_id"
        f" WHERE pp.programme_id IN (:programmes) AND s.date = :day{visible}"
        " GROUP BY pp.programme_id, s.health",
        params,
    )
    colours: dict[int, dict[Health, int]] = {pid: {} for pid in programme_ids}
    totals: dict[int, list[int]] = {pid: [0, 0] for pid in programme_ids}
    for row in rows:
        colours[row["programme_id"]][Health(row["health"])] = int(row["n"])
        totals[row["programme_id"]][0] += int(row["overdue"] or 0)
        totals[row["programme_id"]][1] += int(row["tickets"] or 0)
    return [
        ProgrammeStats(
            programme_id=pid,
            project_count=sum(colours[pid].values()),
            overdue_milestone_count=totals[pid][0],
            open_ticket_count=totals[pid][1],
            health_counts=[HealthCount(c, colours[pid].get(c, 0)) for c in Health],
        )
        for pid in programme_ids
    ]
