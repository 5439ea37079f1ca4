"""Notifications that phones poll for: ticket steps, assignments, supervision instructions."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Notification(Model):
    """One message for one user, unread until they mark it read."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="notifications", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    message = fields.TextField()
    ticket: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.ShortageTicket", related_name=False, null=True, on_delete=fields.CASCADE
    )
    subject_id = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        indexes = (("user_id", "id"), ("user_id", "read_at", "id"))
