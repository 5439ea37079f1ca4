"""On-site photos: the Photo type, uploadPhoto."""

from __future__ import annotations


class Queries:
    """Photos queries."""


class Mutations:
    """Photos mutations."""
