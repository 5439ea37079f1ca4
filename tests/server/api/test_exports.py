"""The spreadsheet exports over HTTP, opened with openpyxl (values, date cells, fills)."""

from __future__ import annotations

import datetime as dt
import decimal
import io

import httpx
import openpyxl
from graphql_relay import to_global_id

from server.domain.models import ProjectStatus, Role, Severity, TaskSheet
from tests import factories
from tests.conftest import Account, MakeAccount

AS_OF = dt.date(2020, 3, 1)


async def _zone() -> dict:
    p1090 = await factories.programme("1090", 2020)
    p1050 = await factories.programme("1050", 2020, name="重点城建项目")
    plant = await factories.project(
        "A-01", name="徐工高端装备产业园", programmes=(p1090,), responsible_unit="徐工集团"
    )
    road = await factories.project(
        "B-01", name="东环路改造", programmes=(p1050, p1090), town="东环街道"
    )
    done = await factories.project("C-01", name="已竣工项目", status=ProjectStatus.COMPLETED)
    await factories.milestone(plant, AS_OF - dt.timedelta(days=40), title="主体封顶")
    await factories.milestone(plant, AS_OF + dt.timedelta(days=9), title="设备安装")
    await factories.milestone(road, AS_OF - dt.timedelta(days=3), title="管网迁改")
    await factories.milestone(done, AS_OF - dt.timedelta(days=90), title="竣工", done_on=AS_OF)
    await TaskSheet.create(
        project=plant, year=2020, revision=1, annual_investment_target=decimal.Decimal("100")
    )
    await TaskSheet.create(
        project=plant,
        year=2020,
        revision=2,
        annual_investment_target=decimal.Decimal("1250.50"),
        completed_investment=decimal.Decimal("300.25"),
    )
    return {"plant": plant, "road": road, "done": done}


async def _get(
    client: httpx.AsyncClient, path: str, account: Account | None, **params: str
) -> httpx.Response:
    headers = account.headers if account else {}
    return await client.get(path, params=params, headers=headers)


