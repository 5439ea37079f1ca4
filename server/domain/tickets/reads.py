"""Reading tickets: which are overdue, the conditions of a ticket list, the visible tickets of
many projects as rows, open counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tortoise.queryset import QuerySet

from server.domain.access import visible_tickets
from server.domain.models import (
    OPEN_STATUSES,
    Severity,
    ShortageKind,
    ShortageTicket,
    TicketStatus,
    User,
)
from server.domain.rawsql import fetch
from server.domain.rows import queryset_rows
from server.domain.rows.tickets import TicketRow


def is_overdue(ticket: TicketRow, today: dt.date) -> bool:
    """Not resolved, closed or rejected, and needed before today."""
    return (
        ticket.status in OPEN_STATUSES and ticket.needed_by is not None and ticket.needed_by < today
    )


@dataclass(frozen=True)
class TicketQuery:
    """The conditions of a ticket list (TicketFilter); None or False means any."""

    kind: ShortageKind | None = None
    statuses: tuple[TicketStatus, ...] | None = None
    severities: tuple[Severity, ...] | None = None
    project_ids: tuple[int, ...] | None = None
    assigned_to_me: bool = False
    overdue_only: bool = False


def filter_tickets(
    tickets: QuerySet[ShortageTicket], query: TicketQuery, user: User, today: dt.date
) -> QuerySet[ShortageTicket]:
    """`tickets` narrowed by `query` (for `user`, as of `today`), newest first.

    A statement still to run: page it, or read it as rows (`queryset_rows(TicketRow, …)`).
    """
    if query.kind is not None:
        tickets = tickets.filter(kind=query.kind)
    if query.statuses is not None:
        tickets = tickets.filter(status__in=list(query.statuses))
    if query.severities is not None:
        tickets = tickets.filter(severity__in=list(query.severities))
    if query.project_ids is not None:
        tickets = tickets.filter(project_id__in=list(query.project_ids))
    if query.assigned_to_me:
        tickets = tickets.filter(assignee_id=user.id)
    if query.overdue_only:
        tickets = tickets.filter(status__in=list(OPEN_STATUSES), needed_by__lt=today)
    return tickets.order_by("-created_at", "-id")


async def tickets_of_projects(
    user: User, project_ids: Iterable[int], query: TicketQuery, today: dt.date
) -> dict[int, list[TicketRow]]:
    """The tickets of these projects that `user` may see and `query` selects, newest first,
    grouped by project, in one statement. Projects without such tickets are absent."""
    project_ids = sorted(set(project_ids))
    if not project_ids:
        return {}
    found = filter_tickets(
        visible_tickets(user).filter(project_id__in=project_ids), query, user, today
    )
    grouped: dict[int, list[TicketRow]] = {}
    for ticket in await queryset_rows(TicketRow, found):
        grouped.setdefault(ticket.project_id, []).append(ticket)
    return grouped


async def open_ticket_counts(project_ids: Sequence[int]) -> dict[int, int]:
    """How many open (not yet resolved or rejected) tickets each project has, in one query."""
    if not project_ids:
        return {}
    rows = await fetch(
        "SELECT project_id, COUNT(*) AS open_count FROM shortage_ticket"
        " WHERE project_id IN (:project_ids) AND status IN (:open_statuses) GROUP BY project_id",
        {"project_ids": list(project_ids), "open_statuses": [s.value for s in OPEN_STATUSES]},
    )
    return {row["project_id"]: int(row["open_count"]) for row in rows}
