"""Rows of the accounts: users as other people see them (never the password hash), their
sign-in sessions (never the token) and the audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from server.domain.models.accounts import Role
from server.domain.rows import Json, Row


@dataclass(frozen=True, slots=True)
class UserRow(Row):
    """A person who signs in: office staff, a site manager, a supervisor, …"""

    TABLE: ClassVar[str] = "user"
    id: int
    username: str
    display_name: str
    role: Role
    unit: str | None
    phone: str | None
    is_active: bool
    must_change_password: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SessionRow(Row):
    """One bearer token as its owner sees it: which device, since when, last used when and from
    where. The digest is kept only to tell the caller's own token (`current`)."""

    TABLE: ClassVar[str] = "auth_token"
    id: int
    user_id: int
    token_hash: str
    device_name: str | None
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    last_address: str | None


@dataclass(frozen=True, slots=True)
class AuditEntryRow(Row):
    """One audit log entry: who did what to which object, and the values before and after."""

    TABLE: ClassVar[str] = "audit_entry"
    id: int
    actor_id: int | None
    action: str
    object_type: str
    object_id: str | None
    before: Annotated[dict[str, Any] | None, Json()]
    after: Annotated[dict[str, Any] | None, Json()]
    at: dt.datetime
