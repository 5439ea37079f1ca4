"""The board over time: what changed between two days (`boardChanges`)."""

from __future__ import annotations

from schema.board.queries import Mutations, Queries
from schema.board.types import BoardChanges, ColourChange

TYPES = (BoardChanges, ColourChange)

__all__ = ["TYPES", "Mutations", "Queries"]
