"""Every xlsx export prints as a person expects (title, widths, repeated header, landscape A4
one page wide, frozen and filterable header, health fills, overdue rows marked) and downloads
under its Chinese name with an ASCII fallback; LibreOffice, where installed, agrees."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import httpx
import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from server.api.spreadsheets import (
    MARKED_FILL,
    MAX_WIDTH,
    content_disposition,
    display_width,
    filter_words,
    fit_columns,
    title_text,
)
from server.domain.overdue import OverdueFilter
from tests import factories
from tests.conftest import Account

AS_OF = dt.date(2020, 3, 1)
CHINESE_NAME = "徐工高端装备产业园区"  # 10 characters, 20 columns wide
ASCII_UNIT = "XCMG-Group"  # 10 characters, 10 columns wide
EXPORTS = {
    "/exports/overdue.xlsx": ("逾期节点", "overdue"),
    "/exports/programme-board.xlsx": ("项目挂图", "programme-board"),
    "/exports/daily-labour.xlsx": ("每日到岗", "daily-labour"),
}
HEALTH_COLUMN = {"/exports/programme-board.xlsx": "F", "/exports/daily-labour.xlsx": "E"}
A4_LANDSCAPE = (841.89, 595.28)  # points


async def _zone() -> None:
    p1090 = await factories.programme("1090", 2020)
    plant = await factories.project(
        "A-01", name=CHINESE_NAME, programmes=(p1090,), responsible_unit=ASCII_UNIT
    )
    road = await factories.project(
        "B-01", name="东环路改造", programmes=(p1090,), responsible_unit="XCMG"
    )
    await factories.project("C-01", name="园区道路", programmes=(p1090,), responsible_unit="CJ")
    await factories.milestone(plant, AS_OF - dt.timedelta(days=40), title="主体封顶")
    await factories.milestone(road, AS_OF - dt.timedelta(days=3), title="管网迁改")


async def _export(client: httpx.AsyncClient, path: str, account: Account) -> httpx.Response:
    day = "date" if path.endswith("daily-labour.xlsx") else "asOf"
    response = await client.get(path, params={day: AS_OF.isoformat()}, headers=account.headers)
    assert response.status_code == 200, response.text
    return response


def _sheet(response: httpx.Response) -> Worksheet:
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def _download_names(response: httpx.Response) -> tuple[str, str]:
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    fallback = re.search(r'filename="([^"]*)"', disposition)
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    assert fallback and encoded, disposition
    return fallback.group(1), unquote(encoded.group(1), encoding="utf-8", errors="strict")


async def test_every_xlsx_export_is_print_ready(client: httpx.AsyncClient, office: Account) -> None:
    await _zone()
    for path, (report, ascii_report) in EXPORTS.items():
        response = await _export(client, path, office)
        sheet = _sheet(response)
        assert sheet["A1"].value == f"经开区 · {report} · 2020-03-01 · 全部项目", path
        assert sheet["A1"].font.bold and sheet["A2"].value == "项目编号"
        assert sheet.print_title_rows == "$2:$2"
        assert sheet.page_setup.orientation == "landscape"
        assert int(sheet.page_setup.paperSize) == 9  # A4
        assert int(sheet.page_setup.fitToWidth) == 1 and int(sheet.page_setup.fitToHeight) == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.freeze_panes == "A3"
        last_column = sheet.cell(row=2, column=sheet.max_column).column_letter
        assert sheet.auto_filter.ref == f"A2:{last_column}{sheet.max_row}"
        if path in HEALTH_COLUMN:
            fills = {sheet[f"{HEALTH_COLUMN[path]}{row}"].fill.fgColor.rgb for row in (3, 4, 5)}
            assert fills == {"FFFF0000", "FFFFFF00", "FF00B050"}, path  # red, yellow, green

        header = [cell.value for cell in sheet[2]]
        name_width = sheet.column_dimensions[chr(ord("A") + header.index("项目名称"))].width
        unit_width = sheet.column_dimensions[chr(ord("A") + header.index("责任单位"))].width
        assert len(CHINESE_NAME) == len(ASCII_UNIT) and name_width > unit_width
        assert name_width == display_width(CHINESE_NAME) + 2 == 22
        assert unit_width == len(ASCII_UNIT) + 2 == 12

        day = AS_OF.isoformat()
        assert _download_names(response) == (f"{ascii_report}-{day}.xlsx", f"{report}-{day}.xlsx")


async def test_every_sheet_of_the_weekly_board_is_print_ready(
    client: httpx.AsyncClient, supervisor: Account
) -> None:
    await _zone()
    params = {"from": "2020-02-24", "to": "2020-03-01", "town": "东环街道"}
    response = await client.get(
        "/exports/weekly-board.xlsx", params=params, headers=supervisor.headers
    )
    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.worksheets) > 1
    for sheet in book.worksheets:
        assert sheet["A1"].value.startswith("经开区 · ")
        assert sheet["A1"].value.endswith(" · 镇(街) 东环街道"), sheet["A1"].value
        assert sheet.print_title_rows == "$2:$2" and sheet.freeze_panes == "A3"
        assert sheet.page_setup.orientation == "landscape"
        assert int(sheet.page_setup.fitToWidth) == 1
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.auto_filter.ref.startswith("A2:")
    fallback, name = _download_names(response)
    assert fallback == "weekly-board-2020-02-24-2020-03-01.xlsx"
    assert name.endswith("-2020-02-24-2020-03-01.xlsx") and not name.isascii()


async def test_overdue_rows_are_marked(client: httpx.AsyncClient, supervisor: Account) -> None:
    await _zone()
    board = _sheet(await _export(client, "/exports/programme-board.xlsx", supervisor))
    marked = {
        board[f"A{row}"].value: board[f"A{row}"].fill.fgColor.rgb == MARKED_FILL
        for row in range(3, board.max_row + 1)
    }
    assert marked == {"A-01": True, "B-01": True, "C-01": False}
    assert board["F3"].fill.fgColor.rgb == "FFFF0000"  # the health fill stays on marked rows
    overdue = _sheet(await _export(client, "/exports/overdue.xlsx", supervisor))
    assert all(overdue[f"B{row}"].fill.fgColor.rgb == MARKED_FILL for row in (3, 4))


async def test_the_title_says_the_filters(client: httpx.AsyncClient, office: Account) -> None:
    await _zone()
    params = {"asOf": "2020-03-01", "programmeCodes": "1090,765", "minDaysOverdue": "5"}
    response = await client.get("/exports/overdue.xlsx", params=params, headers=office.headers)
    sheet = _sheet(response)
    assert sheet["A1"].value == "经开区 · 逾期节点 · 2020-03-01 · 计划 1090、765；逾期 ≥ 5 天"
    assert [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)] == ["A-01"]
    empty = await client.get(
        "/exports/programme-board.xlsx", params={"programmeCodes": "x"}, headers=office.headers
    )
    sheet = _sheet(empty)
    assert sheet.max_row == 2 and sheet.auto_filter.ref == "A2:L2"
    assert "计划 x" in sheet["A1"].value


async def test_the_csv_download_name_and_byte_order_mark(
    client: httpx.AsyncClient, office: Account
) -> None:
    await _zone()
    response = await client.get(
        "/exports/overdue.csv", params={"asOf": "2020-03-01"}, headers=office.headers
    )
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    assert _download_names(response) == ("overdue-2020-03-01.csv", "逾期节点-2020-03-01.csv")


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("ABC") == 3
    assert display_width("东环路") == 6
    assert display_width("ＡＢ") == 4  # full width
    assert display_width("A-01 东环") == 9
    assert display_width("短\n很长的一行") == 10
    assert display_width(dt.date(2020, 1, 1)) == 10
    assert display_width(1250.5) == 6 and display_width(None) == 0


def test_columns_are_capped_and_long_text_wraps() -> None:
    sheet = openpyxl.Workbook().active
    sheet["A2"], sheet["B2"], sheet["C2"] = "名称", "X", ""
    sheet["A3"], sheet["B3"] = "很" * 5000, 7
    assert fit_columns(sheet, 3) == [MAX_WIDTH, 6, 6]
    assert sheet["A3"].alignment.wrap_text and not sheet["A2"].alignment.wrap_text


def test_filter_words() -> None:
    assert filter_words(OverdueFilter(as_of=AS_OF)) == "全部项目"
    full = OverdueFilter(
        as_of=AS_OF,
        programme_codes=(),
        year=2020,
        responsible_unit="徐工集团",
        town="东环街道",
        project_ids=(1, 2),
        min_days_overdue=3,
    )
    assert filter_words(full) == (
        "计划 (无)；年度 2020；责任单位 徐工集团；镇(街) 东环街道；指定项目 2 个；逾期 ≥ 3 天"
    )
    assert "逾期" not in filter_words(full, overdue_days=False)
    assert (
        title_text("周例会", "2020-02-24 至 2020-03-01")
        == "经开区 · 周例会 · 2020-02-24 至 2020-03-01"
    )


def test_content_disposition() -> None:
    header = content_disposition("逾期节点-2026-12-05.xlsx", "overdue-2026-12-05.xlsx")
    assert header == (
        'attachment; filename="overdue-2026-12-05.xlsx"; '
        "filename*=UTF-8''%E9%80%BE%E6%9C%9F%E8%8A%82%E7%82%B9-2026-12-05.xlsx"
    )
    # Without a fallback, the ASCII part of the name; quotes, separators and controls never
    # reach the quoted string, and the encoded name keeps every character.
    assert 'filename="2026-12-05.xlsx"' in content_disposition("逾期节点-2026-12-05.xlsx")
    hostile = content_disposition('a"b\\c;\r\n/..\\x.xlsx', '"; evil=1')
    fallback = re.search(r'filename="([^"]*)"', hostile)
    assert fallback and fallback.group(1) == "evil-1"
    assert unquote(hostile.split("''", 1)[1]) == 'a"b\\c;\r\n/..\\x.xlsx'
    assert 'filename="export"' in content_disposition("节点.xlsx", "——")


def _office_program() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _pdf_pages(xlsx: bytes, work: Path, program: str) -> tuple[int, set[tuple[float, float]]]:
    """The page count of `xlsx` printed to PDF by LibreOffice, and its page sizes in points
    (read from the PDF's /Type /Page objects and /MediaBox arrays)."""
    work.mkdir()
    source = work / "sheet.xlsx"
    source.write_bytes(xlsx)
    command = [program, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless"]
    command += ["--convert-to", "pdf", "--outdir", str(work), str(source)]
    env = {**os.environ, "HOME": str(work)}
    subprocess.run(command, check=True, capture_output=True, timeout=180, env=env)
    pdf = (work / "sheet.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    boxes = re.findall(rb"/MediaBox\s*\[\s*([-\d.\s]+?)\s*\]", pdf)
    corners = [[float(number) for number in box.split()] for box in boxes]
    return pages, {(round(x1 - x0, 2), round(y1 - y0, 2)) for x0, y0, x1, y1 in corners}


@pytest.mark.skipif(_office_program() is None, reason="LibreOffice (soffice) is not installed")
async def test_libreoffice_prints_the_board_on_one_landscape_a4_page(
    client: httpx.AsyncClient, office: Account, tmp_path: Path
) -> None:
    await _zone()
    for number in range(3):  # long names: at 100% the board would be two pages wide
        await factories.project(f"L-{number}", name="经开区" + "重点产业园配套基础设施" * 3)
    response = await _export(client, "/exports/programme-board.xlsx", office)
    program = _office_program()
    assert program is not None
    pages, sizes = await asyncio.to_thread(
        _pdf_pages, response.content, tmp_path / "fitted", program
    )
    assert pages == 1
    assert len(sizes) == 1 and sizes.pop() == pytest.approx(A4_LANDSCAPE, abs=1)

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    book.active.sheet_properties.pageSetUpPr.fitToPage = False
    unfitted = io.BytesIO()
    book.save(unfitted)
    pages, _ = await asyncio.to_thread(_pdf_pages, unfitted.getvalue(), tmp_path / "plain", program)
    assert pages > 1, "without fitting, the same sheet should spill over to a second page"
