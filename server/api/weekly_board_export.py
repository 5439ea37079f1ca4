"""GET /exports/weekly-board.xlsx?from=…&to=…: what changed on the board, for the weekly meeting.

The same as the `boardChanges` query, one print-ready sheet per section (颜色变化, 新增逾期, 完成,
调整计划, 新开工单, 关闭工单, 重开工单, 督办下发, 督办回复), each with its header even when
empty. `from` and `to` (zone dates like 2020-02-20, both included, at most 366 days) are
required; the board's filters (programmeCodes, year, responsibleUnit, town, projectIds) narrow
the projects as in the other exports. SUPERVISOR, OFFICE and ADMIN only; a bad parameter is
answered 400 before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from schema.scalars import quoted
from server.api.exports import HEALTH_LABELS, health_fill, prepare_export
from server.api.spreadsheets import (
    XLSX,
    Style,
    book_bytes,
    download,
    filter_words,
    title_text,
    write_sheet,
)
from server.domain.board import board_projects
from server.domain.board_changes import BoardChanges, board_changes
from server.domain.errors import Refused
from server.domain.models import Milestone, Project, ShortageKind
from server.domain.rows import queryset_rows
from server.domain.rows.plans import MilestoneRow, ProjectRow
from server.domain.rows.supervision import ReviewRow
from server.domain.rows.tickets import TicketRow

REPORT = "每周挂图变化"
WINDOW_PARAMETERS = ("from", "to")
NOT_HERE = ("asOf", "minDaysOverdue")
"""Filters of the other exports that a window of days has no use for."""
PROJECT_COLUMNS = ("项目编号", "项目名称", "责任单位")
COLOUR_HEADER = ("日期", *PROJECT_COLUMNS, "镇(街)", "原颜色", "新颜色")
MILESTONE_HEADER = (*PROJECT_COLUMNS, "节点", "基准日期", "计划日期", "完成日期")
TICKET_HEADER = ("工单编号", *PROJECT_COLUMNS, "类别", "标题", "紧急程度", "状态", "提交日期")
REVIEW_HEADER = (*PROJECT_COLUMNS, "节点", "督办要求", "回复期限", "下发日期", "回复", "回复日期")
KIND_LABELS = {ShortageKind.LABOUR: "缺工", ShortageKind.MATERIAL: "缺料"}


class _Labels:
    """What the sheets show of the projects and milestones the changes name."""

    def __init__(
        self, projects: dict[int, ProjectRow], milestones: dict[int, str], zone: ZoneInfo
    ) -> None:
        self.projects, self.milestones, self.zone = projects, milestones, zone

    def project(self, project_id: int) -> list[Any]:
        """Code, name and responsible unit of a project."""
        project = self.projects[project_id]
        return [project.code, project.name, project.responsible_unit]

    def day(self, instant: dt.datetime | None) -> dt.date | None:
        """The zone's calendar day of an instant."""
        return None if instant is None else instant.astimezone(self.zone).date()

    def milestone(self, row: MilestoneRow) -> list[Any]:
        """One 新增逾期, 完成 or 调整计划 row."""
        dates = [row.baseline_date, row.planned_date, row.actual_date]
        return [*self.project(row.project_id), row.title, *dates]

    def ticket(self, row: TicketRow) -> list[Any]:
        """One ticket row."""
        return [
            row.number,
            *self.project(row.project_id),
            KIND_LABELS[row.kind],
            row.title,
            row.severity.value,
            row.status.value,
            self.day(row.created_at),
        ]

    def review(self, row: ReviewRow) -> list[Any]:
        """One 督办 row."""
        return [
            *self.project(row.project_id),
            self.milestones.get(row.milestone_id),
            row.instruction,
            row.respond_by,
            self.day(row.created_at),
            row.response,
            self.day(row.responded_at),
        ]


async def _labels(changes: BoardChanges, zone: ZoneInfo) -> _Labels:
    """The projects and milestone titles the changes name (two statements)."""
    reviews = changes.reviews_issued + changes.reviews_answered
    project_ids = {change.project_id for change in changes.colour_changes}
    for rows in (
        changes.newly_overdue,
        changes.completed,
        changes.rebaselined,
        changes.tickets_opened,
        changes.tickets_closed,
        changes.tickets_reopened,
        reviews,
    ):
        project_ids.update(row.project_id for row in rows)
    projects = await queryset_rows(ProjectRow, Project.filter(id__in=sorted(project_ids)))
    titles = await Milestone.filter(id__in=sorted({r.milestone_id for r in reviews})).values_list(
        "id", "title"
    )
    return _Labels({p.id: p for p in projects}, dict(titles), zone)


