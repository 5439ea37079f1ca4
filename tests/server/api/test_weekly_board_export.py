"""The weekly meeting's sheet: one sheet per section with the rows `boardChanges` answers,
the board's filters, who may download it, and the windows refused."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest

from server.api.exports import HEALTH_FILLS
from server.api.weekly_board_export import (
    COLOUR_HEADER,
    MILESTONE_HEADER,
    REVIEW_HEADER,
    TICKET_HEADER,
)
from server.domain.health import Health
from server.domain.models import (
    BoardSnapshot,
    Project,
    Rebaseline,
    Role,
    Severity,
    TicketEvent,
    TicketStatus,
    User,
)
from tests import factories
from tests.conftest import Account, GraphQL, MakeAccount

ZONE = ZoneInfo("Asia/Shanghai")
START = dt.date(2020, 3, 2)
END = dt.date(2020, 3, 8)
WINDOW = {"from": START.isoformat(), "to": END.isoformat()}
SHEETS = [
    "颜色变化",
    "新增逾期",
    "完成",
    "调整计划",
    "新开工单",
    "关闭工单",
    "重开工单",
    "督办下发",
    "督办回复",
]
CHANGES = """
query($from: Date!, $to: Date!, $filter: ProjectFilter) {
  boardChanges(from: $from, to: $to, filter: $filter) {
    colourChanges { project { code } date from to }
    newlyOverdue { title project { code } }
    completed { title }
    rebaselined { title }
    ticketsOpened { number }
    ticketsClosed { number }
    ticketsReopened { number }
    reviewsIssued { instruction }
    reviewsAnswered { response }
  }
}
"""


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """An instant on `day` at `hour` o'clock zone time, in UTC as the service stores it."""
    return dt.datetime.combine(day, dt.time(hour), ZONE).astimezone(dt.UTC)


async def _snapshot(project: Project, day: dt.date, colour: Health) -> None:
    await BoardSnapshot.create(
        project=project,
        date=day,
        health=colour.value,
        overdue_milestones=0,
        worst_days_overdue=0,
        open_labour_tickets=0,
        open_material_tickets=0,
    )


async def _week(reporter: User, boss: User, project: Project, tag: str) -> None:
    """One change of every section on `project` in the window, titles and texts tagged."""
    await _snapshot(project, START - dt.timedelta(days=1), Health.GREEN)
    await _snapshot(project, START + dt.timedelta(days=2), Health.RED)
    await factories.milestone(project, START, title=f"{tag}逾期")
    await factories.milestone(project, END + dt.timedelta(days=5), done_on=END, title=f"{tag}完成")
    moved = await factories.milestone(project, END + dt.timedelta(days=20), title=f"{tag}调整")
    await Rebaseline.create(
        milestone=moved, old_date=END, new_date=moved.planned_date, reason="疫情", at=at(START)
    )
    opened = await factories.ticket(project, reporter, Severity.HIGH)
    opened.created_at, opened.number = at(START), f"{tag}-OPEN"
    await opened.save()
    for number, action, target in (
        (f"{tag}-CLOSE", "CONFIRM", TicketStatus.CLOSED),
        (f"{tag}-REOPEN", "REOPEN", TicketStatus.IN_PROGRESS),
    ):
        ticket = await factories.ticket(project, reporter, Severity.LOW, target)
        ticket.created_at, ticket.number = at(START - dt.timedelta(days=30)), number
        await ticket.save()
        await TicketEvent.create(
            ticket=ticket,
            actor=reporter,
            action=action,
            from_status=TicketStatus.RESOLVED,
            to_status=target,
            at=at(END),
        )
    review = await factories.review(moved, boss)
    review.instruction, review.created_at = f"{tag}督办", at(START)
    review.response, review.responded_at = f"{tag}已回复", at(END)
    await review.save()


async def _story(make_account: MakeAccount) -> None:
    reporter = await make_account(Role.SITE_MANAGER, "reporter")
    boss = await make_account(Role.SUPERVISOR, "boss")
    await _week(reporter.user, boss.user, await factories.project("A", town="甲镇"), "A")
    await _week(reporter.user, boss.user, await factories.project("B", town="乙镇"), "B")


def _sheets(response: httpx.Response) -> dict[str, list[tuple[Any, ...]]]:
    """Each sheet's rows below the title, header first."""
    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == SHEETS
    return {
        sheet.title: list(sheet.iter_rows(min_row=2, values_only=True)) for sheet in book.worksheets
    }


