"""Idempotency keys sent by phones, so a retried create returns the first result."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IdempotencyRecord(Model):
    """The object a create or upload made for a user and key, returned again on retries."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    operation = fields.CharField(max_length=64)
    key = fields.CharField(max_length=128)
    object_id = fields.IntField()
    # SHA-256 of the operation's input (null on keys older than fingerprints).
    fingerprint = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("user", "operation", "key"),)
