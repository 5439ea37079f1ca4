"""Rows of the accounts: users as other people see them (never the password hash)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from server.domain.models.accounts import Role
from server.domain.rows import Row


@dataclass(frozen=True, slots=True)
class UserRow(Row):
    """A person who signs in: office staff, a site manager, a supervisor, …"""

    TABLE: ClassVar[str] = "user"
    id: int
    username: str
    display_name: str
    role: Role
    unit: str | None
    is_active: bool
    created_at: dt.datetime
