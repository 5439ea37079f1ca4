"""The audit log every mutation writes to, inside its own transaction.

Nothing secret is ever written: a snapshot leaves out the password and token digests
(`SECRET_COLUMNS`), and the account actions record what happened (a password changed, sessions
ended), never the password, the token or a signed link.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Any

from tortoise.models import Model

from server.domain import journal
from server.domain.columns import columns_of
from server.domain.models import AuditEntry, User

SECRET_COLUMNS = frozenset({"password_hash", "token_hash"})
"""Columns no audit entry holds, even named."""


def snapshot(obj: Model | None, fields: tuple[str, ...] | None = None) -> dict[str, Any] | None:
    """A JSON-safe copy of a model's own columns (or of the named ones), secrets left out."""
    if obj is None:
        return None
    names = fields or tuple(sorted(column.name for column in columns_of(type(obj))))
    return {
        name: _json_value(getattr(obj, name, None)) for name in names if name not in SECRET_COLUMNS
    }


def changed(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """The names whose values differ between two snapshots, in order."""
    old, new = before or {}, after or {}
    return sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))


def _json_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


async def record(
    actor: User | None,
    action: str,
    obj: Model,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    journaled: bool = True,
) -> AuditEntry:
    """Append one audit entry for a change to `obj`, and note the change in the sync journal.

    `journaled=False` is for entries that record an event rather than a change any answer
    shows (a sign-in, a sign-out): the data's version, and so every ETag, stays as it was.
    """
    if journaled:
        await journal.note_object(obj)
    return await AuditEntry.create(
        actor=actor,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        before=_without_secrets(before),
        after=_without_secrets(after) if after is not None else snapshot(obj),
    )


async def record_failed_sign_in(user: User | None, username: str, address: str) -> AuditEntry:
    """Append a failed sign-in: the account when it exists, the name and address tried."""
    return await AuditEntry.create(
        actor=None,
        action="loginFailed",
        object_type=User.__name__,
        object_id=None if user is None else str(user.pk),
        after={"username": username, "address": address},
    )


def _without_secrets(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """`values` without the SECRET_COLUMNS."""
    if values is None:
        return None
    return {name: value for name, value in values.items() if name not in SECRET_COLUMNS}