def _sheet(response: httpx.Response) -> openpyxl.worksheet.worksheet.Worksheet:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response.headers["content-disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


async def test_overdue_xlsx(client: httpx.AsyncClient, supervisor: Account) -> None:
    await _zone()
    sheet = _sheet(await _get(client, "/exports/overdue.xlsx", supervisor, asOf="2020-03-01"))
    rows = list(sheet.iter_rows(min_row=2, values_only=True))  # row 1 is the title
    assert rows[0][:2] == ("项目编号", "项目名称") and rows[0][-1] == "逾期天数"
    assert rows[1] == (
        "A-01",
        "徐工高端装备产业园",
        "1090(2020)",
        "徐工集团",
        "金山桥街道",
        "主体封顶",
        dt.datetime(2020, 1, 21),
        dt.datetime(2020, 1, 21),
        40,
    )
    assert rows[2][0] == "B-01" and rows[2][2] == "1050(2020), 1090(2020)" and rows[2][-1] == 3
    assert len(rows) == 3
    assert sheet["G3"].is_date and sheet["H3"].number_format == "yyyy-mm-dd"
    assert sheet.auto_filter.ref == "A2:I4"
    assert sheet["A2"].font.bold

    filtered = _sheet(
        await _get(
            client,
            "/exports/overdue.xlsx",
            supervisor,
            asOf="2020-03-01",
            programmeCodes="1050,765",
            minDaysOverdue="2",
        )
    )
    assert [r[0] for r in filtered.iter_rows(min_row=3, values_only=True)] == ["B-01"]
    empty = _sheet(await _get(client, "/exports/overdue.xlsx", supervisor, programmeCodes="x"))
    assert list(empty.iter_rows(min_row=3, values_only=True)) == []


async def test_overdue_csv_keeps_chinese(client: httpx.AsyncClient, office: Account) -> None:
    zone = await _zone()
    response = await _get(
        client,
        "/exports/overdue.csv",
        office,
        asOf="2020-03-01",
        projectIds=to_global_id("Project", str(zone["plant"].id)),
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("项目编号,项目名称,所属计划")
    assert lines[1:] == [
        "A-01,徐工高端装备产业园,1090(2020),徐工集团,金山桥街道,主体封顶,2020-01-21,2020-01-21,40"
    ]


async def test_programme_board(
    client: httpx.AsyncClient, admin: Account, make_account: MakeAccount
) -> None:
    zone = await _zone()
    reporter = await make_account(Role.SITE_MANAGER, "reporter")
    await factories.ticket(zone["road"], reporter.user, Severity.CRITICAL)
    await factories.ticket(zone["road"], reporter.user, Severity.LOW)
    sheet = _sheet(await _get(client, "/exports/programme-board.xlsx", admin, asOf="2020-03-01"))
    rows = list(sheet.iter_rows(min_row=2, values_only=True))  # row 1 is the title
    assert rows[0][5] == "五色状态" and len(rows) == 4
    by_code = {row[0]: row for row in rows[1:]}
    plant = by_code["A-01"]
    assert plant[5] == "红" and plant[6] == "主体封顶" and plant[8] == 40 and plant[9] == 0
    assert plant[10] == 1250.5 and plant[11] == 300.25
    road = by_code["B-01"]
    assert road[5] == "红" and road[8] == 3 and road[9] == 2 and road[10] is None
    assert by_code["C-01"][5] == "蓝" and by_code["C-01"][6] is None
    fills = {sheet.cell(row=i, column=1).value: sheet.cell(row=i, column=6) for i in (3, 4, 5)}
    assert fills["A-01"].fill.fgColor.rgb == "FFFF0000"
    assert fills["C-01"].fill.fgColor.rgb == "FF4F81BD"
    assert fills["A-01"].fill.fill_type == "solid"
    assert sheet["H3"].is_date
    assert sheet.auto_filter.ref == "A2:L5"

    only = _sheet(
        await _get(
            client, "/exports/programme-board.xlsx", admin, programmeCodes="1050", year="2020"
        )
    )
    assert [r[0] for r in only.iter_rows(min_row=3, values_only=True)] == ["B-01"]


async def test_exports_need_an_office_role(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    for path in ("/exports/overdue.xlsx", "/exports/overdue.csv", "/exports/programme-board.xlsx"):
        response = await _get(client, path, None)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHENTICATED"
        for role in (Role.SITE_MANAGER, Role.COORDINATOR):
            account = await make_account(role)
            response = await _get(client, path, account)
            assert response.status_code == 403


async def test_bad_parameters_answer_400_without_a_file(
    client: httpx.AsyncClient, supervisor: Account
) -> None:
    zone = await _zone()
    milestone_id = to_global_id("Milestone", "1")
    cases = [
        ({"asOf": "yesterday"}, "asOf"),
        ({"minDaysOverdue": "-1"}, "minDaysOverdue"),
        ({"year": "二〇二〇"}, "year"),
        ({"projectIds": milestone_id}, "not a Project ID"),
        ({"projectIds": to_global_id("Project", str(zone["done"].id + 100))}, "no such project"),
        ({"colour": "red"}, "Unknown parameter"),
    ]
    for path in ("/exports/overdue.xlsx", "/exports/overdue.csv", "/exports/programme-board.xlsx"):
        for params, message in cases:
            response = await _get(client, path, supervisor, **params)
            assert response.status_code == 400, (path, params)
            assert response.headers["content-type"] == "application/json"
            assert message in response.json()["error"]["message"]
    response = await client.get(
        "/exports/overdue.xlsx",
        params=[("town", "东环街道"), ("town", "大庙街道")],
        headers=supervisor.headers,
    )
    assert response.status_code == 400 and "once" in response.json()["error"]["message"]


async def test_text_that_looks_like_a_formula_stays_text(
    client: httpx.AsyncClient, office: Account
) -> None:
    trap = '=HYPERLINK("http://evil.example","点击")'
    project = await factories.project("F-01", name=trap)
    await factories.milestone(project, AS_OF - dt.timedelta(days=5), title="-2+3")
    params = {"asOf": "2020-03-01"}
    sheet = _sheet(await _get(client, "/exports/overdue.xlsx", office, **params))
    name_cell = sheet.cell(row=3, column=2)
    assert (name_cell.value, name_cell.data_type) == (trap, "s")
    csv_response = await _get(client, "/exports/overdue.csv", office, **params)
    row = csv_response.content.decode("utf-8-sig").splitlines()[1]
    assert row.startswith("F-01,\"'=HYPERLINK(")
    assert ",'-2+3," in row


async def test_parameters_out_of_range_answer_400(
    client: httpx.AsyncClient, supervisor: Account
) -> None:
    await _zone()
    cases = [
        ({"year": "9223372036854775808"}, "year must be from 1900"),
        ({"year": "9" * 5000}, "at most 128 characters"),
        ({"year": "２O２O"}, "whole number"),
        ({"year": "-1"}, "year must be from 1900"),
        ({"minDaysOverdue": "2147483647"}, "minDaysOverdue may be at most"),
        ({"minDaysOverdue": "9223372036854775808"}, "minDaysOverdue may be at most"),
        ({"asOf": "0001-01-01"}, "asOf must be from 1900-01-01"),
        ({"asOf": "9999-12-31"}, "asOf must be from 1900-01-01"),
        ({"town": "镇" * 65}, "town may be at most 64"),
        ({"town": "a\x00b"}, "NUL"),
        ({"responsibleUnit": "局" * 200}, "at most 128"),
        ({"programmeCodes": "9" * 33}, "programmeCodes may be at most 32"),
        ({"programmeCodes": ",".join(["1090"] * 101)}, "at most 100 values"),
        ({"projectIds": to_global_id("Project", str(2**31))}, "not a Project ID"),
        ({"projectIds": to_global_id("Project", "-1")}, "not a Project ID"),
    ]
    for path in ("/exports/overdue.xlsx", "/exports/overdue.csv", "/exports/programme-board.xlsx"):
        for params, message in cases:
            response = await _get(client, path, supervisor, **params)
            assert response.status_code == 400, (path, params, response.text)
            assert message in response.json()["error"]["message"], response.text


async def test_the_ends_of_the_calendar_export(client: httpx.AsyncClient, office: Account) -> None:
    await _zone()
    for as_of in ("1900-01-01", "2999-12-31"):
        params = {"asOf": as_of, "minDaysOverdue": "36500"}
        _sheet(await _get(client, "/exports/overdue.xlsx", office, **params))
        _sheet(await _get(client, "/exports/programme-board.xlsx", office, **params))
