"""Accounts: the User type, `me`, `login` and `logout`."""

from __future__ import annotations

from schema.accounts.mutations import Mutations
from schema.accounts.queries import Queries

TYPES: tuple[type, ...] = ()
"""None to add: User is reached through `me` (and listing it would reorder the printed schema)."""

__all__ = ["TYPES", "Mutations", "Queries"]
