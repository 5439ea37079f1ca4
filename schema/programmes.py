"""Programmes and their statistics."""

from __future__ import annotations


class Queries:
    """Programmes queries."""


class Mutations:
    """Programmes mutations."""
