"""The morning meeting's labour sheet: one row per project of the board with the day's report.

Which projects, their order (by code) and their colour are the board's (`board_projects`,
health as of the day); the figures are the day's report's, blank where the project has not
reported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from server.domain import health, report_reads
from server.domain.board import board_projects
from server.domain.models import User
from server.domain.overdue import OverdueFilter
from server.domain.rows import queryset_rows
from server.domain.rows.daily_reports import DailyReportTradeRow
from server.domain.rows.plans import ProjectRow
from server.settings import Settings


@dataclass(frozen=True)
class LabourRow:
    """What the sheet shows of one project on the day."""

    project: ProjectRow
    health: health.Health
    reported: bool
    workers_needed: int | None
    workers_on_site: int | None
    on_site_rate: float | None
    missing_trades: tuple[DailyReportTradeRow, ...]
    """Trades with fewer workers on site than needed."""
    short_materials: tuple[dict, ...]
    """The report's materials short (material, specification, quantity, unit)."""


async def labour_rows(flt: OverdueFilter, user: User, settings: Settings) -> list[LabourRow]:
    """The sheet for `flt.as_of`, in a fixed number of statements whatever the row count."""
    queryset = board_projects(flt, user)
    if queryset is None:
        return []
    projects = await queryset_rows(ProjectRow, queryset.order_by("code"))
    if not projects:
        return []
    day: dt.date = flt.as_of
    ids = [project.id for project in projects]
    colours = await health.health_of(ids, health.Cutoffs.of(day, settings))
    found = await report_reads.reports_of_projects(ids, day, day)
    reports = {pid: day_reports[0] for pid, day_reports in found.items()}
    trades = await report_reads.trades_of([report.id for report in reports.values()])
    rows = []
    for project in projects:
        report = reports.get(project.id)
        if report is None:
            rows.append(LabourRow(project, colours[project.id], False, None, None, None, (), ()))
            continue
        short = tuple(t for t in trades.get(report.id, []) if t.on_site < t.needed)
        rows.append(
            LabourRow(
                project,
                colours[project.id],
                True,
                report.workers_needed,
                report.workers_on_site,
                report.on_site_rate,
                short,
                tuple(report.materials_short),
            )
        )
    return rows
