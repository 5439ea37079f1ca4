"""Reading the audit log: entries newest first, filtered, within what the viewer may read.

The filters map onto the log's indexes: an actor and a time range use (actor_id, at), an
action (action, at), an object (object_type, object_id), a time range alone (at). Entries
are ordered by (at, id), newest first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson
from tortoise.queryset import QuerySet

from server.domain.access import AUDIT_READERS, audit_types_hidden_from
from server.domain.audit import changed
from server.domain.errors import Refused
from server.domain.models import AuditEntry, User
from server.domain.rows.accounts import AuditEntryRow

_TEXT_LENGTH = 64  # AuditEntry.action, object_type and object_id


@dataclass(frozen=True)
class AuditQuery:
    """Which entries to list; every given condition must hold."""

    actor_id: int | None = None
    object_type: str | None = None
    """The object's model name (e.g. "ShortageTicket", "AuthToken")."""
    object_ids: tuple[str, ...] | None = None
    """With `object_type`: the object's key as the log stores it."""
    action: str | None = None
    since: dt.datetime | None = None
    before: dt.datetime | None = None
    hidden_types: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field an entry changed: its value before and after, as text (None: no value)."""

    field: str
    before: str | None
    after: str | None


def audit_query(viewer: User, **conditions: Any) -> AuditQuery:
    """The query for `viewer` (one of AUDIT_READERS), with the entries they may not read left
    out; Refused INVALID for text no entry can hold or a range that ends before it starts."""
    if viewer.role not in AUDIT_READERS:
        raise Refused("FORBIDDEN", "Your role may not read the audit log.")
    for name in ("object_type", "action"):
        value = conditions.get(name)
        if value is not None and (len(value) > _TEXT_LENGTH or "\x00" in value):
            raise Refused("INVALID", f"filter.{name} has at most {_TEXT_LENGTH} characters.")
    since, before = conditions.get("since"), conditions.get("before")
    if since is not None and before is not None and before < since:
        raise Refused("INVALID", "filter.to is before filter.from.")
    # Instants are stored in UTC, and SQLite compares them as text: compare in UTC too.
    for name in ("since", "before"):
        if conditions.get(name) is not None:
            conditions[name] = conditions[name].astimezone(dt.UTC)
    return AuditQuery(**conditions, hidden_types=audit_types_hidden_from(viewer))


def entries(query: AuditQuery) -> QuerySet[AuditEntry]:
    """The entries the query selects, newest first."""
    found = AuditEntry.all()
    if query.hidden_types:
        found = found.exclude(object_type__in=sorted(query.hidden_types))
    if query.actor_id is not None:
        found = found.filter(actor_id=query.actor_id)
    if query.object_type is not None:
        found = found.filter(object_type=query.object_type)
    if query.object_ids is not None:
        found = found.filter(object_id__in=list(query.object_ids))
    if query.action is not None:
        found = found.filter(action=query.action)
    if query.since is not None:
        found = found.filter(at__gte=query.since)
    if query.before is not None:
        found = found.filter(at__lt=query.before)
    return found.order_by("-at", "-id")


def field_changes(entry: AuditEntryRow) -> list[FieldChange]:
    """The fields whose values differ between the entry's before and after, by name."""
    old, new = entry.before or {}, entry.after or {}
    return [
        FieldChange(name, _text(old.get(name)), _text(new.get(name)))
        for name in changed(entry.before, entry.after)
    ]


def _text(value: Any) -> str | None:
    """A logged value as text: strings as they are, other values as JSON."""
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()
