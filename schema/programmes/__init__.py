"""Programmes: the Programme type with its projects and statistics, and createProgramme."""

from __future__ import annotations

from schema.programmes.mutations import Mutations
from schema.programmes.queries import Queries
from schema.programmes.types import Programme

__all__ = ["TYPES", "Mutations", "Queries"]

TYPES = (Programme,)
