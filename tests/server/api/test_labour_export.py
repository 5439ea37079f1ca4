"""The morning meeting's labour sheet agrees with the series, the missing reports and the
alerts over the same random reports, and refuses what the other exports refuse."""

from __future__ import annotations

import datetime as dt
import io
import random
from typing import Any

import httpx
import openpyxl
import pytest

from schema.relay import global_id
from server.api.labour_export import LABOUR_HEADER, NOT_REPORTED
from server.domain.clock import zone_today
from server.domain.models import DailyReportTrade, ProjectStatus, Role, Trade
from server.settings import Settings
from tests import factories
from tests.conftest import Account, GraphQL, MakeAccount

TODAY = zone_today(Settings.from_env({}).zone)
DAY = TODAY - dt.timedelta(days=1)
SERIES = """
query($day: Date!) {
  labourSeries(from: $day, to: $day, groupBy: ZONE) { points { workersNeeded workersOnSite
    projectsReporting projectsExpected } }
  missingDailyReports(date: $day, first: 100) { edges { node { code } } }
  labourAlerts(first: 100) { edges { node { project { code } } } }
}
"""


def _rows(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))  # row 1 is the title
    assert values[0] == LABOUR_HEADER
    return [dict(zip(LABOUR_HEADER, row, strict=True)) for row in values[1:]]


@pytest.mark.parametrize("seed", [5, 6])
async def test_the_sheet_agrees_with_the_series_missing_reports_and_alerts(
    client: httpx.AsyncClient, graphql: GraphQL, office: Account, seed: int
) -> None:
    rng = random.Random(seed)
    statuses = [ProjectStatus.UNDER_CONSTRUCTION] * 6 + [ProjectStatus.PLANNED]
    expected: dict[str, tuple[int, int] | None] = {}
    for number, status in enumerate(statuses):
        project = await factories.project(f"S-{number:02d}", status=status)
        expected[project.code] = None
        for back in range(4):  # the day and the three before, each maybe reported
            if rng.random() < 0.25:
                continue
            needed = rng.choice([0, 10, 20, 40])
            on_site = rng.randint(0, needed + 2)
            report = await factories.daily_report(
                project, office.user, DAY - dt.timedelta(days=back), needed=needed, on_site=on_site
            )
            await DailyReportTrade.filter(report_id=report.id).update(trade=Trade.FORMWORK)
            if back == 0:
                expected[project.code] = (needed, on_site)

    response = await client.get(
        "/exports/daily-labour.xlsx", params={"date": DAY.isoformat()}, headers=office.headers
    )
    rows = _rows(response)
    assert [row["项目编号"] for row in rows] == sorted(expected)
    for row in rows:
        figures = expected[row["项目编号"]]
        if figures is None:
            assert row["备注"] == NOT_REPORTED and row["应到人数"] is None
            continue
        needed, on_site = figures
        assert (row["应到人数"], row["实到人数"]) == (needed, on_site)
        rate = round(on_site / needed, 4) if needed else None
        assert row["到岗率"] == rate
        assert (row["缺员工种"] is not None) == (on_site < needed)

    answer = await graphql(SERIES, {"day": DAY.isoformat()}, account=office)
    [point] = answer["data"]["labourSeries"][0]["points"]
    assert point["workersNeeded"] == sum(r["应到人数"] or 0 for r in rows)
    assert point["workersOnSite"] == sum(r["实到人数"] or 0 for r in rows)
    assert point["projectsReporting"] == sum(1 for r in rows if r["备注"] is None)
    missing = {e["node"]["code"] for e in answer["data"]["missingDailyReports"]["edges"]}
    working = {
        f"S-{n:02d}" for n, s in enumerate(statuses) if s is ProjectStatus.UNDER_CONSTRUCTION
    }
    assert missing == {r["项目编号"] for r in rows if r["备注"] == NOT_REPORTED} & working
    alerted = {e["node"]["project"]["code"] for e in answer["data"]["labourAlerts"]["edges"]}
    by_code = {row["项目编号"]: row for row in rows}
    for code in alerted:  # alerted: working, and the day's report (its latest) is low
        assert code in working
        rate = by_code[code]["到岗率"]
        assert by_code[code]["备注"] == NOT_REPORTED or (rate is not None and rate < 0.7)


async def test_the_sheet_is_for_export_readers_and_checks_its_date(
    client: httpx.AsyncClient, make_account: MakeAccount, office: Account
) -> None:
    site = await make_account(Role.SITE_MANAGER, "site")
    url = "/exports/daily-labour.xlsx"
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=site.headers)).status_code == 403
    bad = await client.get(url, params={"date": "2020-02-30"}, headers=office.headers)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "BAD_PARAMETER"
    unknown = await client.get(url, params={"colour": "red"}, headers=office.headers)
    assert unknown.status_code == 400
    project = await factories.project("ONE", status=ProjectStatus.UNDER_CONSTRUCTION)
    await factories.daily_report(project, office.user, TODAY)
    narrowed = await client.get(
        url, params={"projectIds": global_id("Project", project.id)}, headers=office.headers
    )
    [row] = _rows(narrowed)
    assert (row["项目编号"], row["应到人数"], row["实到人数"]) == ("ONE", 20, 14)
    assert row["缺员工种"] == "钢筋工 14/20"
