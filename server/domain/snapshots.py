"""Writing the board history: each project's line of the board as it stood at the end of a day.

A line is computed from what the database remembers of the day, in a fixed number of
set-based statements per day (never one per project):

- the project is on the board from the zone-calendar day it was created; days before it are
  reported as not reconstructable and nothing is written for them;
- a milestone counts as done on the day only when it is DONE with an actual date on or before
  the day (completed later: still open then); its planned date on the day is the `old_date`
  of the first re-baseline recorded after the day ended, else today's planned date, so a
  re-plan made later does not rewrite the past;
- a ticket is open on the day when it was filed before the day ended and the last step of its
  history before then (`ticket_event`) left it in an open status (closed, confirmed, rejected
  or resolved tickets are not open; a reopened one is again);
- health follows the rules of `server.domain.health` (`classify`) with the cutoffs of the day
  (`Cutoffs.of(day, settings)`), from those facts;
- the execution index is completed over targeted investment of the newest revision of the
  task sheet of the day's year issued before the day ended; the on-site rate is the day's
  daily report's (null when none was filed or no worker was needed).

What the database does not keep a history of is taken as it is today: a project's status
(a COMPLETED project shows BLUE on earlier days: such lines are reported as approximate),
ticket severities and a task sheet revision's investment figures.

Idempotent per day: a line already written for a project and day is left exactly as it is,
whether written on its day or backfilled (the history it was computed from does not change,
and the line written on its day is the better witness); only missing lines are added. Two
writers at once cannot write a line twice: the table's unique (project, date) constraint
drops the second.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from server.domain.clock import zone_today
from server.domain.health import Cutoffs, Health, classify
from server.domain.models import (
    OPEN_STATUSES,
    BoardSnapshot,
    MilestoneStatus,
    ProjectStatus,
    Severity,
    ShortageKind,
    TicketStatus,
)
from server.domain.rawsql import fetch
from server.settings import Settings

MAX_RANGE_DAYS = 366
"""Most days one backfill may cover."""
INDEX_PLACES = decimal.Decimal("0.0001")
NOT_YET = "the project did not exist yet"
STATUS_TODAY = "approximate: the project is COMPLETED today and its status has no history"


@dataclass(frozen=True)
class Gap:
    """Days of a project that were not written, or written as an approximation, and why."""

    project_id: int
    project_code: str
    first: dt.date
    last: dt.date
    reason: str


@dataclass
class SnapshotReport:
    """What a snapshot run wrote and what it could not reconstruct."""

    written: dict[dt.date, int] = field(default_factory=dict)
    """Lines written per day (days already complete are listed with 0)."""
    kept: int = 0
    """Lines that existed already and were left as they were."""
    gaps: list[Gap] = field(default_factory=list)
    """Projects and days not reconstructable (nothing written) or written as approximations."""

    @property
    def total_written(self) -> int:
        """All lines written by the run."""
        return sum(self.written.values())


@dataclass(frozen=True)
class _Line:
    """The facts of one project's line, before it is written."""

    health: Health
    overdue: int
    worst_days: int
    open_labour: int
    open_material: int
    execution_index: decimal.Decimal | None
    on_site_rate: float | None


def end_of_day(day: dt.date, settings: Settings) -> dt.datetime:
    """The instant the zone-calendar `day` ends (midnight of the next day there), in UTC."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), settings.zone)
    return midnight.astimezone(dt.UTC)


def _day(value: Any) -> dt.date | None:
    """A date as the driver returns it (SQLite: ISO text)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


