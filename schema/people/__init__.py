"""People: user administration, one's own password, sign-in sessions and the audit log."""

from __future__ import annotations

from schema.people.mutations import Mutations
from schema.people.queries import Queries
from schema.people.types import AuditEntry, Session

TYPES = (Session, AuditEntry)

__all__ = ["TYPES", "Mutations", "Queries"]
