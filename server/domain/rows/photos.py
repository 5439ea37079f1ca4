"""Rows of the on-site photos."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from server.domain.rows import Row


@dataclass(frozen=True, slots=True)
class PhotoRow(Row):
    """A photo taken on site, with where and when it was taken."""

    TABLE: ClassVar[str] = "photo"
    id: int
    project_id: int
    milestone_id: int | None
    ticket_id: int | None
    uploaded_by_id: int
    caption: str | None
    taken_at: dt.datetime | None
    uploaded_at: dt.datetime
    latitude: float | None
    longitude: float | None
    on_site: bool | None
    width: int
    height: int
    content_type: str
    byte_size: int
    sha256: str