def _sections(changes: BoardChanges, labels: _Labels) -> list[tuple[str, Sequence[str], list]]:
    """Each sheet's name, header and rows, in the meeting's order."""
    colours = [
        [
            change.date,
            *labels.project(change.project_id),
            labels.projects[change.project_id].town,
            HEALTH_LABELS[change.before],
            HEALTH_LABELS[change.after],
        ]
        for change in changes.colour_changes
    ]
    return [
        ("颜色变化", COLOUR_HEADER, colours),
        ("新增逾期", MILESTONE_HEADER, [labels.milestone(m) for m in changes.newly_overdue]),
        ("完成", MILESTONE_HEADER, [labels.milestone(m) for m in changes.completed]),
        ("调整计划", MILESTONE_HEADER, [labels.milestone(m) for m in changes.rebaselined]),
        ("新开工单", TICKET_HEADER, [labels.ticket(t) for t in changes.tickets_opened]),
        ("关闭工单", TICKET_HEADER, [labels.ticket(t) for t in changes.tickets_closed]),
        ("重开工单", TICKET_HEADER, [labels.ticket(t) for t in changes.tickets_reopened]),
        ("督办下发", REVIEW_HEADER, [labels.review(r) for r in changes.reviews_issued]),
        ("督办回复", REVIEW_HEADER, [labels.review(r) for r in changes.reviews_answered]),
    ]


def _colour_fills() -> Style:
    """Fills both colour columns of the 颜色变化 sheet with their colours."""
    before = health_fill(COLOUR_HEADER.index("原颜色"))
    after = health_fill(COLOUR_HEADER.index("新颜色"))

    def fill(cell: Any, row_index: int, column_index: int) -> None:
        before(cell, row_index, column_index)
        after(cell, row_index, column_index)

    return fill


def weekly_board_bytes(
    sections: list[tuple[str, Sequence[str], list]], window: str, filters: str
) -> bytes:
    """The xlsx file: one print-ready sheet per section, titled with the window and filters."""
    book = Workbook()
    book.remove(book.active)
    for name, header, rows in sections:
        style = _colour_fills() if header is COLOUR_HEADER else None
        title = title_text(f"{REPORT}·{name}", window, filters)
        write_sheet(book.create_sheet(name), title, header, rows, style)
    return book_bytes(book)


def _bad(message: str) -> Response:
    return JSONResponse({"error": {"code": "BAD_PARAMETER", "message": message}}, status_code=400)


def _window(params: QueryParams) -> tuple[dt.date, dt.date] | str:
    """`from` and `to` as dates, or what is wrong with them."""
    for name in NOT_HERE:
        if name in params:
            return f"{name} does not apply to the weekly board; give from and to."
    days = []
    for name in WINDOW_PARAMETERS:
        values = params.getlist(name)
        if len(values) != 1:
            return f"{name} is required once, as a date like 2020-02-20."
        try:
            days.append(dt.date.fromisoformat(values[0].strip()))
        except ValueError:
            return f"{name} must be a date like 2020-02-20, not {quoted(values[0])}."
    return days[0], days[1]


async def weekly_board_xlsx(request: Request) -> Response:
    """GET /exports/weekly-board.xlsx: the changes of the window, one sheet per section."""
    given = [(k, v) for k, v in request.query_params.multi_items() if k not in WINDOW_PARAMETERS]
    prepared = await prepare_export(request, QueryParams(given))
    if isinstance(prepared, Response):
        return prepared
    user, flt, settings = prepared
    window = _window(request.query_params)
    if isinstance(window, str):
        return _bad(window)
    start, end = window
    projects = board_projects(flt, user)
    if projects is None:  # the filter matches nothing
        projects = Project.filter(id__in=[])
    try:
        changes = await board_changes(user, start, end, settings.zone, projects)
    except Refused as exc:
        return _bad(exc.message)
    sections = _sections(changes, await _labels(changes, settings.zone))
    span = f"{start.isoformat()}至{end.isoformat()}"
    content = await run_in_threadpool(
        weekly_board_bytes, sections, span, filter_words(flt, overdue_days=False)
    )
    days = f"{start.isoformat()}-{end.isoformat()}"
    return download(content, XLSX, f"{REPORT}-{days}.xlsx", f"weekly-board-{days}.xlsx")


ROUTES = [Route("/exports/weekly-board.xlsx", weekly_board_xlsx, methods=["GET"])]
