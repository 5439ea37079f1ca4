"""Projects through the API: queries, filters, health, and the project mutations."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from schema.relay import global_id
from server.domain.clock import zone_today
from server.domain.models import AuditEntry, Project, Role, Severity, TaskSheet
from server.settings import Settings
from tests import factories
from tests.conftest import Account, GraphQL, MakeAccount

PROJECTS = """
query($filter: ProjectFilter) {
  projects(first: 50, filter: $filter) {
    totalCount
    edges { node { id code health programmes { code year } siteManagers { username } } }
  }
}"""


def today(settings: Settings) -> dt.date:
    return zone_today(settings.zone)


async def test_projects_list_with_health_and_programmes(
    graphql: GraphQL, office: Account, settings: Settings
) -> None:
    now = today(settings)
    p1090 = await factories.programme("1090")
    green = await factories.project("A-GREEN", programmes=(p1090,))
    await factories.milestone(green, now + dt.timedelta(days=10))
    red = await factories.project("B-RED")
    await factories.milestone(red, now - dt.timedelta(days=40))
    body = await graphql(PROJECTS, account=office)
    nodes = [e["node"] for e in body["data"]["projects"]["edges"]]
    assert body["data"]["projects"]["totalCount"] == 2
    assert [(n["code"], n["health"]) for n in nodes] == [("A-GREEN", "GREEN"), ("B-RED", "RED")]
    assert nodes[0]["programmes"] == [{"code": "1090", "year": 2020}]
    assert nodes[0]["id"] == global_id("Project", green.id)


CREATE_PROJECT = """
mutation($input: CreateProjectInput!) {
  createProject(input: $input) {
    project { id code name responsibleUnit totalInvestment location { latitude longitude }
              programmes { code } siteManagers { username } status health }
    errors { field code message }
  }
}"""


async def test_create_project_writes_it_and_the_audit_log(
    graphql: GraphQL, office: Account, site_manager: Account
) -> None:
    p1090 = await factories.programme("1090")
    body = await graphql(
        CREATE_PROJECT,
        {
            "input": {
                "code": "JK-2020-001",
                "name": "徐工重型机械产业园",
                "responsibleUnit": "经开区经发局",
                "programmeIds": [global_id("Programme", p1090.id)],
                "siteManagerIds": [global_id("User", site_manager.user.id)],
                "totalInvestment": "125000.00",
                "location": {"latitude": 34.25, "longitude": 117.28},
                "plannedStart": "2020-03-01",
                "plannedFinish": "2021-12-31",
            }
        },
        account=office,
    )
    payload = body["data"]["createProject"]
    assert payload["errors"] == []
    assert payload["project"]["programmes"] == [{"code": "1090"}]
    assert payload["project"]["siteManagers"] == [{"username": "site1"}]
    assert payload["project"]["totalInvestment"] == "125000.00"
    assert payload["project"]["status"] == "PLANNED"
    assert payload["project"]["health"] == "GREEN"
    entry = await AuditEntry.get(action="project.create")
    assert entry.after["code"] == "JK-2020-001"
    assert entry.actor_id == office.user.id


async def test_create_project_reports_each_bad_field_and_writes_nothing(
    graphql: GraphQL, office: Account, coordinator: Account
) -> None:
    await factories.project("TAKEN")
    body = await graphql(
        CREATE_PROJECT,
        {
            "input": {
                "code": "TAKEN",
                "name": "  ",
                "responsibleUnit": "建设局",
                "totalInvestment": "-1",
                "plannedStart": "2020-05-01",
                "plannedFinish": "2020-04-01",
                "programmeIds": ["UHJvZ3JhbW1lOjk5OTk="],
                "siteManagerIds": [global_id("User", coordinator.user.id)],
            }
        },
        account=office,
    )
    errors = body["data"]["createProject"]["errors"]
    found = {(tuple(e["field"]), e["code"]) for e in errors}
    assert found == {
        (("input", "code"), "CONFLICT"),
        (("input", "name"), "INVALID"),
        (("input", "totalInvestment"), "INVALID"),
        (("input", "plannedFinish"), "INVALID"),
        (("input", "programmeIds", "0"), "NOT_FOUND"),
        (("input", "siteManagerIds", "0"), "INVALID"),
    }
    assert await Project.all().count() == 1
    assert not await AuditEntry.exists(action="project.create")


async def _codes(graphql: GraphQL, account: Account, filter: dict) -> list[str]:
    body = await graphql(PROJECTS, {"filter": filter}, account=account)
    assert "errors" not in body, body
    return [edge["node"]["code"] for edge in body["data"]["projects"]["edges"]]


async def test_every_project_filter_field(
    graphql: GraphQL, office: Account, settings: Settings, make_account: MakeAccount
) -> None:
    now = today(settings)
    reporter = (await make_account(Role.SITE_MANAGER, "rep")).user
    p1090_2020 = await factories.programme("1090", 2020)
    p1050_2021 = await factories.programme("1050", 2021)
    p1090_2021 = await factories.programme("1090", 2021)
    a = await factories.project(
        "A-01", programmes=(p1090_2020, p1050_2021), name="徐工重型机械", town="东环街道"
    )
    b = await factories.project(
        "B-02", programmes=(p1090_2021,), responsible_unit="卫健局", status="COMPLETED"
    )
    c = await factories.project("C-03", town="大庙街道")
    await factories.milestone(a, now - dt.timedelta(days=3))
    await factories.ticket(c, reporter, Severity.HIGH)
    assert b.status == "COMPLETED"

    assert await _codes(graphql, office, {"programmeCodes": ["1090"]}) == ["A-01", "B-02"]
    assert await _codes(graphql, office, {"year": 2021}) == ["A-01", "B-02"]
    # the same programme must match code and year together
    assert await _codes(graphql, office, {"programmeCodes": ["1050"], "year": 2020}) == []
    assert await _codes(graphql, office, {"programmeCodes": ["1090"], "year": 2020}) == ["A-01"]
    assert await _codes(graphql, office, {"town": "大庙街道"}) == ["C-03"]
    assert await _codes(graphql, office, {"responsibleUnit": "卫健局"}) == ["B-02"]
    assert await _codes(graphql, office, {"status": ["COMPLETED"]}) == ["B-02"]
    assert await _codes(graphql, office, {"search": "重型"}) == ["A-01"]
    assert await _codes(graphql, office, {"search": "c-0"}) == ["C-03"]
    assert await _codes(graphql, office, {"health": ["YELLOW", "ORANGE"]}) == ["A-01", "C-03"]
    assert await _codes(graphql, office, {"health": ["BLUE"], "year": 2021}) == ["B-02"]


async def test_projects_pages_and_counts(graphql: GraphQL, office: Account) -> None:
    for index in range(5):
        await factories.project(f"PG-{index}")
    query = """query($after: String) { projects(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { code } } } }"""
    first = (await graphql(query, account=office))["data"]["projects"]
    assert first["totalCount"] == 5
    assert [e["node"]["code"] for e in first["edges"]] == ["PG-0", "PG-1"]
    after = first["pageInfo"]["endCursor"]
    second = (await graphql(query, {"after": after}, account=office))["data"]["projects"]
    assert [e["node"]["code"] for e in second["edges"]] == ["PG-2", "PG-3"]
    too_many = await graphql("{ projects(first: 101) { totalCount } }", account=office)
    assert too_many["errors"][0]["extensions"]["code"] == "INVALID"


async def test_site_manager_sees_only_their_projects_and_me_projects(
    graphql: GraphQL, site_manager: Account, office: Account
) -> None:
    mine = await factories.project("MINE")
    other = await factories.project("OTHER")
    await mine.site_managers.add(site_manager.user)
    assert await _codes(graphql, site_manager, {}) == ["MINE"]
    assert await _codes(graphql, office, {}) == ["MINE", "OTHER"]
    me = await graphql(
        "{ me { projects { totalCount edges { node { code } } } } }", account=site_manager
    )
    assert me["data"]["me"]["projects"]["edges"] == [{"node": {"code": "MINE"}}]
    hidden = await graphql(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": global_id("Project", other.id)},
        account=site_manager,
    )
    assert hidden["data"]["node"] is None
    managers = await graphql(
        "{ projects { edges { node { siteManagers { username projects { totalCount } } } } } }",
        account=office,
    )
    first = managers["data"]["projects"]["edges"][0]["node"]
    assert first["siteManagers"] == [{"username": "site1", "projects": {"totalCount": 1}}]


async def test_update_project_changes_only_given_fields(graphql: GraphQL, office: Account) -> None:
    project = await factories.project("UPD", planned_start=dt.date(2020, 3, 1), town="东环街道")
    programme = await factories.programme()
    mutation = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
        project { code name town status plannedStart plannedFinish programmes { code } }
        errors { field code } } }"""
    body = await graphql(
        mutation,
        {
            "input": {
                "projectId": global_id("Project", project.id),
                "name": "新名称",
                "status": "UNDER_CONSTRUCTION",
                "plannedFinish": "2021-01-01",
                "programmeIds": [global_id("Programme", programme.id)],
            }
        },
        account=office,
    )
    payload = body["data"]["updateProject"]
    assert payload["errors"] == []
    assert payload["project"] == {
        "code": "UPD",
        "name": "新名称",
        "town": "东环街道",
        "status": "UNDER_CONSTRUCTION",
        "plannedStart": "2020-03-01",
        "plannedFinish": "2021-01-01",
        "programmes": [{"code": "1090"}],
    }
    bad = await graphql(
        mutation,
        {
            "input": {
                "projectId": global_id("Project", project.id),
                "plannedFinish": "2020-01-01",
                "name": "",
            }
        },
        account=office,
    )
    errors = {(tuple(e["field"]), e["code"]) for e in bad["data"]["updateProject"]["errors"]}
    assert errors == {(("input", "plannedFinish"), "INVALID"), (("input", "name"), "INVALID")}
    assert (await Project.get(id=project.id)).name == "新名称"
    entry = await AuditEntry.get(action="project.update")
    assert entry.before["name"] != entry.after["name"]


