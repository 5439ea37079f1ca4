"""Rows of the shortage tickets, their histories and the notifications they raise."""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import Annotated, ClassVar

from server.domain.models.tickets import Severity, ShortageKind, TicketStatus
from server.domain.rows import Row, Scale


@dataclass(frozen=True, slots=True)
class TicketRow(Row):
    """A labour- or material-shortage ticket."""

    TABLE: ClassVar[str] = "shortage_ticket"
    id: int
    number: str
    project_id: int
    kind: ShortageKind
    title: str
    description: str | None
    severity: Severity
    trade: str | None
    headcount: int | None
    material: str | None
    specification: str | None
    quantity: Annotated[decimal.Decimal, Scale(3)] | None
    unit: str | None
    needed_by: dt.date | None
    blocking_milestone_id: int | None
    daily_report_id: int | None
    status: TicketStatus
    reporter_id: int
    assignee_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    satisfaction: int | None
    version: int


@dataclass(frozen=True, slots=True)
class TicketEventRow(Row):
    """One step of a ticket's history."""

    TABLE: ClassVar[str] = "ticket_event"
    id: int
    ticket_id: int
    at: dt.datetime
    actor_id: int
    action: str
    from_status: TicketStatus | None
    to_status: TicketStatus
    note: str | None


@dataclass(frozen=True, slots=True)
class NotificationRow(Row):
    """A message to one user."""

    TABLE: ClassVar[str] = "notification"
    id: int
    user_id: int
    kind: str
    message: str
    ticket_id: int | None
    subject_id: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None
