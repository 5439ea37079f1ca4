"""Projects through the API: queries, filters, health, and the project mutations."""

from __future__ import annotations

import datetime as dt

from schema.relay import global_id
from server.clock import zone_today
from server.models import AuditEntry, Project
from server.settings import Settings
from tests import factories
from tests.conftest import Account, GraphQL

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