async def test_set_project_site_managers(
    graphql: GraphQL, office: Account, site_manager: Account, supervisor: Account
) -> None:
    project = await factories.project()
    mutation = """mutation($input: SetProjectSiteManagersInput!) {
        setProjectSiteManagers(input: $input) {
          project { siteManagers { username } } errors { field code } } }"""
    pid = global_id("Project", project.id)
    body = await graphql(
        mutation,
        {"input": {"projectId": pid, "userIds": [global_id("User", site_manager.user.id)]}},
        account=office,
    )
    assert body["data"]["setProjectSiteManagers"]["project"]["siteManagers"] == [
        {"username": "site1"}
    ]
    wrong = await graphql(
        mutation,
        {"input": {"projectId": pid, "userIds": [global_id("User", supervisor.user.id), "x"]}},
        account=office,
    )
    assert [(e["field"], e["code"]) for e in wrong["data"]["setProjectSiteManagers"]["errors"]] == [
        (["input", "userIds", "0"], "INVALID"),
        (["input", "userIds", "1"], "NOT_FOUND"),
    ]
    assert await project.site_managers.all().count() == 1


TASK_SHEET = """mutation($input: SaveTaskSheetInput!) { saveTaskSheet(input: $input) {
    taskSheet { id year revision scope annualInvestmentTarget items { title done dueDate } }
    errors { field code } } }"""


