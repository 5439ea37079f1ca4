"""Photos: the Photo type, the photo lists of projects, milestones and tickets, uploadPhoto."""

from __future__ import annotations

from schema.photos.mutations import Mutations
from schema.photos.queries import Queries
from schema.photos.types import Photo

TYPES = (Photo,)

__all__ = ["TYPES", "Mutations", "Queries"]
