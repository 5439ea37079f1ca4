"""Timetable rules: overdue, forecast propagation through dependencies, cycles, next milestone."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tortoise.expressions import Q

from server.domain.models import MilestoneStatus
from server.domain.rawsql import fetch
from server.domain.rows import fetch_rows
from server.domain.rows.plans import MilestoneRow

# The calendar the domain plans in: dates outside it are refused where they come in, so the
# arithmetic on them (overdue days, forecasts, filters) stays far from the calendar's ends.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)
# Longest lag between a milestone and its successor, and the deepest "days overdue" filter.
MAX_LAG_DAYS = 3660
MAX_DAYS_OVERDUE = 36_500
# Ids are 32-bit integer columns: a larger number names no row, and the database would refuse it.
MAX_ID = 2**31 - 1


def in_calendar(day: dt.date) -> bool:
    """True when `day` lies between EARLIEST_DATE and LATEST_DATE."""
    return EARLIEST_DATE <= day <= LATEST_DATE


def in_calendar_year(year: int) -> bool:
    """True when `year` is one of the calendar's years."""
    return EARLIEST_DATE.year <= year <= LATEST_DATE.year


def add_days(day: dt.date, days: int) -> dt.date:
    """`day` plus `days`, held at the last representable day rather than overflowing."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


def days_overdue(status: MilestoneStatus, planned: dt.date, today: dt.date) -> int:
    """Days an open milestone is past its planned date (0 when done or not yet due)."""
    if status != MilestoneStatus.PENDING or planned >= today:
        return 0
    return (today - planned).days


def is_overdue(status: MilestoneStatus, planned: dt.date, today: dt.date) -> bool:
    """True for an open milestone planned before today."""
    return days_overdue(status, planned, today) > 0


def overdue_q(today: dt.date, min_days: int = 1) -> Q:
    """A filter the database applies: open milestones at least `min_days` past their date."""
    latest = today - dt.timedelta(days=max(min_days, 1))
    return Q(status=MilestoneStatus.PENDING, planned_date__lte=latest)


@dataclass(frozen=True)
class Link:
    """A dependency: `successor` may not finish before `predecessor` + `lag_days`."""

    predecessor: int
    successor: int
    lag_days: int = 0


def would_close_cycle(links: Iterable[Link], predecessor: int, successor: int) -> bool:
    """True when adding predecessor -> successor makes a cycle (including a self-loop)."""
    if predecessor == successor:
        return True
    successors: dict[int, list[int]] = defaultdict(list)
    for link in links:
        successors[link.predecessor].append(link.successor)
    # A cycle appears when the predecessor is already reachable from the successor.
    seen: set[int] = set()
    stack = [successor]
    while stack:
        node = stack.pop()
        if node == predecessor:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(successors[node])
    return False


def forecast_dates(
    milestones: Sequence[MilestoneRow], links: Iterable[Link], today: dt.date
) -> dict[int, dt.date]:
    """The forecast date of each milestone.

    A done milestone's forecast is its actual date. An open one's is the latest of its planned
    date and, for each predecessor p, effective(p) + lag, where effective(p) is p's actual date
    when done and otherwise the later of p's forecast and today: an overdue predecessor pushes
    its successors. Links to milestones outside `milestones` are ignored.
    """
    by_id = {m.id: m for m in milestones}
    preds: dict[int, list[Link]] = defaultdict(list)
    indegree = dict.fromkeys(by_id, 0)
    succs: dict[int, list[int]] = defaultdict(list)
    for link in links:
        if link.predecessor in by_id and link.successor in by_id:
            preds[link.successor].append(link)
            succs[link.predecessor].append(link.successor)
            indegree[link.successor] += 1
    ready = [mid for mid, degree in indegree.items() if degree == 0]
    forecast: dict[int, dt.date] = {}
    while ready:
        mid = ready.pop()
        forecast[mid] = _forecast_one(by_id[mid], preds[mid], by_id, forecast, today)
        for nxt in succs[mid]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    for mid, milestone in by_id.items():  # only reached for cycles, which are refused on entry
        forecast.setdefault(mid, milestone.actual_date or milestone.planned_date)
    return forecast


def _forecast_one(
    milestone: MilestoneRow,
    links: Sequence[Link],
    by_id: Mapping[int, MilestoneRow],
    forecast: Mapping[int, dt.date],
    today: dt.date,
) -> dt.date:
    if milestone.status == MilestoneStatus.DONE and milestone.actual_date is not None:
        return milestone.actual_date
    best = milestone.planned_date
    for link in links:
        pred = by_id[link.predecessor]
        if pred.status == MilestoneStatus.DONE and pred.actual_date is not None:
            effective = pred.actual_date
        else:
            effective = max(forecast[pred.id], today)
        best = max(best, add_days(effective, link.lag_days))
    return best


@dataclass
class ProjectSchedule:
    """A project's milestones (by planned date) with their links and forecasts."""

    milestones: list[MilestoneRow]
    links: list[Link]
    forecast: dict[int, dt.date] = field(default_factory=dict)

    def predecessors(self, milestone_id: int) -> list[MilestoneRow]:
        """The milestones this one depends on, in timetable order."""
        ids = {link.predecessor for link in self.links if link.successor == milestone_id}
        return [m for m in self.milestones if m.id in ids]

    def next_milestone(self) -> MilestoneRow | None:
        """The open milestone with the earliest forecast (ties: planned date, then id)."""
        open_ones = [m for m in self.milestones if m.status == MilestoneStatus.PENDING]
        if not open_ones:
            return None
        return min(open_ones, key=lambda m: (self.forecast[m.id], m.planned_date, m.id))

    def forecast_finish(self, planned_finish: dt.date | None) -> dt.date | None:
        """The planned finish pushed by the latest milestone forecast."""
        dates = list(self.forecast.values())
        if planned_finish is not None:
            dates.append(planned_finish)
        return max(dates) if dates else None


