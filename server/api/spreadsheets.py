"""Print-ready spreadsheets and their download names, shared by every xlsx export.

A sheet written by `write_sheet` prints as a person expects on the wall-chart meeting's desk:
a title row (zone, report, date, filters in words) above the header, columns sized to their
content (CJK characters count double width; long texts wrap at `MAX_WIDTH`), the header row
repeated on every printed page, landscape A4 fitted to one page wide, the header frozen and
filterable, and rows the caller marks (overdue) in dark red on a light rose fill. Fills a
caller's `style` sets (the health colours) are kept. `content_disposition` names a download
for browsers old and new: an ASCII `filename` and the RFC 5987 `filename*` with the Chinese
name.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from starlette.responses import Response

from server.domain.overdue import OverdueFilter

ZONE_NAME = "经开区"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"
TITLE_ROW = 1
HEADER_ROW = 2
# Column widths in character units: narrowest, widest (longer text wraps), padding.
MIN_WIDTH = 6
MAX_WIDTH = 40
PADDING = 2
TITLE_POINTS_PER_LINE = 22
MARKED_FONT = "FFC00000"
MARKED_FILL = "FFFCE4E4"
HEADER_FILL = "FFD9D9D9"
PAGE_FOOTER = "第 &P 页，共 &N 页"
# A text cell starting with "=" would be read back as a formula.
FORMULA_START = "="

Style = Callable[[Any, int, int], None]
"""Decorates a data cell: `style(cell, row_index, column_index)`, 0-based indexes."""


def display_width(value: Any) -> int:
    """How many character columns `value` takes as shown: East Asian wide and full-width
    characters count two, other characters one; dates as yyyy-mm-dd; the longest line."""
    if value is None:
        return 0
    if isinstance(value, dt.date):
        return len(DATE_FORMAT)
    text = value if isinstance(value, str) else str(value)
    return max(
        sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in line)
        for line in text.split("\n")
    )


def title_text(report: str, day: dt.date | str, filters: str = "", zone: str = ZONE_NAME) -> str:
    """The title row: zone, report, date (or a range as text) and the filters in words."""
    parts = [zone, report, day.isoformat() if isinstance(day, dt.date) else day]
    return " · ".join(part for part in (*parts, filters) if part)


def filter_words(flt: OverdueFilter, overdue_days: bool = True) -> str:
    """The export filter in words for the title row, e.g. "计划 1090；镇(街) 东环街道";
    "全部项目" when nothing narrows it. `overdue_days` False leaves out minDaysOverdue
    (exports that do not use it)."""
    words = []
    if flt.programme_codes is not None:
        words.append("计划 " + ("、".join(flt.programme_codes) or "(无)"))
    if flt.year is not None:
        words.append(f"年度 {flt.year}")
    if flt.responsible_unit:
        words.append(f"责任单位 {flt.responsible_unit}")
    if flt.town:
        words.append(f"镇(街) {flt.town}")
    if flt.project_ids is not None:
        words.append(f"指定项目 {len(flt.project_ids)} 个")
    if overdue_days and flt.min_days_overdue:
        words.append(f"逾期 ≥ {flt.min_days_overdue} 天")
    return "；".join(words) or "全部项目"


def _write_rows(
    sheet: Worksheet,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    style: Style | None,
    marked: Callable[[Sequence[Any]], bool] | None,
) -> None:
    header_fill = PatternFill(fill_type="solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    for column, name in enumerate(header, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=name)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    mark_font = Font(color=MARKED_FONT)
    mark_fill = PatternFill(fill_type="solid", start_color=MARKED_FILL, end_color=MARKED_FILL)
    for row_index, values in enumerate(rows):
        mark = marked is not None and marked(values)
        for column_index, value in enumerate(values):
            cell = sheet.cell(row=HEADER_ROW + 1 + row_index, column=column_index + 1, value=value)
            if isinstance(value, str) and value.startswith(FORMULA_START):
                cell.data_type = "s"  # typed text stays text, never a formula
            if isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
            if style is not None:
                style(cell, row_index, column_index)
            if mark:
                cell.font = mark_font
                if cell.fill.fill_type is None:
                    cell.fill = mark_fill


def fit_columns(sheet: Worksheet, columns: int, first_row: int = HEADER_ROW) -> list[float]:
    """Sizes columns 1..`columns` to their widest cell from `first_row` down (CJK double
    width), between MIN_WIDTH and MAX_WIDTH; cells wider than MAX_WIDTH wrap. The widths."""
    widths = []
    for column in range(1, columns + 1):
        widest = 0
        for (cell,) in sheet.iter_rows(min_row=first_row, min_col=column, max_col=column):
            width = display_width(cell.value)
            widest = max(widest, width)
            if width > MAX_WIDTH - PADDING:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        width = min(MAX_WIDTH, max(MIN_WIDTH, widest + PADDING))
        sheet.column_dimensions[get_column_letter(column)].width = width
        widths.append(width)
    return widths


def _write_title(sheet: Worksheet, title: str, columns: int, widths: Sequence[float]) -> None:
    sheet.cell(row=TITLE_ROW, column=1, value=title).font = Font(bold=True, size=14)
    sheet.cell(row=TITLE_ROW, column=1).alignment = Alignment(wrap_text=True, vertical="center")
    if columns > 1:
        sheet.merge_cells(
            start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=columns
        )
    # Size 14 is about 1.3 character units per character of the body font.
    lines = math.ceil(display_width(title) * 1.3 / max(sum(widths), 1))
    sheet.row_dimensions[TITLE_ROW].height = TITLE_POINTS_PER_LINE * max(lines, 1)


def print_ready(sheet: Worksheet, columns: int, data_rows: int) -> None:
    """The print and view settings of a sheet laid out by `write_sheet`: header row repeated
    on every page, landscape A4 one page wide (as many pages down as needed), page numbers,
    gridlines, header frozen below the title and filterable."""
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.print_options.gridLines = True
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = PAGE_FOOTER
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    last = f"{get_column_letter(columns)}{HEADER_ROW + data_rows}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}"


def write_sheet(
    sheet: Worksheet,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    style: Style | None = None,
    marked: Callable[[Sequence[Any]], bool] | None = None,
) -> None:
    """Fills an empty `sheet`, print-ready: `title` (see `title_text`) in row 1, the bold
    header in row 2, `rows` below (dates as date cells, text never a formula), decorated by
    `style` and, for rows where `marked(row)` is true, in dark red on light rose (cells the
    style filled keep their fill)."""
    _write_rows(sheet, header, rows, style, marked)
    widths = fit_columns(sheet, len(header))
    _write_title(sheet, title, len(header), widths)
    print_ready(sheet, len(header), len(rows))


def book_bytes(book: Workbook) -> bytes:
    """The xlsx file of `book`."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook_bytes(
    sheet_name: str,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    style: Style | None = None,
    marked: Callable[[Sequence[Any]], bool] | None = None,
) -> bytes:
    """An xlsx file of one print-ready sheet named `sheet_name` (see `write_sheet`)."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name
    write_sheet(sheet, title, header, rows, style, marked)
    return book_bytes(book)


_UNSAFE_FALLBACK = re.compile(r"[^A-Za-z0-9._()\- ]+")


def content_disposition(filename: str, fallback: str | None = None) -> str:
    """The Content-Disposition of a download named `filename` (RFC 6266): an ASCII
    `filename="…"` for old clients — `fallback` (e.g. "overdue-2026-12-05.xlsx"), or the
    ASCII part of `filename` — and `filename*=UTF-8''…` (RFC 5987) with the full name."""
    ascii_name = _UNSAFE_FALLBACK.sub("-", fallback or filename).strip("-. ")
    ascii_name = re.sub(r"-{2,}", "-", ascii_name)
    if not ascii_name:
        ascii_name = "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(
    content: bytes, media_type: str, filename: str, fallback: str | None = None
) -> Response:
    """A file download of `content` named `filename`, `fallback` for ASCII-only clients."""
    disposition = content_disposition(filename, fallback)
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})
