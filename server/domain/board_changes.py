"""What changed on the board between two days, grouped for the weekly meeting (挂图作战).

For the projects a viewer may see (narrowed further by the caller, e.g. by a ProjectFilter)
and the zone-calendar days `start` to `end`, both included:

- colour changes: from the daily board snapshots. Each project's snapshots from the day
  before `start` to `end` are walked in date order; wherever one snapshot's colour differs
  from the previous snapshot's, the change is dated on the later snapshot's day. A change on
  `start` itself therefore counts (it is compared with the day before), and a missing day is
  bridged (compared with the last snapshot before it).
- newly overdue: milestones whose first overdue day (`planned_date` + 1) falls in the window
  and that were not completed on or before `planned_date` (still open, or done late). The
  milestone's current planned date is used: a milestone moved before it fell due is judged
  by its new date, and the move itself shows under re-baselined.
- completed: milestones done with an `actual_date` in the window.
- re-baselined: milestones with at least one re-baseline recorded in the window.
- tickets opened (created in the window), closed (an event into CLOSED or REJECTED, the
  workflow's terminal statuses, in the window) and reopened (a REOPEN event in the window).
  Coordinators see only the tickets handed to them (`access.visible_tickets`).
- supervision reviews issued (created in the window) and answered (responded in the window).

Instants are compared with the window's bounds in the zone's time zone: from midnight of
`start` to midnight after `end`. One statement per section, plain rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import ClassVar
from zoneinfo import ZoneInfo

from tortoise.expressions import F, Q, Subquery
from tortoise.queryset import QuerySet

from server.domain.access import project_scope, visible_tickets
from server.domain.errors import Refused
from server.domain.health import Health
from server.domain.models import (
    BoardSnapshot,
    Milestone,
    MilestoneStatus,
    Project,
    Rebaseline,
    SupervisionReview,
    TicketEvent,
    TicketStatus,
    User,
)
from server.domain.rows import Row, queryset_rows
from server.domain.rows.plans import MilestoneRow
from server.domain.rows.supervision import ReviewRow
from server.domain.rows.tickets import TicketRow
from server.domain.schedule import EARLIEST_DATE, LATEST_DATE

MAX_SPAN_DAYS = 366
"""Longest window one request covers, in days (both ends included)."""
CLOSING_STATUSES = (TicketStatus.CLOSED, TicketStatus.REJECTED)
"""The workflow's terminal statuses: an event into one of them closes a ticket."""
REOPEN_ACTION = "REOPEN"
"""The ticket event action that reopens a resolved ticket."""


@dataclass(frozen=True, slots=True)
class ColourChange:
    """A project's colour on the board changed on `date`, from `before` to `after`."""

    project_id: int
    date: dt.date
    before: Health
    after: Health


@dataclass(frozen=True)
class BoardChanges:
    """Every change of the window, one list per section of the meeting's sheet."""

    colour_changes: list[ColourChange]
    newly_overdue: list[MilestoneRow]
    completed: list[MilestoneRow]
    rebaselined: list[MilestoneRow]
    tickets_opened: list[TicketRow]
    tickets_closed: list[TicketRow]
    tickets_reopened: list[TicketRow]
    reviews_issued: list[ReviewRow]
    reviews_answered: list[ReviewRow]


@dataclass(frozen=True, slots=True)
class _SnapshotColour(Row):
    """A project's colour on one day, as the snapshot recorded it."""

    TABLE: ClassVar[str] = "board_snapshot"
    project_id: int
    date: dt.date
    health: Health


def check_window(start: dt.date, end: dt.date) -> None:
    """Refused INVALID (at `to` or `from`) for a window ending before it starts, longer than
    MAX_SPAN_DAYS, or outside the calendar the service keeps."""
    if start < EARLIEST_DATE or start > LATEST_DATE:
        raise Refused("INVALID", f"from must be from {EARLIEST_DATE} to {LATEST_DATE}.", "from")
    if end < EARLIEST_DATE or end > LATEST_DATE:
        raise Refused("INVALID", f"to must be from {EARLIEST_DATE} to {LATEST_DATE}.", "to")
    if end < start:
        raise Refused("INVALID", "to must not be before from.", "to")
    if (end - start).days + 1 > MAX_SPAN_DAYS:
        raise Refused("INVALID", f"The window may cover at most {MAX_SPAN_DAYS} days.", "to")