# Selected by the successor's milestone id so the database walks the successor index: joining
# the link table to milestone made SQLite scan all links, and the projects' milestone ids as
# parameters were slower on PostgreSQL.
_LINKS_SQL = (
    "SELECT predecessor_id, successor_id, lag_days FROM milestone_dependency"
    " WHERE successor_id IN (SELECT id FROM milestone"
    " WHERE project_id IN (:project_ids))"
)


async def load_schedules(project_ids: Sequence[int], today: dt.date) -> list[ProjectSchedule]:
    """The schedules of these projects, in their order, in two statements.

    Both statements are written out (the query builder cost more CPU than running them);
    the milestones come back as plain rows.
    """
    if not project_ids:
        return []
    params = {"project_ids": list(project_ids)}
    milestones = await fetch_rows(
        MilestoneRow,
        f"SELECT {MilestoneRow.select_list('m')} FROM milestone m"
        " WHERE m.project_id IN (:project_ids) ORDER BY m.planned_date, m.id",
        params,
    )
    rows = [
        (row["predecessor_id"], row["successor_id"], row["lag_days"])
        for row in await fetch(_LINKS_SQL, params)
    ]
    by_project: dict[int, list[MilestoneRow]] = defaultdict(list)
    for milestone in milestones:
        by_project[milestone.project_id].append(milestone)
    project_of = {m.id: m.project_id for m in milestones}
    links_by_project: dict[int, list[Link]] = defaultdict(list)
    for predecessor, successor, lag in rows:
        links_by_project[project_of[successor]].append(Link(predecessor, successor, lag))
    schedules = []
    for pid in project_ids:
        schedule = ProjectSchedule(by_project[pid], links_by_project[pid])
        schedule.forecast = forecast_dates(schedule.milestones, schedule.links, today)
        schedules.append(schedule)
    return schedules
