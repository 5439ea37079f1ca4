"""The board over a simulated fortnight, read four ways that must agree: `healthHistory`, the
snapshot-based `projects(asOf)` board, `boardChanges` and the weekly export.

The fortnight is the one `tests/schema/test_board_history.py` builds and backfills (project A
slides from GREEN to ORANGE, B turns YELLOW three days ago); every day is passed explicitly.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any

import httpx
from openpyxl import load_workbook

from schema.relay import global_id
from server.api.exports import HEALTH_LABELS
from server.domain.health import Health
from tests.conftest import Account, GraphQL
from tests.schema.test_board_history import BOARD, HISTORY, ago, board  # noqa: F401 (fixture)

CHANGES = """query($from: Date!, $to: Date!) { boardChanges(from: $from, to: $to) {
  colourChanges { project { code } date from to } } }"""


async def colours_by_history(graphql: GraphQL, account: Account, project: Any, today: dt.date):
    """{day: health} of one project from `healthHistory` over the fortnight (today left out)."""
    body = await graphql(
        HISTORY,
        {"id": global_id("Project", project.id), "from": str(ago(today, 14)), "to": str(today)},
        account=account,
    )
    history = body["data"]["node"]["healthHistory"]
    return {entry["date"]: entry["health"] for entry in history if entry["date"] != str(today)}


async def test_history_board_changes_and_the_weekly_export_agree(
    graphql: GraphQL,
    client: httpx.AsyncClient,
    office: Account,
    board: Any,  # noqa: F811
) -> None:
    today, _, a, b = board
    history = {
        project.code: await colours_by_history(graphql, office, project, today)
        for project in (a, b)
    }
    assert set(history["A-1"].values()) >= {"GREEN", "ORANGE"}  # the fortnight did move

    # The board as it stood each day shows each project in its colour of that day.
    for days in range(14, 0, -1):
        day = str(ago(today, days))
        body = await graphql(BOARD, {"asOf": day}, account=office)
        shown = {e["node"]["code"]: e["node"]["health"] for e in body["data"]["projects"]["edges"]}
        assert shown == {code: colours[day] for code, colours in history.items()}, day

    # boardChanges lists exactly the days on which healthHistory's colour changed.
    window = {"from": str(ago(today, 13)), "to": str(ago(today, 1))}
    body = await graphql(CHANGES, window, account=office)
    changes = body["data"]["boardChanges"]["colourChanges"]
    expected = []
    for code, colours in history.items():
        days = sorted(colours)
        for before, after in itertools.pairwise(days):
            if colours[before] != colours[after]:
                expected.append((after, code, colours[before], colours[after]))
    listed = [(c["date"], c["project"]["code"], c["from"], c["to"]) for c in changes]
    assert sorted(listed) == sorted(expected)
    assert expected, "the fortnight holds colour changes"

    # The weekly export's colour sheet holds the same changes.
    response = await client.get(
        "/exports/weekly-board.xlsx",
        params={"from": window["from"], "to": window["to"]},
        headers=office.headers,
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))["颜色变化"]
    header = [cell.value for cell in sheet[2]]
    rows = [
        dict(zip(header, (cell.value for cell in row), strict=True))
        for row in sheet.iter_rows(min_row=3)
    ]
    label = {HEALTH_LABELS[health]: health.value for health in Health}
    exported = [
        (
            str(row["日期"].date() if isinstance(row["日期"], dt.datetime) else row["日期"]),
            row["项目编号"],
            label[row["原颜色"]],
            label[row["新颜色"]],
        )
        for row in rows
    ]
    assert sorted(exported) == sorted(expected)
