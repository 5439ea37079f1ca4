"""Field sync: `changes(since:)`, the offline catch-up of a phone."""

from __future__ import annotations

from schema.sync.queries import Mutations, Queries
from schema.sync.types import ChangeSet, Tombstone

TYPES = (ChangeSet, Tombstone)

__all__ = ["TYPES", "Mutations", "Queries"]
