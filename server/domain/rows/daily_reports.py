"""Rows of the daily site reports and their trades."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from server.domain.models.daily_reports import Trade, Weather
from server.domain.rows import Json, Row


@dataclass(frozen=True, slots=True)
class DailyReportRow(Row):
    """One project's report for one day (equipment and materials as JSON lists)."""

    TABLE: ClassVar[str] = "daily_report"
    id: int
    project_id: int
    date: dt.date
    weather: Weather | None
    temperature_low: int | None
    temperature_high: int | None
    workers_needed: int
    workers_on_site: int
    equipment: Annotated[list[Any], Json()]
    materials_received: Annotated[list[Any], Json()]
    materials_short: Annotated[list[Any], Json()]
    work_done: str | None
    problems: str | None
    reported_by_id: int
    reported_at: dt.datetime
    amended_at: dt.datetime | None
    version: int

    @property
    def on_site_rate(self) -> float | None:
        """Workers on site ÷ workers needed; None when nothing was needed."""
        if self.workers_needed == 0:
            return None
        return self.workers_on_site / self.workers_needed


@dataclass(frozen=True, slots=True)
class DailyReportTradeRow(Row):
    """Workers needed and on site for one trade of one report."""

    TABLE: ClassVar[str] = "daily_report_trade"
    id: int
    report_id: int
    trade: Trade
    needed: int
    on_site: int