def _bounds(start: dt.date, end: dt.date, zone: ZoneInfo) -> dict[str, dt.datetime]:
    """Instant lookups for "from midnight of `start` to midnight after `end`" in the zone."""
    first = dt.datetime.combine(start, dt.time(), zone).astimezone(dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return {"gte": first, "lt": after}


def _within(field: str, bounds: dict[str, dt.datetime]) -> dict[str, dt.datetime]:
    """`field`'s lookups for the window's instants."""
    return {f"{field}__{op}": instant for op, instant in bounds.items()}


def _colour_changes(rows: list[_SnapshotColour]) -> list[ColourChange]:
    """The changes between consecutive snapshots of each project (rows by project, date),
    by date; within a day in the rows' project order."""
    changes = []
    for previous, current in itertools.pairwise(rows):
        if previous.project_id == current.project_id and previous.health != current.health:
            changes.append(
                ColourChange(current.project_id, current.date, previous.health, current.health)
            )
    return sorted(changes, key=lambda change: change.date)  # stable: project order kept


async def board_changes(
    user: User,
    start: dt.date,
    end: dt.date,
    zone: ZoneInfo,
    projects: QuerySet[Project] | None = None,
) -> BoardChanges:
    """What changed from `start` to `end` (zone dates, both included) on the projects of
    `projects` (every project when None) that `user` may see; tickets only those `user` may
    see. Refused INVALID for a window `check_window` refuses. One statement per section."""
    check_window(start, end)
    scope = project_scope(user)
    chosen = None
    if projects is not None or not scope.everything:
        considered = Project.all() if projects is None else projects
        chosen = Subquery(scope.filter(considered, "id").values("id"))

    def mine(queryset: QuerySet) -> QuerySet:
        return queryset if chosen is None else queryset.filter(project_id__in=chosen)

    bounds = _bounds(start, end, zone)
    snapshots = mine(
        BoardSnapshot.filter(date__gte=start - dt.timedelta(days=1), date__lte=end)
    ).order_by("project__code", "project_id", "date")
    overdue = mine(
        Milestone.filter(
            Q(status=MilestoneStatus.PENDING) | Q(actual_date__gt=F("planned_date")),
            planned_date__gte=start - dt.timedelta(days=1),
            planned_date__lte=end - dt.timedelta(days=1),
        )
    ).order_by("planned_date", "project__code", "id")
    completed = mine(
        Milestone.filter(status=MilestoneStatus.DONE, actual_date__gte=start, actual_date__lte=end)
    ).order_by("actual_date", "project__code", "id")
    moved = Rebaseline.filter(**_within("at", bounds)).values("milestone_id")
    rebaselined = mine(Milestone.filter(id__in=Subquery(moved))).order_by(
        "project__code", "planned_date", "id"
    )
    tickets = mine(visible_tickets(user))
    closing = TicketEvent.filter(to_status__in=CLOSING_STATUSES, **_within("at", bounds))
    reopening = TicketEvent.filter(action=REOPEN_ACTION, **_within("at", bounds))
    reviews = mine(SupervisionReview.all())
    return BoardChanges(
        colour_changes=_colour_changes(await queryset_rows(_SnapshotColour, snapshots)),
        newly_overdue=await queryset_rows(MilestoneRow, overdue),
        completed=await queryset_rows(MilestoneRow, completed),
        rebaselined=await queryset_rows(MilestoneRow, rebaselined),
        tickets_opened=await queryset_rows(
            TicketRow, tickets.filter(**_within("created_at", bounds)).order_by("created_at", "id")
        ),
        tickets_closed=await queryset_rows(
            TicketRow,
            tickets.filter(id__in=Subquery(closing.values("ticket_id"))).order_by("number"),
        ),
        tickets_reopened=await queryset_rows(
            TicketRow,
            tickets.filter(id__in=Subquery(reopening.values("ticket_id"))).order_by("number"),
        ),
        reviews_issued=await queryset_rows(
            ReviewRow,
            reviews.filter(**_within("created_at", bounds)).order_by("created_at", "id"),
        ),
        reviews_answered=await queryset_rows(
            ReviewRow,
            reviews.filter(**_within("responded_at", bounds)).order_by("responded_at", "id"),
        ),
    )
