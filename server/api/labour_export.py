"""GET /exports/daily-labour.xlsx?date=…: the morning meeting's labour sheet.

One row per project of the board (the board's filters: programmeCodes, year, responsibleUnit,
town, projectIds) with the day's report: workers needed and on site, the on-site rate, the
trades short of workers, the materials short, and the project's colour as the cell fill.
`date` is the day (today when omitted); projects without the day's report say so.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.api.exports import HEALTH_LABELS, health_fill, prepare_export
from server.api.spreadsheets import XLSX, download, filter_words, title_text, workbook_bytes
from server.domain.labour_board import LabourRow, labour_rows
from server.domain.models.daily_reports import TRADE_LABELS

LABOUR_HEADER = (
    "项目编号",
    "项目名称",
    "责任单位",
    "镇(街)",
    "五色状态",
    "应到人数",
    "实到人数",
    "到岗率",
    "缺员工种",
    "缺少材料",
    "备注",
)
NOT_REPORTED = "未报日报"


def _material(line: dict[str, Any]) -> str:
    amount = " ".join(str(part) for part in (line.get("quantity"), line.get("unit")) if part)
    name = " ".join(part for part in (line.get("material"), line.get("specification")) if part)
    return f"{name} {amount}".strip()


def labour_values(row: LabourRow) -> list[Any]:
    """One sheet row: the rate as a fraction (formatted by the sheet), lists as text."""
    trades = "、".join(
        f"{TRADE_LABELS[t.trade]} {t.on_site}/{t.needed}" for t in row.missing_trades
    )
    materials = "、".join(_material(line) for line in row.short_materials)
    return [
        row.project.code,
        row.project.name,
        row.project.responsible_unit,
        row.project.town,
        HEALTH_LABELS[row.health],
        row.workers_needed,
        row.workers_on_site,
        round(row.on_site_rate, 4) if row.on_site_rate is not None else None,
        trades or None,
        materials or None,
        None if row.reported else NOT_REPORTED,
    ]


async def daily_labour_xlsx(request: Request) -> Response:
    """GET /exports/daily-labour.xlsx: the day's labour sheet of the board's projects."""
    given = [(key, value) for key, value in request.query_params.multi_items() if key != "date"]
    day = request.query_params.get("date")
    if day is not None:
        given.append(("asOf", day))
    prepared = await prepare_export(request, QueryParams(given))
    if isinstance(prepared, Response):
        return prepared
    user, flt, settings = prepared
    rows = [labour_values(row) for row in await labour_rows(flt, user, settings)]
    fill = health_fill(LABOUR_HEADER.index("五色状态"))
    title = title_text("每日到岗", flt.as_of, filter_words(flt, overdue_days=False))
    content = await run_in_threadpool(workbook_bytes, "每日到岗", title, LABOUR_HEADER, rows, fill)
    day = flt.as_of.isoformat()
    return download(content, XLSX, f"每日到岗-{day}.xlsx", f"daily-labour-{day}.xlsx")


ROUTES = [Route("/exports/daily-labour.xlsx", daily_labour_xlsx, methods=["GET"])]
