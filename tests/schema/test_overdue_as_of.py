"""`overdueMilestones(filter: {asOf})` judges its milestones as of that date, everywhere.

The list's own milestones answer `isOverdue` and `daysOverdue` as of the filter's `asOf`;
milestones read through them (`dependsOn`) and the same milestones read elsewhere (`node`)
are judged against today. The summary and the spreadsheet export follow `asOf` too. On
PostgreSQL the list's pages are compiled to one statement (`schema.compiled`): every document
here is also answered by an app with compiled reads off, and the answers must be equal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import openpyxl
import pytest

import schema.context
from schema.schedule.as_of import MilestoneAsOf, judged_on
from server.api.app import create_app
from server.domain.models import MilestoneStatus
from server.domain.rows.plans import MilestoneRow
from server.settings import Settings
from tests import factories
from tests.conftest import BACKEND, Account

TODAY = dt.date(2026, 6, 15)
AS_OF = dt.date(2026, 5, 1)

LIST = """
query($filter: OverdueFilter) {
  overdueMilestones(first: 20, filter: $filter) {
    totalCount
    edges { cursor node {
      id title status isOverdue daysOverdue plannedDate
      dependsOn { title isOverdue daysOverdue }
      project { code }
    } }
  }
}"""


def _days(before: dt.date, planned: dt.date) -> int:
    return (before - planned).days


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request's `today` is TODAY, whatever the wall clock says."""
    monkeypatch.setattr(schema.context, "zone_today", lambda zone: TODAY)


