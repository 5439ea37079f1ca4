"""Programmes through the API: the list, their projects, statistics and createProgramme."""

from __future__ import annotations

import asyncio
import datetime as dt

from schema.relay import global_id
from server.domain.clock import zone_today
from server.domain.models import AuditEntry, Programme, Role, Severity, TicketStatus
from server.settings import Settings
from tests import factories
from tests.conftest import Account, GraphQL, MakeAccount

PROGRAMMES = """query($year: Int) { programmes(year: $year) {
  id code year
  projects(first: 10) { totalCount edges { node { code } } }
  stats { projectCount overdueMilestoneCount openTicketCount healthCounts { health count } }
} }"""


async def test_programmes_with_projects_and_stats(
    graphql: GraphQL,
    office: Account,
    site_manager: Account,
    settings: Settings,
    make_account: MakeAccount,
) -> None:
    today = zone_today(settings.zone)
    reporter = (await make_account(Role.SITE_MANAGER, "rep")).user
    p1090 = await factories.programme("1090", 2020)
    p1050 = await factories.programme("1050", 2020)
    await factories.programme("1090", 2019)
    red = await factories.project("R-1", programmes=(p1090,))
    await factories.milestone(red, today - dt.timedelta(days=40))
    await factories.milestone(red, today - dt.timedelta(days=2))
    high = await factories.project("H-1", programmes=(p1090, p1050))
    await factories.ticket(high, reporter, Severity.HIGH)
    await factories.ticket(high, reporter, Severity.LOW, TicketStatus.CLOSED)
    await high.site_managers.add(site_manager.user)

    body = await graphql(PROGRAMMES, {"year": 2020}, account=office)
    programmes = {p["code"]: p for p in body["data"]["programmes"]}
    assert [p["code"] for p in body["data"]["programmes"]] == ["1050", "1090"]
    assert programmes["1090"]["projects"]["totalCount"] == 2
    counts = {c["health"]: c["count"] for c in programmes["1090"]["stats"]["healthCounts"]}
    assert counts == {"BLUE": 0, "GREEN": 0, "YELLOW": 0, "ORANGE": 1, "RED": 1}
    assert programmes["1090"]["stats"]["projectCount"] == 2
    assert programmes["1090"]["stats"]["overdueMilestoneCount"] == 2
    assert programmes["1090"]["stats"]["openTicketCount"] == 1
    assert programmes["1050"]["stats"]["overdueMilestoneCount"] == 0

    every_year = await graphql(PROGRAMMES, account=office)
    assert len(every_year["data"]["programmes"]) == 3

    mine = await graphql(PROGRAMMES, {"year": 2020}, account=site_manager)
    seen = {p["code"]: p for p in mine["data"]["programmes"]}
    assert seen["1090"]["projects"]["edges"] == [{"node": {"code": "H-1"}}]
    assert seen["1090"]["stats"]["projectCount"] == 1
    assert seen["1090"]["stats"]["overdueMilestoneCount"] == 0


async def test_programme_projects_take_a_filter(
    graphql: GraphQL, office: Account, settings: Settings
) -> None:
    programme = await factories.programme()
    await factories.project("A", programmes=(programme,), town="东环街道")
    await factories.project("B", programmes=(programme,), town="大庙街道")
    await factories.project("C", town="大庙街道")
    body = await graphql(
        """query($id: ID!) { node(id: $id) { ... on Programme {
            projects(filter: {town: "大庙街道"}) { edges { node { code } } } } } }""",
        {"id": global_id("Programme", programme.id)},
        account=office,
    )
    assert body["data"]["node"]["projects"]["edges"] == [{"node": {"code": "B"}}]


CREATE = """mutation($input: CreateProgrammeInput!) { createProgramme(input: $input) {
    programme { code name year } errors { field code } } }"""


async def test_create_programme_refuses_a_duplicate(graphql: GraphQL, office: Account) -> None:
    values = {"code": "1090", "name": "重大产业项目", "year": 2020}
    first = await graphql(CREATE, {"input": values}, account=office)
    assert first["data"]["createProgramme"] == {"programme": values, "errors": []}
    again = await graphql(CREATE, {"input": values}, account=office)
    assert again["data"]["createProgramme"]["errors"] == [
        {"field": ["input", "code"], "code": "CONFLICT"}
    ]
    blank = await graphql(CREATE, {"input": {**values, "name": "", "year": 1900}}, account=office)
    assert {e["field"][-1] for e in blank["data"]["createProgramme"]["errors"]} == {
        "name",
        "year",
    }
    assert await Programme.all().count() == 1
    assert await AuditEntry.filter(action="programme.create").count() == 1


async def test_two_creates_at_once_make_one_programme(graphql: GraphQL, office: Account) -> None:
    values = {"code": "1080", "name": "民生实事项目", "year": 2020}
    answers = await asyncio.gather(
        *(graphql(CREATE, {"input": values}, account=office) for _ in range(2))
    )
    outcomes = sorted(
        (a["data"]["createProgramme"]["errors"] or [{"code": "ok"}])[0]["code"] for a in answers
    )
    assert outcomes == ["CONFLICT", "ok"]
    assert await Programme.filter(code="1080").count() == 1
