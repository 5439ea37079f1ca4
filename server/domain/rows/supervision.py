"""Rows of the supervision reviews (督办)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from server.domain.rows import Row


@dataclass(frozen=True, slots=True)
class ReviewRow(Row):
    """A supervision instruction on a milestone, with the site's answer."""

    TABLE: ClassVar[str] = "supervision_review"
    id: int
    milestone_id: int
    project_id: int
    reviewer_id: int
    instruction: str
    respond_by: dt.date | None
    created_at: dt.datetime
    response: str | None
    responded_at: dt.datetime | None
    responded_by_id: int | None
