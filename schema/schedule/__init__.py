"""Timetables and roadmaps: the Milestone and Phase types and their mutations."""

from __future__ import annotations

from schema.schedule.mutations import Mutations
from schema.schedule.queries import Queries
from schema.schedule.types import Milestone, Phase

__all__ = ["TYPES", "Mutations", "Queries"]

TYPES = (Milestone, Phase)