async def test_save_task_sheet_reissues_and_keeps_revisions(
    graphql: GraphQL, office: Account
) -> None:
    project = await factories.project()
    pid = global_id("Project", project.id)
    sheet = {
        "projectId": pid,
        "year": 2020,
        "scope": "联合厂房 12 万平方米",
        "annualInvestmentTarget": "50000",
        "items": [{"title": "完成桩基", "dueDate": "2020-05-30"}, {"title": "主体封顶"}],
    }
    first = await graphql(TASK_SHEET, {"input": sheet}, account=office)
    assert first["data"]["saveTaskSheet"]["taskSheet"]["revision"] == 1
    sheet["annualInvestmentTarget"] = "42000.50"
    second = await graphql(TASK_SHEET, {"input": sheet}, account=office)
    assert second["data"]["saveTaskSheet"]["taskSheet"]["revision"] == 2
    read = await graphql(
        """query($id: ID!) { node(id: $id) { ... on Project {
             taskSheet { revision annualInvestmentTarget items { title }
                         revisions { revision annualInvestmentTarget } }
             old: taskSheet(year: 2019) { revision } } } }""",
        {"id": pid},
        account=office,
    )
    assert "errors" not in read, read
    node = read["data"]["node"]
    assert node["old"] is None
    assert node["taskSheet"]["revision"] == 2
    assert node["taskSheet"]["annualInvestmentTarget"] == "42000.50"
    assert node["taskSheet"]["items"] == [{"title": "完成桩基"}, {"title": "主体封顶"}]
    assert node["taskSheet"]["revisions"] == [
        {"revision": 2, "annualInvestmentTarget": "42000.50"},
        {"revision": 1, "annualInvestmentTarget": "50000.00"},
    ]
    bad = await graphql(
        TASK_SHEET,
        {"input": {**sheet, "completedInvestment": "-5", "items": [{"title": " "}]}},
        account=office,
    )
    errors = [(e["field"], e["code"]) for e in bad["data"]["saveTaskSheet"]["errors"]]
    assert errors == [
        (["input", "completedInvestment"], "INVALID"),
        (["input", "items", "0", "title"], "INVALID"),
    ]
    assert await TaskSheet.filter(project_id=project.id).count() == 2


