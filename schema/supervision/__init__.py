"""The supervisor's desk: overdue board, supervision reviews, programme progress fields."""

from __future__ import annotations

from schema.supervision.mutations import Mutations
from schema.supervision.queries import Queries
from schema.supervision.types import SupervisionReview

TYPES = (SupervisionReview,)

__all__ = ["TYPES", "Mutations", "Queries"]
