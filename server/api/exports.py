"""Spreadsheet exports for the office: the overdue list (xlsx, csv) and the programme board.

`GET /exports/overdue.xlsx`, `/exports/overdue.csv` and `/exports/programme-board.xlsx` take
the OverdueFilter fields as query parameters (`programmeCodes` and `projectIds` repeated or
comma-separated, `asOf` as 2020-02-20) and need `Authorization: Bearer <token>` of a
SUPERVISOR, OFFICE or ADMIN. A bad parameter is answered 400 with a message before anything
is written; a file is built whole in memory, then sent, so it is never half-written. The
sheets are print-ready and the downloads named as server/api/spreadsheets.py describes.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Callable, Sequence
from typing import Any

from openpyxl.styles import PatternFill
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise.expressions import Subquery

from schema.relay import MAX_PAGE_SIZE, split_global_id
from schema.scalars import quoted
from server.api.bearer import challenge
from server.api.client_address import client_address
from server.api.graphql_http import (
    CHANGE_PASSWORD_FIRST,
    PASSWORD_CHANGE_REQUIRED,
    bearer_token,
)
from server.api.spreadsheets import XLSX, download, filter_words, title_text, workbook_bytes
from server.domain.access import EXPORT_READERS, allowed_before_password_change
from server.domain.accounts import TokenRefusal, authenticate, token_refusal
from server.domain.board import BoardRow, board_rows, programme_labels
from server.domain.clock import zone_today
from server.domain.health import Health
from server.domain.models import Project, User
from server.domain.overdue import OverdueFilter, days_overdue, ordered, overdue_queryset
from server.settings import Settings

SIGN_IN = "Sign in first: send Authorization: Bearer <token>."
KNOWN_PARAMETERS = frozenset(
    {"programmeCodes", "year", "responsibleUnit", "town", "projectIds", "minDaysOverdue", "asOf"}
)
OVERDUE_HEADER = (
    "项目编号",
    "项目名称",
    "所属计划",
    "责任单位",
    "镇(街)",
    "节点",
    "基准日期",
    "计划日期",
    "逾期天数",
)
BOARD_HEADER = (
    "项目编号",
    "项目名称",
    "所属计划",
    "责任单位",
    "镇(街)",
    "五色状态",
    "下一节点",
    "下一节点预计日期",
    "逾期天数",
    "未办结工单",
    "年度投资目标(万元)",
    "已完成投资(万元)",
)
HEALTH_LABELS = {
    Health.BLUE: "蓝",
    Health.GREEN: "绿",
    Health.YELLOW: "黄",
    Health.ORANGE: "橙",
    Health.RED: "红",
}
HEALTH_FILLS = {
    Health.BLUE: "FF4F81BD",
    Health.GREEN: "FF00B050",
    Health.YELLOW: "FFFFFF00",
    Health.ORANGE: "FFFFC000",
    Health.RED: "FFFF0000",
}


class BadParameter(ValueError):
    """A query parameter the export cannot use; the message says which and why."""


# Longest text value compared with a column (responsible units are 128 characters at most),
# and most values of a list parameter.
MAX_TEXT_LENGTH = 128
MAX_LIST_LENGTH = MAX_PAGE_SIZE


def _text(name: str, value: str) -> str:
    """A text value of parameter `name`, stripped; BadParameter past the bounds."""
    if "\x00" in value:
        raise BadParameter(f"{name} must not contain NUL characters.")
    if len(value) > MAX_TEXT_LENGTH:
        raise BadParameter(f"{name} may be at most {MAX_TEXT_LENGTH} characters long.")
    return value.strip()


def _values(params: QueryParams, name: str) -> list[str] | None:
    """All values of a repeated or comma-separated parameter, or None when absent."""
    if name not in params:
        return None
    values = [
        _text(name, part) for raw in params.getlist(name) for part in raw.split(",") if part.strip()
    ]
    if len(values) > MAX_LIST_LENGTH:
        raise BadParameter(f"{name} may have at most {MAX_LIST_LENGTH} values.")
    return values


def _single(params: QueryParams, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise BadParameter(f"{name} is given {len(values)} times; give it once.")
    return _text(name, values[0]) if values else None


def _integer(params: QueryParams, name: str) -> int | None:
    raw = _single(params, name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadParameter(f"{name} must be a whole number, not {quoted(raw)}.") from None


def _date(params: QueryParams, name: str) -> dt.date | None:
    raw = _single(params, name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(f"{name} must be a date like 2020-02-20, not {quoted(raw)}.") from None


async def _project_ids(gids: list[str] | None) -> tuple[int, ...] | None:
    if gids is None:
        return None
    pks = []
    for gid in gids:
        type_name, pk = split_global_id(gid)
        if type_name != "Project" or pk is None:
            raise BadParameter(f"projectIds: {quoted(gid)} is not a Project ID.")
        pks.append(pk)
    found = set(await Project.filter(id__in=pks).values_list("id", flat=True))
    for gid, pk in zip(gids, pks, strict=True):
        if pk not in found:
            raise BadParameter(f"projectIds: no such project {quoted(gid)}.")
    return tuple(dict.fromkeys(pks))


async def parse_filter(params: QueryParams, today: dt.date) -> OverdueFilter:
    """The OverdueFilter of an export's query parameters; BadParameter when one is wrong or
    out of range (dates and years in the calendar, day counts, lengths of texts and lists)."""
    unknown = sorted(set(params.keys()) - KNOWN_PARAMETERS)
    if unknown:
        raise BadParameter(
            f"Unknown parameter {quoted(unknown[0])}; use {', '.join(sorted(KNOWN_PARAMETERS))}."
        )
    codes = _values(params, "programmeCodes")
    as_of = _date(params, "asOf") or today
    year, min_days = _integer(params, "year"), _integer(params, "minDaysOverdue")
    unit, town = _single(params, "responsibleUnit"), _single(params, "town")
    try:
        flt = OverdueFilter(
            as_of=as_of,
            programme_codes=tuple(codes) if codes is not None else None,
            year=year,
            responsible_unit=unit,
            town=town,
            min_days_overdue=min_days or 0,
        )
    except ValueError as exc:
        raise BadParameter(str(exc)) from None
    project_ids = await _project_ids(_values(params, "projectIds"))
    return dataclasses.replace(flt, project_ids=project_ids)


async def overdue_rows(flt: OverdueFilter, user: User) -> list[list[Any]]:
    """Every overdue milestone under the filter as a spreadsheet row (two statements)."""
    overdue = overdue_queryset(flt, user)
    milestones = await ordered(overdue).values_list(
        "project_id",
        "project__code",
        "project__name",
        "project__responsible_unit",
        "project__town",
        "title",
        "baseline_date",
        "planned_date",
    )
    labels = await programme_labels(Project.filter(id__in=Subquery(overdue.values("project_id"))))
    return [
        [
            code,
            name,
            labels.get(pid, ""),
            unit,
            town,
            title,
            baseline,
            planned,
            days_overdue(planned, flt.as_of),
        ]
        for pid, code, name, unit, town, title, baseline, planned in milestones
    ]


def _board_values(row: BoardRow) -> list[Any]:
    return [
        row.code,
        row.name,
        row.programmes,
        row.responsible_unit,
        row.town,
        HEALTH_LABELS[row.health],
        row.next_milestone,
        row.next_milestone_date,
        row.days_overdue,
        row.open_tickets,
        row.investment_target,
        row.completed_investment,
    ]


# A text cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value.isoformat() if isinstance(value, dt.date) else value


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 CSV with a byte order mark, so spreadsheet programs keep the Chinese text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _problem(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _unauthenticated(refused: TokenRefusal | None) -> Response:
    """401 to an export request without a user; why its token was refused, when one was sent."""
    error = {"code": "UNAUTHENTICATED", "message": SIGN_IN}
    if refused is not None:
        error["reason"] = refused.value
    return JSONResponse(
        {"error": error}, status_code=401, headers={"WWW-Authenticate": challenge(refused)}
    )


async def _authorised(request: Request) -> User | Response:
    token = bearer_token(request)
    address = client_address(request, request.app.state.settings)
    user = await authenticate(token, address) if token else None
    if user is None:
        return _unauthenticated(await token_refusal(token) if token else None)
    if not allowed_before_password_change(user, frozenset({"export"})):
        return _problem(403, PASSWORD_CHANGE_REQUIRED, CHANGE_PASSWORD_FIRST)
    if user.role not in EXPORT_READERS:
        return _problem(403, "FORBIDDEN", "Your role may not export.")
    return user


async def prepare_export(
    request: Request, params: QueryParams | None = None
) -> tuple[User, OverdueFilter, Settings] | Response:
    """The user, filter and settings of an export request (its query parameters, or `params`
    when given), or the error response."""
    user = await _authorised(request)
    if isinstance(user, Response):
        return user
    settings: Settings = request.app.state.settings
    try:
        given = request.query_params if params is None else params
        flt = await parse_filter(given, zone_today(settings.zone))
    except BadParameter as exc:
        return _problem(400, "BAD_PARAMETER", str(exc))
    return user, flt, settings


async def overdue_xlsx(request: Request) -> Response:
    """GET /exports/overdue.xlsx: the overdue list as a spreadsheet."""
    prepared = await prepare_export(request)
    if isinstance(prepared, Response):
        return prepared
    user, flt, _ = prepared
    rows = await overdue_rows(flt, user)
    title = title_text("逾期节点", flt.as_of, filter_words(flt))
    mark = overdue_mark(OVERDUE_HEADER.index("逾期天数"))
    content = await run_in_threadpool(
        workbook_bytes, "逾期节点", title, OVERDUE_HEADER, rows, None, mark
    )
    day = flt.as_of.isoformat()
    return download(content, XLSX, f"逾期节点-{day}.xlsx", f"overdue-{day}.xlsx")


async def overdue_csv(request: Request) -> Response:
    """GET /exports/overdue.csv: the overdue list as CSV."""
    prepared = await prepare_export(request)
    if isinstance(prepared, Response):
        return prepared
    user, flt, _ = prepared
    rows = await overdue_rows(flt, user)
    content = await run_in_threadpool(csv_bytes, OVERDUE_HEADER, rows)
    day = flt.as_of.isoformat()
    return download(content, "text/csv; charset=utf-8", f"逾期节点-{day}.csv", f"overdue-{day}.csv")


def overdue_mark(column: int) -> Callable[[Sequence[Any]], bool]:
    """A row marker for `write_sheet`: rows whose days-overdue cell (`column`) is above 0."""

    def overdue(values: Sequence[Any]) -> bool:
        return bool(values[column])

    return overdue


_FILL_BY_LABEL = {HEALTH_LABELS[colour]: argb for colour, argb in HEALTH_FILLS.items()}


def health_fill(column: int) -> Callable[[Any, int, int], None]:
    """A cell styler that fills the colour column (`column`) with its colour."""

    def fill(cell: Any, row_index: int, column_index: int) -> None:
        if column_index == column:
            argb = _FILL_BY_LABEL[cell.value]
            cell.fill = PatternFill(fill_type="solid", start_color=argb, end_color=argb)

    return fill


async def programme_board_xlsx(request: Request) -> Response:
    """GET /exports/programme-board.xlsx: one row per project, the colour as the cell fill."""
    prepared = await prepare_export(request)
    if isinstance(prepared, Response):
        return prepared
    user, flt, settings = prepared
    rows = [_board_values(row) for row in await board_rows(flt, user, settings)]
    fill = health_fill(BOARD_HEADER.index("五色状态"))
    title = title_text("项目挂图", flt.as_of, filter_words(flt, overdue_days=False))
    mark = overdue_mark(BOARD_HEADER.index("逾期天数"))
    content = await run_in_threadpool(
        workbook_bytes, "项目挂图", title, BOARD_HEADER, rows, fill, mark
    )
    day = flt.as_of.isoformat()
    return download(content, XLSX, f"项目挂图-{day}.xlsx", f"programme-board-{day}.xlsx")


ROUTES = [
    Route("/exports/overdue.xlsx", overdue_xlsx, methods=["GET"]),
    Route("/exports/overdue.csv", overdue_csv, methods=["GET"]),
    Route("/exports/programme-board.xlsx", programme_board_xlsx, methods=["GET"]),
]