async def test_projects_ordered_worst_colour_first_by_the_database(
    graphql: GraphQL,
    office: Account,
    site_manager: Account,
    settings: Settings,
    make_account: MakeAccount,
    count_statements: Any,
) -> None:
    now = today(settings)
    reporter = (await make_account(Role.SITE_MANAGER, "rep")).user
    programme = await factories.programme()
    blue = await factories.project("A-BLUE", programmes=(programme,), status="COMPLETED")
    green = await factories.project("B-GREEN", programmes=(programme,), town="大庙街道")
    red = await factories.project("C-RED", programmes=(programme,), town="大庙街道")
    await factories.ticket(red, reporter, Severity.CRITICAL)
    yellow = await factories.project("D-YELLOW", programmes=(programme,), town="大庙街道")
    await factories.milestone(yellow, now - dt.timedelta(days=2))
    orange = await factories.project("E-ORANGE", programmes=(programme,), town="大庙街道")
    await factories.milestone(orange, now - dt.timedelta(days=9))
    for project in (blue, green, red, yellow, orange):
        await project.site_managers.add(site_manager.user)
    query = """query($filter: ProjectFilter) {
      projects(orderBy: HEALTH, filter: $filter) { totalCount edges { node { code health } } } }"""
    with count_statements() as counter:
        body = await graphql(query, account=office)
    assert [e["node"]["health"] for e in body["data"]["projects"]["edges"]] == [
        "RED",
        "ORANGE",
        "YELLOW",
        "GREEN",
        "BLUE",
    ]
    assert any("CASE" in sql and "ORDER BY" in sql for sql in counter.statements)
    filtered = {
        "town": "大庙街道",
        "health": ["RED", "YELLOW", "GREEN"],
        "programmeCodes": ["1090"],
        "search": "-",
    }
    for who in (office, site_manager):
        body = await graphql(query, {"filter": filtered}, account=who)
        assert "errors" not in body, body
        assert [e["node"]["code"] for e in body["data"]["projects"]["edges"]] == [
            "C-RED",
            "D-YELLOW",
            "B-GREEN",
        ]
        assert body["data"]["projects"]["totalCount"] == 3
    by_name = await graphql("{ projects(orderBy: NAME) { totalCount } }", account=office)
    assert by_name["data"]["projects"]["totalCount"] == 5


# --- hostile input: refused clearly, never INTERNAL ----------------------------------------


