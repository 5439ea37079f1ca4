"""Rows of the board history: one project's line of the board on one day."""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import Annotated, ClassVar

from server.domain.rows import Row, Scale


@dataclass(frozen=True, slots=True)
class SnapshotRow(Row):
    """A project's line of the board as it stood at the end of `date` (table board_snapshot)."""

    TABLE: ClassVar[str] = "board_snapshot"
    id: int
    project_id: int
    date: dt.date
    health: str
    """A `server.domain.health.Health` value (kept as text: the rows package may not import
    the health module, which imports the access rules, which read rows)."""
    overdue_milestones: int
    worst_days_overdue: int
    open_labour_tickets: int
    open_material_tickets: int
    execution_index: Annotated[decimal.Decimal, Scale(4)] | None
    on_site_rate: float | None
    backfilled: bool
