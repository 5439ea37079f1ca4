"""The photo queries: none of their own (photos are read through projects, milestones,
tickets and `node`)."""

from __future__ import annotations


class Queries:
    """Photos queries."""