async def test_one_sheet_per_section_agrees_with_board_changes(
    client: httpx.AsyncClient, graphql: GraphQL, make_account: MakeAccount, office: Account
) -> None:
    await _story(make_account)
    response = await client.get("/exports/weekly-board.xlsx", params=WINDOW, headers=office.headers)
    assert "weekly-board-2020-03-02-2020-03-08.xlsx" in response.headers["content-disposition"]
    sheets = _sheets(response)
    headers = [COLOUR_HEADER, *[MILESTONE_HEADER] * 3, *[TICKET_HEADER] * 3, *[REVIEW_HEADER] * 2]
    assert [rows[0] for rows in sheets.values()] == headers
    third = dt.datetime.combine(START + dt.timedelta(days=2), dt.time())
    assert [(row[0], row[1], *row[3:]) for row in sheets["颜色变化"][1:]] == [
        (third, "A", "经开区建设局", "甲镇", "绿", "红"),
        (third, "B", "经开区建设局", "乙镇", "绿", "红"),
    ]
    assert [row[3] for row in sheets["新增逾期"][1:]] == ["A逾期", "B逾期"]
    assert [row[3] for row in sheets["完成"][1:]] == ["A完成", "B完成"]
    assert [row[3] for row in sheets["调整计划"][1:]] == ["A调整", "B调整"]
    assert [row[0] for row in sheets["新开工单"][1:]] == ["A-OPEN", "B-OPEN"]
    assert [row[0] for row in sheets["关闭工单"][1:]] == ["A-CLOSE", "B-CLOSE"]
    assert [row[0] for row in sheets["重开工单"][1:]] == ["A-REOPEN", "B-REOPEN"]
    assert [(row[3], row[4]) for row in sheets["督办下发"][1:]] == [
        ("A调整", "A督办"),
        ("B调整", "B督办"),
    ]
    assert [row[7] for row in sheets["督办回复"][1:]] == ["A已回复", "B已回复"]

    answer = await graphql(CHANGES, WINDOW, account=office)
    changes = answer["data"]["boardChanges"]
    assert [
        (c["project"]["code"], c["date"], c["from"], c["to"]) for c in changes["colourChanges"]
    ] == [
        ("A", "2020-03-04", "GREEN", "RED"),
        ("B", "2020-03-04", "GREEN", "RED"),
    ]
    assert [m["title"] for m in changes["newlyOverdue"]] == ["A逾期", "B逾期"]
    assert [t["number"] for t in changes["ticketsClosed"]] == ["A-CLOSE", "B-CLOSE"]
    assert [r["response"] for r in changes["reviewsAnswered"]] == ["A已回复", "B已回复"]


async def test_the_board_filters_narrow_every_sheet(
    client: httpx.AsyncClient, graphql: GraphQL, make_account: MakeAccount, office: Account
) -> None:
    await _story(make_account)
    params = {**WINDOW, "town": "乙镇"}
    sheets = _sheets(
        await client.get("/exports/weekly-board.xlsx", params=params, headers=office.headers)
    )
    for name, rows in sheets.items():
        assert len(rows) == 2, name  # the header and B's one change
    answer = await graphql(CHANGES, {**WINDOW, "filter": {"town": "乙镇"}}, account=office)
    assert [t["number"] for t in answer["data"]["boardChanges"]["ticketsOpened"]] == ["B-OPEN"]


async def test_empty_sections_keep_their_header(client: httpx.AsyncClient, office: Account) -> None:
    sheets = _sheets(
        await client.get("/exports/weekly-board.xlsx", params=WINDOW, headers=office.headers)
    )
    assert all(len(rows) == 1 for rows in sheets.values())


@pytest.mark.parametrize(
    ("role", "status"), [(None, 401), (Role.COORDINATOR, 403), (Role.SITE_MANAGER, 403)]
)
async def test_only_export_readers_download(
    client: httpx.AsyncClient, make_account: MakeAccount, role: Role | None, status: int
) -> None:
    headers = (await make_account(role, "someone")).headers if role else {}
    response = await client.get("/exports/weekly-board.xlsx", params=WINDOW, headers=headers)
    assert response.status_code == status


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"from": "2020-03-02"},
        {"from": "2020-03-02", "to": "next week"},
        {"from": "2020-13-01", "to": "2020-03-08"},
        {"from": "2020-03-08", "to": "2020-03-02"},
        {"from": "2020-01-01", "to": "2021-01-01"},
        {"from": "0001-01-01", "to": "0001-01-02"},
        {**WINDOW, "asOf": "2020-03-02"},
        {**WINDOW, "year": "twenty"},
        {**WINDOW, "colour": "red"},
        {"from": ["2020-03-02", "2020-03-03"], "to": "2020-03-08"},
    ],
)
async def test_bad_parameters_are_answered_400(
    client: httpx.AsyncClient, office: Account, params: dict[str, Any]
) -> None:
    response = await client.get("/exports/weekly-board.xlsx", params=params, headers=office.headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "BAD_PARAMETER"


async def test_bad_windows_are_invalid_in_graphql(graphql: GraphQL, office: Account) -> None:
    for window in (
        {"from": "2020-03-08", "to": "2020-03-02"},
        {"from": "2020-01-01", "to": "2021-01-01"},
    ):
        answer = await graphql(CHANGES, window, account=office)
        assert answer["data"] is None
        assert answer["errors"][0]["extensions"]["code"] == "INVALID"


async def test_colour_cells_carry_their_colour_and_the_sheet_prints(
    client: httpx.AsyncClient, make_account: MakeAccount, office: Account
) -> None:
    await _story(make_account)
    response = await client.get("/exports/weekly-board.xlsx", params=WINDOW, headers=office.headers)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["颜色变化"]
    assert "2020-03-02至2020-03-08" in sheet["A1"].value
    before, after = sheet.cell(row=3, column=6), sheet.cell(row=3, column=7)
    assert (before.value, after.value) == ("绿", "红")
    assert before.fill.start_color.rgb == HEALTH_FILLS[Health.GREEN]
    assert after.fill.start_color.rgb == HEALTH_FILLS[Health.RED]
    assert sheet.print_title_rows == "$2:$2" and sheet.page_setup.fitToWidth == 1
