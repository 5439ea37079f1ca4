"""Shortage tickets and notifications."""

from __future__ import annotations


class Queries:
    """Tickets queries."""


class Mutations:
    """Tickets mutations."""
