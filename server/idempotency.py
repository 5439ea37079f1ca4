"""Replaying the first result of a create or upload retried with the same idempotency key."""

from __future__ import annotations

from server.models import User
from server.models.idempotency import IdempotencyRecord

MAX_KEY_LENGTH = 128


async def previous_result(user: User, operation: str, key: str | None) -> int | None:
    """The id of the object this user's earlier call with `key` made, if there was one."""
    if not key:
        return None
    record = await IdempotencyRecord.get_or_none(user=user, operation=operation, key=key)
    return record.object_id if record else None


async def remember_result(user: User, operation: str, key: str | None, object_id: int) -> None:
    """Record the object made under `key`; call inside the creating transaction.

    Two concurrent first calls with one key collide on the unique constraint, so only one of
    them commits; the other fails and, when retried, finds this record.
    """
    if key:
        await IdempotencyRecord.create(user=user, operation=operation, key=key, object_id=object_id)
