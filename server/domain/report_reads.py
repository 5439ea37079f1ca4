"""Reading the daily reports: by id, a project's range, exact (project, day) pairs, the
trades and photos of many reports; each in one statement, as plain rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from server.domain.models import Trade
from server.domain.rawsql import fetch
from server.domain.rows import fetch_rows
from server.domain.rows.daily_reports import DailyReportRow, DailyReportTradeRow

_REPORT_SQL = f"SELECT {DailyReportRow.select_list('r')} FROM daily_report r"


async def report_row(report_id: int) -> DailyReportRow | None:
    """The report with this id, as a row (visibility is the caller's)."""
    rows = await fetch_rows(DailyReportRow, f"{_REPORT_SQL} WHERE r.id = :id", {"id": report_id})
    return rows[0] if rows else None


async def reports_of_projects(
    project_ids: Sequence[int], start: dt.date | None, end: dt.date | None
) -> dict[int, list[DailyReportRow]]:
    """Each project's reports from `start` to `end` (either may be open), newest first."""
    if not project_ids:
        return {}
    params: dict[str, Any] = {"ids": list(project_ids)}
    where = "r.project_id IN (:ids)"
    if start is not None:
        params["start"] = start
        where += " AND r.date >= :start"
    if end is not None:
        params["end"] = end
        where += " AND r.date <= :end"
    rows = await fetch_rows(
        DailyReportRow, f"{_REPORT_SQL} WHERE {where} ORDER BY r.project_id, r.date DESC", params
    )
    grouped: dict[int, list[DailyReportRow]] = {}
    for row in rows:
        grouped.setdefault(row.project_id, []).append(row)
    return grouped


ReportKey = tuple[int, dt.date]
"""A project's report of one day: (project id, date)."""


async def reports_on(keys: Sequence[ReportKey]) -> dict[ReportKey, DailyReportRow]:
    """The reports of exactly these (project id, date) pairs, in one statement."""
    if not keys:
        return {}
    params: dict[str, Any] = {}
    pairs = []
    for index, (project_id, day) in enumerate(dict.fromkeys(keys)):
        params[f"p{index}"], params[f"d{index}"] = project_id, day
        pairs.append(f"(r.project_id = :p{index} AND r.date = :d{index})")
    rows = await fetch_rows(DailyReportRow, f"{_REPORT_SQL} WHERE {' OR '.join(pairs)}", params)
    return {(row.project_id, row.date): row for row in rows}


async def trades_of(report_ids: Sequence[int]) -> dict[int, list[DailyReportTradeRow]]:
    """Each report's trades, in the order of the Trade enumeration."""
    if not report_ids:
        return {}
    rows = await fetch_rows(
        DailyReportTradeRow,
        f"SELECT {DailyReportTradeRow.select_list('t')} FROM daily_report_trade t"
        " WHERE t.report_id IN (:ids)",
        {"ids": list(report_ids)},
    )
    order = {trade: index for index, trade in enumerate(Trade)}
    grouped: dict[int, list[DailyReportTradeRow]] = {}
    for row in sorted(rows, key=lambda r: (r.report_id, order[r.trade])):
        grouped.setdefault(row.report_id, []).append(row)
    return grouped


async def photo_ids_of(report_ids: Sequence[int]) -> dict[int, list[int]]:
    """Each report's photo ids, newest photo first."""
    if not report_ids:
        return {}
    rows = await fetch(
        "SELECT l.daily_report_id AS report_id, p.id AS photo_id FROM daily_report_photo l"
        " JOIN photo p ON p.id = l.photo_id WHERE l.daily_report_id IN (:ids)"
        " ORDER BY p.uploaded_at DESC, p.id DESC",
        {"ids": list(report_ids)},
    )
    grouped: dict[int, list[int]] = {}
    for row in rows:
        grouped.setdefault(row["report_id"], []).append(row["photo_id"])
    return grouped
