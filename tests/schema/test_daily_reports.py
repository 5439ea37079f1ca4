"""Daily reports through HTTP: filing from the phone, amending, reading, and hostile input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from schema.relay import global_id
from server.domain.clock import zone_today
from server.domain.models import (
    AuditEntry,
    DailyReport,
    DailyReportTrade,
    Notification,
    Project,
    ProjectStatus,
    Role,
)
from server.settings import Settings
from tests import factories
from tests.conftest import Account, GraphQL, MakeAccount
from tests.images import exif_block, jpeg_bytes
from tests.uploads import upload_photo

TODAY = zone_today(Settings.from_env({}).zone)

FILE = """
mutation($input: FileDailyReportInput!) {
  fileDailyReport(input: $input) {
    dailyReport {
      id date weather temperatureLow temperatureHigh workersNeeded workersOnSite onSiteRate
      workforce { trade needed onSite }
      equipment { name count }
      materialsReceived { material specification quantity unit }
      materialsShort { material quantity unit }
      workDone problems photos { id } reportedBy { username } reportedAt amendedAt editable
      project { code }
    }
    errors { field code message }
  }
}
"""

READ = """
query($id: ID!, $from: Date, $to: Date, $day: Date!) {
  node(id: $id) { ... on Project {
    dailyReports(from: $from, to: $to) { totalCount edges { node { date workersOnSite } } }
    dailyReport(date: $day) { date onSiteRate editable workforce { trade } }
  } }
}
"""


async def _project(manager: Account, code: str = "DR-1") -> Project:
    project = await factories.project(code)
    await project.site_managers.add(manager.user)
    # The project has existed for a while: reports may cover the past weeks.
    await Project.filter(id=project.id).update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    return project


def _input(project: Project, day: dt.date = TODAY, **extra: Any) -> dict[str, Any]:
    values = {
        "projectId": global_id("Project", project.id),
        "date": day.isoformat(),
        "weather": "SUNNY",
        "temperatureLow": 2,
        "temperatureHigh": 11,
        "workforce": [
            {"trade": "REBAR", "needed": 30, "onSite": 18},
            {"trade": "CONCRETE", "needed": 10, "onSite": 10},
        ],
        "equipment": [{"name": "塔吊", "count": 2}],
        "materialsReceived": [
            {"material": "螺纹钢", "specification": "HRB400 Φ25", "quantity": "12.5", "unit": "吨"}
        ],
        "materialsShort": [{"material": "商品混凝土", "quantity": "80", "unit": "立方米"}],
        "workDone": "  三层顶板钢筋绑扎  ",
        "problems": "钢筋工缺员",
    }
    values.update(extra)
    return values


async def test_a_site_manager_files_and_reads_the_days_report(
    graphql: GraphQL, make_account: MakeAccount
) -> None:
    manager = await make_account(Role.SITE_MANAGER, "site")
    project = await _project(manager)

    body = await graphql(FILE, {"input": _input(project)}, account=manager)
    payload = body["data"]["fileDailyReport"]
    assert payload["errors"] == []
    report = payload["dailyReport"]
    assert report["date"] == TODAY.isoformat()
    assert (report["workersNeeded"], report["workersOnSite"]) == (40, 28)
    assert report["onSiteRate"] == pytest.approx(0.7)
    assert report["workforce"] == [
        {"trade": "REBAR", "needed": 30, "onSite": 18},
        {"trade": "CONCRETE", "needed": 10, "onSite": 10},
    ]
    assert report["equipment"] == [{"name": "塔吊", "count": 2}]
    assert report["materialsReceived"][0]["quantity"] == "12.5"
    assert report["workDone"] == "三层顶板钢筋绑扎"
    assert report["reportedBy"] == {"username": "site"}
    assert report["amendedAt"] is None and report["editable"] is True
    assert report["project"] == {"code": "DR-1"}

    variables = {
        "id": global_id("Project", project.id),
        "from": (TODAY - dt.timedelta(days=7)).isoformat(),
        "to": TODAY.isoformat(),
        "day": TODAY.isoformat(),
    }
    read = (await graphql(READ, variables, account=manager))["data"]["node"]
    assert read["dailyReports"]["totalCount"] == 1
    assert read["dailyReport"]["workforce"] == [{"trade": "REBAR"}, {"trade": "CONCRETE"}]
    again = await graphql(
        "query($id: ID!) { node(id: $id) { ... on DailyReport { date workersNeeded } } }",
        {"id": report["id"]},
        account=manager,
    )
    assert again["data"]["node"] == {"date": TODAY.isoformat(), "workersNeeded": 40}


async def test_the_same_day_again_amends_the_report_and_audits_it(
    graphql: GraphQL, make_account: MakeAccount
) -> None:
    manager = await make_account(Role.SITE_MANAGER, "site")
    project = await _project(manager)
    first = await graphql(FILE, {"input": _input(project)}, account=manager)
    amended_input = _input(project, workforce=[{"trade": "REBAR", "needed": 30, "onSite": 27}])
    second = await graphql(FILE, {"input": amended_input}, account=manager)

    report = second["data"]["fileDailyReport"]["dailyReport"]
    assert report["id"] == first["data"]["fileDailyReport"]["dailyReport"]["id"]
    assert report["workforce"] == [{"trade": "REBAR", "needed": 30, "onSite": 27}]
    assert report["amendedAt"] is not None
    assert await DailyReport.all().count() == 1
    assert await DailyReportTrade.all().count() == 1
    actions = [e.action for e in await AuditEntry.filter(object_type="DailyReport").order_by("id")]
    assert actions == ["fileDailyReport", "amendDailyReport"]
    amendment = await AuditEntry.get(action="amendDailyReport")
    assert amendment.before is not None and amendment.after is not None
    assert amendment.before["workers_on_site"] == 28 and amendment.after["workers_on_site"] == 27


async def test_late_amendments_are_for_the_office(
    graphql: GraphQL, make_account: MakeAccount
) -> None:
    manager = await make_account(Role.SITE_MANAGER, "site")
    office = await make_account(Role.OFFICE, "office")
    project = await _project(manager)
    old = TODAY - dt.timedelta(days=3)
    filed = await graphql(FILE, {"input": _input(project, old)}, account=office)
    assert filed["data"]["fileDailyReport"]["errors"] == []
    assert filed["data"]["fileDailyReport"]["dailyReport"]["editable"] is True

    late = await graphql(FILE, {"input": _input(project, old, problems="补记")}, account=manager)
    payload = late["data"]["fileDailyReport"]
    assert payload["dailyReport"] is None
    assert payload["errors"][0]["code"] == "FORBIDDEN"
    assert (await DailyReport.get(project_id=project.id)).problems == "钢筋工缺员"
    variables = {"id": global_id("Project", project.id), "day": old.isoformat()}
    seen = await graphql(READ, variables, account=manager)
    assert seen["data"]["node"]["dailyReport"]["editable"] is False

    by_office = await graphql(
        FILE, {"input": _input(project, old, problems="补记")}, account=office
    )
    assert by_office["data"]["fileDailyReport"]["errors"] == []


async def test_a_retry_with_the_same_key_files_once(
    graphql: GraphQL, make_account: MakeAccount
) -> None:
    manager = await make_account(Role.SITE_MANAGER, "site")
    project = await _project(manager)
    given = _input(project, idempotencyKey="phone-0001")
    first = await graphql(FILE, {"input": given}, account=manager)
    second = await graphql(FILE, {"input": given}, account=manager)
    assert first["data"] == second["data"]
    assert await AuditEntry.filter(object_type="DailyReport").count() == 1
    other = await graphql(FILE, {"input": {**given, "problems": "另一份"}}, account=manager)
    errors = other["data"]["fileDailyReport"]["errors"]
    assert errors[0]["code"] == "CONFLICT" and errors[0]["field"] == ["input", "idempotencyKey"]


async def test_photos_of_the_project_are_shown_and_others_refused(
    client: httpx.AsyncClient, graphql: GraphQL, make_account: MakeAccount
) -> None:
    manager = await make_account(Role.SITE_MANAGER, "site")
    project = await _project(manager)
    other = await _project(manager, "DR-2")
    photo = jpeg_bytes((64, 48), exif_block(taken="2020:02:20 09:15:00"))
    mine = await upload_photo(client, manager, photo, projectId=global_id("Project", project.id))
    theirs = await upload_photo(client, manager, photo, projectId=global_id("Project", other.id))

    refused = await graphql(
        FILE,
        {"input": _input(project, photoIds=[mine["photo"]["id"], theirs["photo"]["id"]])},
        account=manager,
    )
    errors = refused["data"]["fileDailyReport"]["errors"]
    assert [e["field"] for e in errors] == [["input", "photoIds", "1"]]
    assert await DailyReport.all().count() == 0

    filed = await graphql(
        FILE, {"input": _input(project, photoIds=[mine["photo"]["id"]])}, account=manager
    )
    assert filed["data"]["fileDailyReport"]["dailyReport"]["photos"] == [
        {"id": mine["photo"]["id"]}
    ]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"workforce": [{"trade": "REBAR", "needed": -1, "onSite": 0}]}, "needed", "INVALID"),
        ({"workforce": [{"trade": "REBAR", "needed": 1, "onSite": 10**6}]}, "onSite", "INVALID"),
        (
            {"workforce": [{"trade": "REBAR", "needed": 1, "onSite": 1}] * 2},
            "trade",
            "INVALID",
        ),
        ({"date": (TODAY + dt.timedelta(days=1)).isoformat()}, "date", "INVALID"),
        ({"date": "2019-06-01"}, "date", "INVALID"),
        ({"temperatureLow": 20, "temperatureHigh": 10}, "temperatureLow", "INVALID"),
        ({"temperatureHigh": 99}, "temperatureHigh", "INVALID"),
        ({"workDone": "字" * 5001}, "workDone", "INVALID"),
        ({"equipment": [{"name": " ", "count": 1}]}, "name", "INVALID"),
        ({"equipment": [{"name": "泵车", "count": 1}] * 51}, "equipment", "INVALID"),
        (  # more lines than trades: one problem for the list, not one per line
            {"workforce": [{"trade": "REBAR", "needed": 1, "onSite": 1}] * 20_000},
            "workforce",
            "INVALID",
        ),
        ({"materialsShort": [{"material": "砂", "quantity": "-1"}]}, "quantity", "INVALID"),
        ({"materialsShort": [{"material": "砂", "quantity": "0.0001"}]}, "quantity", "INVALID"),
        ({"projectId": global_id("Milestone", 1)}, "projectId", "NOT_FOUND"),
        ({"photoIds": ["not an id"]}, "0", "INVALID"),
    ],
)
async def test_bad_input_is_a_field_error_that_stores_nothing(
    graphql: GraphQL, make_account: MakeAccount, change: dict, field: str, code: str
) -> None:
    manager = await make_account(Role.SITE_MANAGER, "site")
    project = await _project(manager)
    await Project.filter(id=project.id).update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    body = await graphql(FILE, {"input": _input(project, **change)}, account=manager)
    payload = body["data"]["fileDailyReport"]
    assert payload["dailyReport"] is None
    assert any(e["field"][-1] == field and e["code"] == code for e in payload["errors"]), payload
    assert await DailyReport.all().count() == 0
    assert await AuditEntry.filter(object_type="DailyReport").count() == 0


@pytest.mark.parametrize(
    "value",
    [
        {"trade": "CARPENTRY", "needed": 1, "onSite": 1},  # not a trade of the list
        {"trade": "REBAR", "needed": "many", "onSite": 1},  # wrong type
        {"trade": "REBAR", "needed": 2**40, "onSite": 1},  # past a 32-bit Int
        {"trade": "REBAR\x00", "needed": 1, "onSite": 1},  # NUL
    ],
)
async def test_malformed_workforce_is_refused_before_the_domain(
    client: httpx.AsyncClient, make_account: MakeAccount, value: dict
) -> None:
    manager = await make_account(Role.SITE_MANAGER, "site")
    project = await _project(manager)
    response = await client.post(
        "/graphql",
        json={"query": FILE, "variables": {"input": _input(project, workforce=[value])}},
        headers=manager.headers,
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] != "INTERNAL"
    assert await DailyReport.all().count() == 0


async def test_someone_elses_project_answers_like_a_missing_one(
    graphql: GraphQL, make_account: MakeAccount
) -> None:
    mine = await make_account(Role.SITE_MANAGER, "site")
    stranger = await make_account(Role.SITE_MANAGER, "stranger")
    project = await _project(mine)
    body = await graphql(FILE, {"input": _input(project)}, account=stranger)
    errors = body["data"]["fileDailyReport"]["errors"]
    assert errors[0]["code"] == "NOT_FOUND" and errors[0]["field"] == ["input", "projectId"]
    await graphql(FILE, {"input": _input(project)}, account=mine)
    report = await DailyReport.get(project_id=project.id)
    hidden = await graphql(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": global_id("DailyReport", report.id)},
        account=stranger,
    )
    assert hidden["data"]["node"] is None


async def test_a_reversed_range_is_refused(graphql: GraphQL, make_account: MakeAccount) -> None:
    manager = await make_account(Role.SITE_MANAGER, "site")
    project = await _project(manager)
    variables = {
        "id": global_id("Project", project.id),
        "from": TODAY.isoformat(),
        "to": (TODAY - dt.timedelta(days=1)).isoformat(),
        "day": TODAY.isoformat(),
    }
    body = await graphql(READ, variables, account=manager)
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


MISSING = """
query($day: Date!, $filter: ProjectFilter) {
  missingDailyReports(date: $day, filter: $filter) { totalCount edges { node { code } } }
}
"""


async def test_missing_reports_list_working_projects_without_the_days_report(
    graphql: GraphQL, make_account: MakeAccount
) -> None:
    manager = await make_account(Role.SITE_MANAGER, "site")
    office = await make_account(Role.OFFICE, "office")
    working = ProjectStatus.UNDER_CONSTRUCTION
    reported = await factories.project("M-1", status=working, town="金山桥街道")
    silent = await factories.project("M-2", status=working, town="金山桥街道")
    await factories.project("M-3", status=working, town="东环街道")
    await factories.project("M-4", status=ProjectStatus.PLANNED)  # not expected to report
    await factories.project("M-5", status=ProjectStatus.SUSPENDED)
    await silent.site_managers.add(manager.user)
    yesterday = TODAY - dt.timedelta(days=1)
    await factories.daily_report(reported, office.user, yesterday)
    await factories.daily_report(silent, office.user, TODAY - dt.timedelta(days=2))

    def codes(body: dict[str, Any]) -> list[str]:
        page = body["data"]["missingDailyReports"]
        assert page["totalCount"] == len(page["edges"])
        return [edge["node"]["code"] for edge in page["edges"]]

    day = yesterday.isoformat()
    assert codes(await graphql(MISSING, {"day": day}, account=office)) == ["M-2", "M-3"]
    town = {"town": "东环街道"}
    assert codes(await graphql(MISSING, {"day": day, "filter": town}, account=office)) == ["M-3"]
    assert codes(await graphql(MISSING, {"day": day}, account=manager)) == ["M-2"]
    before = (TODAY - dt.timedelta(days=2)).isoformat()
    assert codes(await graphql(MISSING, {"day": before}, account=office)) == ["M-1", "M-3"]

    future = (TODAY + dt.timedelta(days=1)).isoformat()
    refused = await graphql(MISSING, {"day": future}, account=office)
    assert refused["errors"][0]["extensions"]["code"] == "INVALID"


SERIES = """
query($from: Date!, $to: Date!, $by: LabourGroupBy!, $filter: ProjectFilter) {
  labourSeries(from: $from, to: $to, groupBy: $by, filter: $filter) {
    key label points { date workersNeeded workersOnSite onSiteRate projectsReporting
      projectsExpected projectsResumed resumptionRate }
  }
}
"""


async def test_the_labour_series_and_resumption_through_the_api(
    graphql: GraphQL, make_account: MakeAccount
) -> None:
    manager = await make_account(Role.SITE_MANAGER, "site")
    office = await make_account(Role.OFFICE, "office")
    working = ProjectStatus.UNDER_CONSTRUCTION
    east = await factories.project("L-1", status=working, town="东环街道")
    west = await factories.project("L-2", status=working, town="金山桥街道")
    await east.site_managers.add(manager.user)
    day = TODAY - dt.timedelta(days=1)
    await factories.daily_report(east, office.user, day, needed=20, on_site=15)
    await factories.daily_report(west, office.user, day, needed=10, on_site=0)
    span = {"from": day.isoformat(), "to": TODAY.isoformat()}

    zone = (await graphql(SERIES, {**span, "by": "ZONE"}, account=office))["data"]
    [series] = zone["labourSeries"]
    assert (series["key"], series["label"]) == ("ZONE", "全区")
    first, last = series["points"]
    assert (first["workersNeeded"], first["workersOnSite"]) == (30, 15)
    assert first["onSiteRate"] == pytest.approx(0.5)
    assert (first["projectsReporting"], first["projectsExpected"]) == (2, 2)
    assert first["projectsResumed"] == 1 and first["resumptionRate"] == pytest.approx(0.5)
    assert (last["workersNeeded"], last["onSiteRate"], last["projectsReporting"]) == (0, None, 0)
    assert last["projectsResumed"] == 1  # workers on site yesterday: still resumed today

    towns = await graphql(SERIES, {**span, "by": "TOWN"}, account=manager)
    assert [s["label"] for s in towns["data"]["labourSeries"]] == ["东环街道"]  # only theirs

    resumed = await graphql("{ projects { edges { node { code resumedOn } } } }", account=office)
    assert {
        e["node"]["code"]: e["node"]["resumedOn"] for e in resumed["data"]["projects"]["edges"]
    } == {
        "L-1": day.isoformat(),
        "L-2": None,
    }

    backwards = {"from": TODAY.isoformat(), "to": day.isoformat(), "by": "ZONE"}
    refused = await graphql(SERIES, backwards, account=office)
    assert refused["errors"][0]["extensions"]["code"] == "INVALID"
    too_long = {"from": "2019-01-01", "to": TODAY.isoformat(), "by": "ZONE"}
    refused = await graphql(SERIES, too_long, account=office)
    assert refused["errors"][0]["extensions"]["code"] == "INVALID"


ALERTS = """
{ labourAlerts { totalCount edges { node {
    project { code labourAlert { days } } since days onSiteRate
    shortTrades { trade needed onSite } latestReport { date }
} } } }
"""


async def test_three_low_reports_start_an_alert_and_tell_the_office_once(
    graphql: GraphQL, make_account: MakeAccount
) -> None:
    manager = await make_account(Role.SITE_MANAGER, "site")
    office = await make_account(Role.OFFICE, "office")
    project = await _project(manager)
    await Project.filter(id=project.id).update(status=ProjectStatus.UNDER_CONSTRUCTION)
    low = [
        {"trade": "REBAR", "needed": 30, "onSite": 12},
        {"trade": "CONCRETE", "needed": 10, "onSite": 10},
    ]

    async def file(days_ago: int, workforce: list[dict[str, Any]]) -> None:
        day = TODAY - dt.timedelta(days=days_ago)
        body = await graphql(
            FILE, {"input": _input(project, day, workforce=workforce)}, account=manager
        )
        assert body["data"]["fileDailyReport"]["errors"] == []

    async def alerts() -> list[dict[str, Any]]:
        body = await graphql(ALERTS, account=office)
        return [edge["node"] for edge in body["data"]["labourAlerts"]["edges"]]

    await file(4, [{"trade": "REBAR", "needed": 30, "onSite": 28}])  # a good day
    await file(3, low)
    await file(2, low)
    assert await alerts() == []
    assert not await Notification.filter(kind="LABOUR_ALERT").exists()

    await file(1, low)
    [alert] = await alerts()
    assert alert["project"] == {"code": "DR-1", "labourAlert": {"days": 3}}
    assert (alert["since"], alert["days"]) == ((TODAY - dt.timedelta(days=3)).isoformat(), 3)
    assert alert["onSiteRate"] == pytest.approx(22 / 40)
    assert alert["shortTrades"] == [{"trade": "REBAR", "needed": 30, "onSite": 12}]
    told = await Notification.filter(kind="LABOUR_ALERT")
    assert [n.user_id for n in told] == [office.user.id]

    await file(0, low)  # the alert goes on; the office is not told again
    assert (await alerts())[0]["days"] == 4
    assert await Notification.filter(kind="LABOUR_ALERT").count() == 1

    ticket = await graphql(
        "mutation($i: CreateShortageTicketInput!) { createShortageTicket(input: $i) {"
        " errors { code } } }",
        {
            "i": {
                "projectId": global_id("Project", project.id),
                "kind": "LABOUR",
                "title": "缺钢筋工",
                "trade": "钢筋工",
                "headcount": 18,
            }
        },
        account=manager,
    )
    assert ticket["data"]["createShortageTicket"]["errors"] == []
    assert await alerts() == []  # handled: a LABOUR ticket is open


FROM_REPORT = """
mutation($i: CreateShortageTicketInput!) {
  createShortageTicket(input: $i) {
    ticket { kind trade headcount dailyReport { date } }
    errors { field code message }
  }
}
"""


async def test_a_labour_ticket_filed_from_a_report_is_prefilled_and_linked(
    graphql: GraphQL, make_account: MakeAccount
) -> None:
    manager = await make_account(Role.SITE_MANAGER, "site")
    project = await _project(manager)
    other = await _project(manager, "DR-2")
    workforce = [
        {"trade": "REBAR", "needed": 30, "onSite": 18},
        {"trade": "FORMWORK", "needed": 10, "onSite": 7},
        {"trade": "CONCRETE", "needed": 5, "onSite": 5},
    ]
    filed = await graphql(FILE, {"input": _input(project, workforce=workforce)}, account=manager)
    report_id = filed["data"]["fileDailyReport"]["dailyReport"]["id"]
    base = {"projectId": global_id("Project", project.id), "kind": "LABOUR", "title": "缺员"}

    body = await graphql(FROM_REPORT, {"i": {**base, "dailyReportId": report_id}}, account=manager)
    ticket = body["data"]["createShortageTicket"]["ticket"]
    assert ticket == {
        "kind": "LABOUR",
        "trade": "钢筋工、木工",
        "headcount": 15,
        "dailyReport": {"date": TODAY.isoformat()},
    }
    given = {**base, "dailyReportId": report_id, "trade": "钢筋工", "headcount": 12}
    body = await graphql(FROM_REPORT, {"i": given}, account=manager)
    assert body["data"]["createShortageTicket"]["ticket"]["headcount"] == 12

    refusals = [
        ({**base, "projectId": global_id("Project", other.id)}, "NOT_FOUND"),
        ({**base, "kind": "MATERIAL", "material": "砂", "quantity": "1", "unit": "吨"}, "INVALID"),
        ({**base, "dailyReportId": global_id("Project", project.id)}, "NOT_FOUND"),
    ]
    for values, code in refusals:
        values = {"dailyReportId": report_id, **values}
        body = await graphql(FROM_REPORT, {"i": values}, account=manager)
        payload = body["data"]["createShortageTicket"]
        assert payload["ticket"] is None
        assert payload["errors"][0] == {
            "field": ["input", "dailyReportId"],
            "code": code,
            "message": payload["errors"][0]["message"],
        }