def _codes_of(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


async def test_over_long_search_and_filter_texts_are_refused(
    graphql: GraphQL, office: Account, settings: Settings
) -> None:
    await factories.project("S-1", name="搜索")
    limit = settings.max_search_length
    ok = await graphql(PROJECTS, {"filter": {"search": "搜" * limit}}, account=office)
    assert ok["data"]["projects"]["totalCount"] == 0
    cases = [
        ({"search": "搜" * (limit + 1)}, f"at most {limit}"),
        ({"search": "x" * 50_000}, "filter.search"),
        ({"town": "镇" * 65}, "filter.town"),
        ({"responsibleUnit": "局" * 129}, "filter.responsibleUnit"),
        ({"programmeCodes": ["1" * 33]}, "filter.programmeCodes"),
        ({"programmeCodes": ["1090"] * 101}, "at most 100 items"),
        ({"year": 3000}, "filter.year"),
        ({"year": -(2**31)}, "filter.year"),
    ]
    for filter, words in cases:
        body = await graphql(PROJECTS, {"filter": filter}, account=office)
        assert body["data"] is None and _codes_of(body) == ["INVALID"], body
        assert words in body["errors"][0]["message"]


async def test_cursors_out_of_range_are_invalid(graphql: GraphQL, office: Account) -> None:
    await factories.project("C-1")
    query = "query($after: String) { projects(after: $after) { edges { node { code } } } }"
    for offset in ("-1", "-5", "10000000", "9223372036854775808", "9" * 5000, "x"):
        cursor = base64.b64encode(f"offset:{offset}".encode()).decode()
        body = await graphql(query, {"after": cursor}, account=office)
        assert _codes_of(body) == ["INVALID"], (offset, body)
    for cursor in ("", "offset:1", "b2Zmc2V0OjE=\n", "b2Zmc2V0OjE"):
        body = await graphql(query, {"after": cursor}, account=office)
        assert _codes_of(body) == ["INVALID"], (cursor, body)
    last = base64.b64encode(b"offset:9999999").decode()
    body = await graphql(query, {"after": last}, account=office)
    assert body["data"]["projects"]["edges"] == []


async def test_ids_beyond_the_id_columns_name_nothing(graphql: GraphQL, office: Account) -> None:
    for pk in (2**31, 2**63, 0, -1):
        body = await graphql(
            "query($id: ID!) { node(id: $id) { id } }",
            {"id": global_id("Project", pk)},
            account=office,
        )
        assert body == {"data": {"node": None}, "extensions": body.get("extensions")}


async def test_project_mutations_refuse_what_the_columns_cannot_hold(
    graphql: GraphQL, office: Account
) -> None:
    body = await graphql(
        CREATE_PROJECT,
        {
            "input": {
                "code": "C" * 65,
                "name": "名" * 257,
                "responsibleUnit": "局" * 129,
                "leadOfficial": "领" * 65,
                "town": "镇" * 65,
                "totalInvestment": "1.005",
                "programmeIds": [global_id("Programme", 1)] * 101,
                "siteManagerIds": [global_id("User", 2**31)],
            }
        },
        account=office,
    )
    errors = body["data"]["createProject"]["errors"]
    fields = {tuple(e["field"]): e["code"] for e in errors}
    assert fields == {
        ("input", "code"): "INVALID",
        ("input", "name"): "INVALID",
        ("input", "responsibleUnit"): "INVALID",
        ("input", "leadOfficial"): "INVALID",
        ("input", "town"): "INVALID",
        ("input", "totalInvestment"): "INVALID",
        ("input", "programmeIds"): "INVALID",
        ("input", "siteManagerIds", "0"): "NOT_FOUND",
    }
    assert await Project.all().count() == 0


async def test_task_sheets_refuse_long_lists_and_texts(graphql: GraphQL, office: Account) -> None:
    project = await factories.project("T-1")
    pid = global_id("Project", project.id)
    many = await graphql(
        TASK_SHEET,
        {"input": {"projectId": pid, "year": 2020, "items": [{"title": "x"}] * 101}},
        account=office,
    )
    assert many["data"]["saveTaskSheet"]["errors"] == [
        {"field": ["input", "items"], "code": "INVALID"}
    ]
    long = await graphql(
        TASK_SHEET,
        {
            "input": {
                "projectId": pid,
                "year": 2020,
                "completedInvestment": "0.001",
                "items": [{"title": "标" * 257, "responsiblePerson": "人" * 65}],
            }
        },
        account=office,
    )
    assert {tuple(e["field"]) for e in long["data"]["saveTaskSheet"]["errors"]} == {
        ("input", "completedInvestment"),
        ("input", "items", "0", "title"),
        ("input", "items", "0", "responsiblePerson"),
    }
    assert await TaskSheet.all().count() == 0


async def test_programmes_refuse_years_and_codes_out_of_range(
    graphql: GraphQL, office: Account
) -> None:
    body = await graphql("{ programmes(year: 3000) { code } }", account=office)
    assert _codes_of(body) == ["INVALID"]
    created = await graphql(
        """mutation($input: CreateProgrammeInput!) {
          createProgramme(input: $input) { programme { id } errors { field code } } }""",
        {"input": {"code": "1" * 33, "name": "名" * 129, "year": 2020}},
        account=office,
    )
    assert created["data"]["createProgramme"] == {
        "programme": None,
        "errors": [
            {"field": ["input", "code"], "code": "INVALID"},
            {"field": ["input", "name"], "code": "INVALID"},
        ],
    }
