"""Shortage tickets and notifications: types, `tickets`, `notifications` and mutations."""

from __future__ import annotations

from schema.tickets.mutations import Mutations
from schema.tickets.queries import Queries
from schema.tickets.types import Notification, ShortageTicket

TYPES = (ShortageTicket, Notification)

__all__ = ["TYPES", "Mutations", "Queries"]