async def _projects(end: dt.datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(projects created before `end`, projects created after it), one statement."""
    rows = await fetch(
        "SELECT p.id AS id, p.code AS code, p.status AS status,"
        " CASE WHEN p.created_at < :end THEN 1 ELSE 0 END AS existed"
        " FROM project p ORDER BY p.code",
        {"end": end},
    )
    existed = [row for row in rows if int(row["existed"])]
    return existed, [row for row in rows if not int(row["existed"])]


async def _milestone_facts(day: dt.date, end: dt.datetime) -> dict[int, dict[str, Any]]:
    """Per project, its milestones as they stood on `day`: count, overdue count, the earliest
    overdue planned date, how many were not done on time, and how many were more than each
    cutoff late — one statement."""
    rows = await fetch(
        "SELECT project_id, COUNT(*) AS milestones,"
        " SUM(CASE WHEN done = 0 AND planned < :day THEN 1 ELSE 0 END) AS overdue,"
        " MIN(CASE WHEN done = 0 AND planned < :day THEN planned END) AS worst_planned,"
        " SUM(CASE WHEN done = 1 AND actual_date <= planned THEN 0 ELSE 1 END) AS not_on_time"
        " FROM (SELECT m.project_id AS project_id, m.actual_date AS actual_date,"
        "  COALESCE((SELECT r.old_date FROM rebaseline r WHERE r.milestone_id = m.id"
        "   AND r.at >= :end ORDER BY r.at, r.id LIMIT 1), m.planned_date) AS planned,"
        "  CASE WHEN m.status = :done AND m.actual_date <= :day THEN 1 ELSE 0 END AS done"
        "  FROM milestone m) AS on_day"
        " GROUP BY project_id",
        {"day": day, "end": end, "done": MilestoneStatus.DONE.value},
    )
    return {row["project_id"]: row for row in rows}


async def _ticket_facts(end: dt.datetime) -> dict[int, dict[str, Any]]:
    """Per project, the tickets open when `end` came: by kind, and whether a CRITICAL or HIGH
    one was among them — one statement over the tickets' histories."""
    rows = await fetch(
        "SELECT project_id,"
        " SUM(CASE WHEN kind = :labour THEN 1 ELSE 0 END) AS labour,"
        " SUM(CASE WHEN kind = :material THEN 1 ELSE 0 END) AS material,"
        " SUM(CASE WHEN severity = :critical THEN 1 ELSE 0 END) AS critical,"
        " SUM(CASE WHEN severity = :high THEN 1 ELSE 0 END) AS high"
        " FROM (SELECT t.project_id AS project_id, t.kind AS kind, t.severity AS severity,"
        "  COALESCE((SELECT e.to_status FROM ticket_event e WHERE e.ticket_id = t.id"
        "   AND e.at < :end ORDER BY e.at DESC, e.id DESC LIMIT 1), :opened) AS status"
        "  FROM shortage_ticket t WHERE t.created_at < :end) AS on_day"
        " WHERE status IN (:open_statuses)"
        " GROUP BY project_id",
        {
            "end": end,
            "labour": ShortageKind.LABOUR.value,
            "material": ShortageKind.MATERIAL.value,
            "critical": Severity.CRITICAL.value,
            "high": Severity.HIGH.value,
            "opened": TicketStatus.OPEN.value,
            "open_statuses": [status.value for status in OPEN_STATUSES],
        },
    )
    return {row["project_id"]: row for row in rows}


async def _execution_indexes(day: dt.date, end: dt.datetime) -> dict[int, decimal.Decimal]:
    """Completed over targeted investment of the newest revision, issued before `end`, of
    each project's task sheet for the day's year (only sheets with a target) — one statement."""
    rows = await fetch(
        "SELECT ts.project_id AS project_id, ts.completed_investment AS completed,"
        " ts.annual_investment_target AS target FROM task_sheet ts"
        " WHERE ts.year = :year AND ts.created_at < :end AND ts.annual_investment_target > 0"
        " AND ts.revision = (SELECT MAX(t2.revision) FROM task_sheet t2"
        "  WHERE t2.project_id = ts.project_id AND t2.year = ts.year AND t2.created_at < :end)",
        {"year": day.year, "end": end},
    )
    found = {}
    for row in rows:
        completed = decimal.Decimal(str(row["completed"] or 0))
        target = decimal.Decimal(str(row["target"]))
        found[row["project_id"]] = (completed / target).quantize(INDEX_PLACES)
    return found


async def _on_site_rates(day: dt.date) -> dict[int, float]:
    """The on-site rate (到岗率) of each daily report of `day` that needed workers."""
    rows = await fetch(
        "SELECT project_id, workers_on_site, workers_needed FROM daily_report"
        " WHERE date = :day AND workers_needed > 0",
        {"day": day},
    )
    return {
        row["project_id"]: int(row["workers_on_site"]) / int(row["workers_needed"]) for row in rows
    }


async def _written(day: dt.date) -> set[int]:
    """The projects whose line of `day` is written already."""
    rows = await fetch("SELECT project_id FROM board_snapshot WHERE date = :day", {"day": day})
    return {row["project_id"] for row in rows}


def _line(
    project: dict[str, Any],
    milestones: dict[str, Any] | None,
    tickets: dict[str, Any] | None,
    cutoffs: Cutoffs,
    settings: Settings,
) -> tuple[int, int, Health]:
    """(overdue count, worst days overdue, health) of a project from its facts of the day."""
    count = int(milestones["milestones"]) if milestones else 0
    overdue = int(milestones["overdue"] or 0) if milestones else 0
    worst_planned = _day(milestones["worst_planned"]) if milestones else None
    worst = (cutoffs.today - worst_planned).days if worst_planned else 0
    severities = []
    if tickets and int(tickets["critical"] or 0):
        severities.append(Severity.CRITICAL)
    if tickets and int(tickets["high"] or 0):
        severities.append(Severity.HIGH)
    colour = classify(
        completed=project["status"] == ProjectStatus.COMPLETED.value,
        max_days_overdue=worst,
        open_ticket_severities=severities,
        milestone_count=count,
        all_done_on_time=bool(milestones) and int(milestones["not_on_time"] or 0) == 0,
        settings=settings,
    )
    return overdue, worst, colour


async def snapshot_board(
    day: dt.date,
    settings: Settings,
    *,
    backfill: bool = True,
    today: dt.date | None = None,
) -> SnapshotReport:
    """Write the missing lines of the board for `day` (a day that has ended), one per project
    that existed by then; lines already written are kept as they are.

    `backfill` marks the lines written as computed from history after their day (the
    scheduler, writing the day that just ended, passes False). Raises ValueError for a day
    that has not ended (`today` defaults to the zone's today).
    """
    today = today or zone_today(settings.zone)
    if day >= today:
        raise ValueError(f"{day.isoformat()} has not ended yet: only past days are written.")
    end = end_of_day(day, settings)
    report = SnapshotReport(written={day: 0})
    existed, later = await _projects(end)
    report.gaps.extend(Gap(p["id"], p["code"], day, day, NOT_YET) for p in later)
    done = await _written(day)
    report.kept = len(done & {p["id"] for p in existed})
    missing = [p for p in existed if p["id"] not in done]
    if not missing:
        return report
    cutoffs = Cutoffs.of(day, settings)
    milestones = await _milestone_facts(day, end)
    tickets = await _ticket_facts(end)
    indexes = await _execution_indexes(day, end)
    rates = await _on_site_rates(day)
    lines = []
    for project in missing:
        pid = project["id"]
        overdue, worst, colour = _line(
            project, milestones.get(pid), tickets.get(pid), cutoffs, settings
        )
        if project["status"] == ProjectStatus.COMPLETED.value and backfill:
            report.gaps.append(Gap(pid, project["code"], day, day, STATUS_TODAY))
        counted = tickets.get(pid) or {}
        lines.append(
            BoardSnapshot(
                project_id=pid,
                date=day,
                health=colour.value,
                overdue_milestones=overdue,
                worst_days_overdue=worst,
                open_labour_tickets=int(counted.get("labour") or 0),
                open_material_tickets=int(counted.get("material") or 0),
                execution_index=indexes.get(pid),
                on_site_rate=rates.get(pid),
                backfilled=backfill,
            )
        )
    await BoardSnapshot.bulk_create(lines, ignore_conflicts=True)
    report.written[day] = len(await _written(day)) - len(done)
    return report


def _merged(gaps: Iterable[Gap]) -> list[Gap]:
    """Gaps of consecutive days of one project and reason merged into one, by project code."""
    merged: dict[tuple[int, str], list[Gap]] = defaultdict(list)
    for gap in sorted(gaps, key=lambda g: (g.project_code, g.reason, g.first)):
        runs = merged[(gap.project_id, gap.reason)]
        if runs and runs[-1].last + dt.timedelta(days=1) >= gap.first:
            last = runs[-1]
            runs[-1] = Gap(last.project_id, last.project_code, last.first, gap.last, gap.reason)
        else:
            runs.append(gap)
    return [gap for runs in merged.values() for gap in runs]


async def snapshot_range(
    start: dt.date, end: dt.date, settings: Settings, *, today: dt.date | None = None
) -> SnapshotReport:
    """Fill the missing lines of every day from `start` to `end` (both included) from history.

    Lines of the day before `today` (the day that just ended) are not marked backfilled; older
    ones are. Days before a project existed are reported, per project, as one gap. Raises
    ValueError for an empty or too long range, or one reaching today or later.
    """
    today = today or zone_today(settings.zone)
    if end < start:
        raise ValueError("the range ends before it starts.")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ValueError(f"a range may cover at most {MAX_RANGE_DAYS} days.")
    if end >= today:
        raise ValueError(f"{end.isoformat()} has not ended yet: only past days are written.")
    report = SnapshotReport()
    gaps: list[Gap] = []
    day = start
    while day <= end:
        one = await snapshot_board(
            day, settings, backfill=day < today - dt.timedelta(days=1), today=today
        )
        report.written.update(one.written)
        report.kept += one.kept
        gaps.extend(one.gaps)
        day += dt.timedelta(days=1)
    report.gaps = _merged(gaps)
    return report
