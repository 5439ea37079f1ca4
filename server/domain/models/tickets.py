"""Labour and material shortage tickets and their event history."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ShortageKind(StrEnum):
    """What is short on site."""

    LABOUR = "LABOUR"
    MATERIAL = "MATERIAL"


class Severity(StrEnum):
    """How badly the shortage holds the site back."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class TicketStatus(StrEnum):
    """Where a ticket is in the one-stop workflow."""

    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"
    ASSIGNED = "ASSIGNED"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"


OPEN_STATUSES = (
    TicketStatus.OPEN,
    TicketStatus.ACCEPTED,
    TicketStatus.ASSIGNED,
    TicketStatus.IN_PROGRESS,
)


class ShortageTicket(Model):
    """A request for help with labour or materials, filed from site."""

    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True)
    project: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Project", related_name="tickets", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(ShortageKind, max_length=8)
    title = fields.CharField(max_length=256)
    description = fields.TextField(null=True)
    severity = fields.CharEnumField(Severity, max_length=8, default=Severity.MEDIUM)
    trade = fields.CharField(max_length=64, null=True)
    headcount = fields.IntField(null=True)
    material = fields.CharField(max_length=128, null=True)
    specification = fields.CharField(max_length=256, null=True)
    quantity = fields.DecimalField(max_digits=14, decimal_places=3, null=True)
    unit = fields.CharField(max_length=16, null=True)
    needed_by = fields.DateField(null=True)
    blocking_milestone: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Milestone", related_name="blocking_tickets", null=True, on_delete=fields.SET_NULL
    )
    daily_report: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.DailyReport", related_name="tickets", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(TicketStatus, max_length=12, default=TicketStatus.OPEN)
    reporter: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="reported_tickets", on_delete=fields.RESTRICT
    )
    assignee: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="assigned_tickets", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    resolved_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    satisfaction = fields.IntField(null=True)
    version = fields.IntField(default=0)

    class Meta:
        table = "shortage_ticket"
        indexes = (("project_id", "status"), ("assignee_id", "status"), ("created_at", "id"))


class TicketEvent(Model):
    """One step of the history of a ticket, only ever appended."""

    id = fields.BigIntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[ShortageTicket] = fields.ForeignKeyField(
        "models.ShortageTicket", related_name="events", on_delete=fields.CASCADE
    )
    at = fields.DatetimeField(auto_now_add=True)
    actor: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    action = fields.CharField(max_length=16)
    from_status = fields.CharEnumField(TicketStatus, max_length=12, null=True)
    to_status = fields.CharEnumField(TicketStatus, max_length=12)
    note = fields.TextField(null=True)

    class Meta:
        table = "ticket_event"
        indexes = (("ticket_id", "id"),)


class TicketCounter(Model):
    """The last ticket number given out for a kind and year, bumped under a row lock."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(ShortageKind, max_length=8)
    year = fields.IntField()
    last_number = fields.IntField(default=0)

    class Meta:
        table = "ticket_counter"
        unique_together = (("kind", "year"),)
