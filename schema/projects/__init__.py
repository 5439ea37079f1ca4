"""Projects: the Project and TaskSheet types, `projects(filter)` and their mutations."""

from __future__ import annotations

from schema.projects.mutations import Mutations
from schema.projects.queries import Queries
from schema.projects.types import Project, TaskItem, TaskSheet

__all__ = ["TYPES", "Mutations", "Queries"]

TYPES = (Project, TaskSheet, TaskItem)
