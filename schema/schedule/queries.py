"""Schedule queries: none of their own; milestones are reached through projects and `node`."""

from __future__ import annotations


class Queries:
    """Schedule queries (milestones are reached through projects and `node`)."""
