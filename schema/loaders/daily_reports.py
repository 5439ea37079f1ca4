"""The daily reports domain's DataLoaders: a project's reports, a day's report, trades, photos."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from schema.loaders import ByIdLoader, ReadyLoader
from server.domain import labour, report_reads
from server.domain.rows.daily_reports import DailyReportRow, DailyReportTradeRow

RangeKey = tuple[int, dt.date | None, dt.date | None]


class DailyReportLoader(ByIdLoader):
    """Daily reports by id (visibility is checked by the caller)."""

    row = DailyReportRow


class ProjectReportsLoader(ReadyLoader):
    """Each project's reports in a date range, newest first; key (project id, from, to).

    One statement per distinct range, whatever the number of projects.
    """

    async def batch_load_fn(self, keys: Iterable[RangeKey]) -> list[list[DailyReportRow]]:
        keys = list(keys)
        by_range: dict[tuple[dt.date | None, dt.date | None], list[int]] = {}
        for project_id, start, end in keys:
            by_range.setdefault((start, end), []).append(project_id)
        found: dict[RangeKey, list[DailyReportRow]] = {}
        for (start, end), project_ids in by_range.items():
            grouped = await report_reads.reports_of_projects(project_ids, start, end)
            for project_id in project_ids:
                found[(project_id, start, end)] = grouped.get(project_id, [])
        return [found[key] for key in keys]


class ReportOnDateLoader(ReadyLoader):
    """The report of a project on a day, or None; key (project id, date)."""

    async def batch_load_fn(
        self, keys: Iterable[report_reads.ReportKey]
    ) -> list[DailyReportRow | None]:
        keys = list(keys)
        found = await report_reads.reports_on(keys)
        return [found.get(key) for key in keys]


class ReportTradesLoader(ReadyLoader):
    """Each report's workforce by trade (key: report id)."""

    async def batch_load_fn(self, report_ids: Iterable[int]) -> list[list[DailyReportTradeRow]]:
        report_ids = list(report_ids)
        found = await report_reads.trades_of(report_ids)
        return [found.get(pid, []) for pid in report_ids]


class ReportPhotoIdsLoader(ReadyLoader):
    """Each report's photo ids, newest first (key: report id)."""

    async def batch_load_fn(self, report_ids: Iterable[int]) -> list[list[int]]:
        report_ids = list(report_ids)
        found = await report_reads.photo_ids_of(report_ids)
        return [found.get(pid, []) for pid in report_ids]


class WorkerDaysLoader(ReadyLoader):
    """Each project's report days with workers on site over the last year (key: project id)."""

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[list[dt.date]]:
        project_ids = list(project_ids)
        since = self.context.today - dt.timedelta(days=labour.MAX_SERIES_DAYS)
        found = await labour.worker_days_of(project_ids, since)
        return [found.get(pid, []) for pid in project_ids]


class LabourAlertLoader(ReadyLoader):
    """Each project's labour alert, or None (key: project id)."""

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[labour.LabourAlert | None]:
        project_ids = list(project_ids)
        settings = self.context.settings
        found = await labour.labour_alerts(
            project_ids, settings.labour_alert_percent, settings.labour_alert_days
        )
        by_project = {alert.project_id: alert for alert in found}
        return [by_project.get(pid) for pid in project_ids]
