"""The supervisor's desk: overdue board, summaries, supervision reviews."""

from __future__ import annotations


class Queries:
    """Supervision queries."""


class Mutations:
    """Supervision mutations."""
