"""The audit log every mutation writes to, inside its own transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Any

from tortoise.models import Model

from server.domain.columns import columns_of
from server.domain.models import AuditEntry, User


def snapshot(obj: Model | None, fields: tuple[str, ...] | None = None) -> dict[str, Any] | None:
    """A JSON-safe copy of a model's own columns (or of the named ones)."""
    if obj is None:
        return None
    names = fields or tuple(sorted(column.name for column in columns_of(type(obj))))
    return {name: _json_value(getattr(obj, name, None)) for name in names}


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
) -> AuditEntry:
    """Append one audit entry for a change to `obj`."""
    return await AuditEntry.create(
        actor=actor,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        before=before,
        after=after if after is not None else snapshot(obj),
    )