@pytest.fixture
async def resolvers_only(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second app over the same database, with every field left to its resolver."""
    app = create_app(dataclasses.replace(settings, compiled_reads=False))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _board() -> dict[str, Any]:
    """One project: two milestones late as of AS_OF (one waiting on the other), one done
    between AS_OF and today, and one due after AS_OF that is late today."""
    programme = await factories.programme("1090", 2026)
    project = await factories.project("A-01", programmes=(programme,))
    early = await factories.milestone(project, AS_OF - dt.timedelta(days=20), title="立项")
    late = await factories.milestone(project, AS_OF - dt.timedelta(days=10), title="开工")
    await factories.link(early, late)
    done = await factories.milestone(
        project, AS_OF - dt.timedelta(days=5), title="施工许可", done_on=AS_OF + dt.timedelta(3)
    )
    later = await factories.milestone(project, AS_OF + dt.timedelta(days=5), title="主体封顶")
    return {"project": project, "early": early, "late": late, "done": done, "later": later}


async def _ask(
    http: httpx.AsyncClient, who: Account, document: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": document, "variables": variables}, headers=who.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def _both_ways(
    client: httpx.AsyncClient,
    resolvers_only: httpx.AsyncClient,
    count_statements: Callable[[], Any],
    who: Account,
    document: str,
    variables: dict[str, Any],
) -> dict[str, Any]:
    """The answer of the service, checked equal to the resolvers' answer; on PostgreSQL the
    list's page must have been compiled."""
    with count_statements() as counter:
        ours = await _ask(client, who, document, variables)
    assert ours == await _ask(resolvers_only, who, document, variables)
    compiled = any("json_build_object" in statement for statement in counter.statements)
    assert compiled == (BACKEND == "postgres")
    return ours


def _nodes(data: dict[str, Any], key: str = "overdueMilestones") -> list[dict[str, Any]]:
    return [edge["node"] for edge in data[key]["edges"]]


async def test_the_list_judges_its_milestones_as_of_its_date(
    client: httpx.AsyncClient,
    resolvers_only: httpx.AsyncClient,
    count_statements: Callable[[], Any],
    supervisor: Account,
) -> None:
    board = await _board()
    data = await _both_ways(
        client,
        resolvers_only,
        count_statements,
        supervisor,
        LIST,
        {"filter": {"asOf": AS_OF.isoformat()}},
    )
    nodes = _nodes(data)
    # The list holds open milestones only: the one done after AS_OF is not on it.
    assert data["overdueMilestones"]["totalCount"] == 2
    assert [(n["title"], n["isOverdue"], n["daysOverdue"]) for n in nodes] == [
        ("立项", True, 20),
        ("开工", True, 10),
    ]
    # A predecessor read through a listed milestone is not the list's: judged today.
    early_today = _days(TODAY, board["early"].planned_date)
    assert nodes[1]["dependsOn"] == [
        {"title": "立项", "isOverdue": True, "daysOverdue": early_today}
    ]

    # The same milestones without asOf, and read one by one: judged today.
    today_list = _nodes(
        await _both_ways(client, resolvers_only, count_statements, supervisor, LIST, {})
    )
    assert [(n["title"], n["daysOverdue"]) for n in today_list] == [
        ("立项", early_today),
        ("开工", _days(TODAY, board["late"].planned_date)),
        ("主体封顶", _days(TODAY, board["later"].planned_date)),
    ]
    one = await _ask(
        client,
        supervisor,
        "query($id: ID!) { node(id: $id) { ... on Milestone { isOverdue daysOverdue } } }",
        {"id": nodes[1]["id"]},
    )
    assert one["node"] == {
        "isOverdue": True,
        "daysOverdue": _days(TODAY, board["late"].planned_date),
    }


async def test_two_lists_in_one_request_keep_their_own_dates(
    client: httpx.AsyncClient,
    resolvers_only: httpx.AsyncClient,
    count_statements: Callable[[], Any],
    supervisor: Account,
) -> None:
    await _board()
    document = """
    query($then: Date, $before: Date) {
      then: overdueMilestones(filter: {asOf: $then}) { edges { node { title daysOverdue } } }
      before: overdueMilestones(filter: {asOf: $before}) {
        edges { node { title late: isOverdue days: daysOverdue } }
      }
      now: overdueMilestones { edges { node { title daysOverdue } } }
    }"""
    before = AS_OF - dt.timedelta(days=15)
    data = await _both_ways(
        client,
        resolvers_only,
        count_statements,
        supervisor,
        document,
        {"then": AS_OF.isoformat(), "before": before.isoformat()},
    )
    assert [(n["title"], n["daysOverdue"]) for n in _nodes(data, "then")] == [
        ("立项", 20),
        ("开工", 10),
    ]
    assert _nodes(data, "before") == [{"title": "立项", "late": True, "days": 5}]
    assert [n["daysOverdue"] for n in _nodes(data, "now")] == [
        _days(TODAY, AS_OF - dt.timedelta(days=20)),
        _days(TODAY, AS_OF - dt.timedelta(days=10)),
        _days(TODAY, AS_OF + dt.timedelta(days=5)),
    ]


async def test_min_days_and_the_page_after_a_cursor_follow_the_date(
    client: httpx.AsyncClient,
    resolvers_only: httpx.AsyncClient,
    count_statements: Callable[[], Any],
    supervisor: Account,
) -> None:
    await _board()
    document = """
    query($after: String, $filter: OverdueFilter) {
      overdueMilestones(first: 1, after: $after, filter: $filter) {
        pageInfo { endCursor } edges { node { title daysOverdue } }
      }
    }"""
    flt = {"asOf": AS_OF.isoformat(), "minDaysOverdue": 10}
    first = await _both_ways(
        client, resolvers_only, count_statements, supervisor, document, {"filter": flt}
    )
    assert _nodes(first) == [{"title": "立项", "daysOverdue": 20}]
    cursor = first["overdueMilestones"]["pageInfo"]["endCursor"]
    second = await _both_ways(
        client,
        resolvers_only,
        count_statements,
        supervisor,
        document,
        {"filter": flt, "after": cursor},
    )
    assert _nodes(second) == [{"title": "开工", "daysOverdue": 10}]


async def test_summary_and_export_agree_with_the_list(
    client: httpx.AsyncClient, supervisor: Account
) -> None:
    await _board()
    listed = _nodes(await _ask(client, supervisor, LIST, {"filter": {"asOf": AS_OF.isoformat()}}))
    summary = await _ask(
        client,
        supervisor,
        "query($filter: OverdueFilter) { overdueSummary(groupBy: PROJECT, filter: $filter) {"
        " overdueCount maxDaysOverdue } }",
        {"filter": {"asOf": AS_OF.isoformat()}},
    )
    assert summary["overdueSummary"] == [
        {"overdueCount": len(listed), "maxDaysOverdue": max(n["daysOverdue"] for n in listed)}
    ]

    response = await client.get(
        "/exports/overdue.xlsx", params={"asOf": AS_OF.isoformat()}, headers=supervisor.headers
    )
    assert response.status_code == 200, response.text
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(index for index, row in enumerate(rows) if "逾期天数" in row)
    days, title = rows[header].index("逾期天数"), rows[header].index("节点")
    exported = [(row[title], row[days]) for row in rows[header + 1 :] if any(row)]
    assert exported == [(n["title"], n["daysOverdue"]) for n in listed]


def test_a_judged_row_is_the_row_with_its_date() -> None:
    row = MilestoneRow(
        id=1,
        project_id=2,
        phase_id=None,
        title="开工",
        baseline_date=AS_OF,
        planned_date=AS_OF,
        actual_date=None,
        status=MilestoneStatus.PENDING,
        completion_note=None,
    )
    judged = MilestoneAsOf.judged(row, AS_OF)
    assert isinstance(judged, MilestoneRow)
    assert dataclasses.astuple(judged) == (*dataclasses.astuple(row), AS_OF)
    assert judged_on(judged, TODAY) == AS_OF
    assert judged_on(row, TODAY) == TODAY
