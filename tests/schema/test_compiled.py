"""Compiled pages answer exactly as the resolvers do.

A corpus of documents runs through the service twice over the same data: with compiled reads
(the service as configured) and through a second app with `compiled_reads=False`, where every
field goes to its resolver. Data and errors must be equal, byte for byte after parsing. The
compiled path is PostgreSQL's; on SQLite both apps take the resolvers, so the test runs on
PostgreSQL only (CI runs the suite on both).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bench import queries
from server.api.app import create_app
from server.domain import models
from server.domain.clock import zone_today
from server.settings import Settings
from tests import factories
from tests.conftest import BACKEND, Account, MakeAccount

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="compiled reads are PostgreSQL's")

PROJECT = """
  id code name responsibleUnit leadOfficial town siteRadiusMeters totalInvestment status health
  plannedStart plannedFinish openTicketCount __typename
  location { latitude longitude __typename }
  programmes { id code name year __typename }
  siteManagers { id username displayName role unit }
  roadmap { id name sequence plannedStart plannedFinish project { id code } }
"""

MILESTONE = """
  id title baselineDate plannedDate actualDate status isOverdue daysOverdue slipDays
  completionNote __typename phase { id name sequence } project { id code name town health }
"""

CORPUS: dict[str, tuple[str, dict[str, Any]]] = {
    "home data": (
        "query($first: Int!) { me { id projects(first: $first) { edges { node {"
        " id code name status milestones(first: 10) { edges { node {"
        " id title plannedDate actualDate status } } } } } } } }",
        {"first": 20},
    ),
    "every covered field": (
        f"{{ projects(first: 10) {{ totalCount pageInfo {{ hasNextPage endCursor }}"
        f" edges {{ cursor __typename node {{ {PROJECT}"
        f" milestones(first: 3) {{ totalCount __typename"
        " pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }"
        f" edges {{ cursor __typename node {{ {MILESTONE} }} }} }} }} }} }} }}",
        {},
    ),
    "a roadmap's milestones": (
        "{ projects(first: 2) { edges { node { roadmap { name"
        " milestones { id title plannedDate status project { code } } } } } } }",
        {},
    ),
    "second pages, aliases, fragments and directives": (
        "query($after: String, $skip: Boolean!, $n: Int) {"
        " projects(first: 2, after: $after, orderBy: NAME) { edges { c: cursor node {"
        " ...Card ... on Project { alias: code } ... on Node { id }"
        " name @skip(if: $skip) town @include(if: $skip)"
        ' later: milestones(first: $n, after: "b2Zmc2V0OjA=") {'
        " pageInfo { hasPreviousPage startCursor endCursor hasNextPage } edges { node {"
        " t: title title ...Late } } }"
        " none: milestones(first: 0) { totalCount edges { cursor } pageInfo { endCursor } }"
        " } } } }"
        " fragment Card on Project { code health milestones(first: 2) { totalCount } }"
        " fragment Late on Milestone { daysOverdue isOverdue }",
        {"after": "b2Zmc2V0OjA=", "skip": True, "n": 2},
    ),
    "overdue board": (
        f"{{ overdueMilestones(first: 50) {{ totalCount edges {{ cursor node {{ {MILESTONE} }} }}"
        " pageInfo { hasNextPage endCursor } } }",
        {},
    ),
    "overdue, filtered, second page": (
        "query($after: String) { overdueMilestones(first: 2, after: $after,"
        " filter: { minDaysOverdue: 2 }) { edges { cursor node { id title daysOverdue"
        " project { code } } } } }",
        {"after": None},
    ),
    "office report": (
        "{ projects(first: 100, orderBy: CODE) { edges { node { id code name status"
        " roadmap { id name sequence plannedStart plannedFinish }"
        " milestones(first: 50) { edges { node { id title plannedDate status } } } } } } }",
        {},
    ),
    "filtered projects by health": (
        "{ projects(first: 10, orderBy: HEALTH, filter: { health: [RED, ORANGE, YELLOW] }) {"
        " edges { node { code health openTicketCount } } } }",
        {},
    ),
    "full home screen": (queries.HOME, {"first": 20}),
    "forecasts": (
        "{ projects(first: 8) { edges { node { code forecastFinish plannedFinish"
        " nextMilestone { title forecastDate plannedDate }"
        " milestones(first: 12) { edges { node { title status actualDate forecastDate"
        " dependsOn { title forecastDate } } } } } } } }",
        {},
    ),
    "overdue with forecasts": (
        "{ overdueMilestones(first: 20) { edges { node { title forecastDate"
        " project { code forecastFinish nextMilestone { title } } } } } }",
        {},
    ),
    "falls back: a field the compiler does not cover": (
        "{ projects(first: 5) { edges { node { code"
        " milestones { edges { node { title dependencies { lagDays } } } } } } } }",
        {},
    ),
    "falls back: a filtered milestone page": (
        "{ projects(first: 5) { edges { node { code milestones(filter: { overdueOnly: true })"
        " { totalCount edges { node { title } } } } } } }",
        {},
    ),
    "falls back: more keys than one JSON object takes": (
        "{ projects(first: 3) { edges { node { "
        + " ".join(f"a{n}: code" for n in range(30))
        + f" {PROJECT} forecastFinish nextMilestone {{ title }} milestones(first: 1)"
        " { totalCount } } } } }",
        {},
    ),
    "one project's milestone page": (
        '{ node(id: "UHJvamVjdDoy") { ... on Project { code milestones(first: 4) {'
        " totalCount edges { cursor node { title forecastDate dependsOn { title } } } } } } }",
        {},
    ),
    "refused nested arguments": (
        "{ projects(first: 5) { edges { node { code milestones(first: 101) { totalCount } } } } }",
        {},
    ),
    "refused nested cursor": (
        '{ projects(first: 5) { edges { node { code milestones(after: "nope") {'
        " edges { cursor } } } } } }",
        {},
    ),
    "negative page": (
        "{ projects(first: 5) { edges { node { milestones(first: -1) { totalCount } } } } }",
        {},
    ),
    "empty page": ("{ projects(first: 0) { edges { node { code } } totalCount } }", {}),
}


async def _zone(make_account: MakeAccount) -> dict[str, Account]:
    """Projects of every colour with phases, milestones, links, tickets and people."""
    today = zone_today(Settings.from_env({}).zone)
    office = await make_account(models.Role.OFFICE, "office")
    supervisor = await make_account(models.Role.SUPERVISOR, "boss")
    site = await make_account(models.Role.SITE_MANAGER, "site")
    other = await make_account(models.Role.SITE_MANAGER, "other", unit="二公司")
    old = await factories.programme("1050", 2019, "城建")
    new = await factories.programme("1090", 2020)
    firsts: list[models.Milestone] = []
    for number in range(7):
        project = await factories.project(
            f"P-{number:02d}",
            name=f'项目 "{number}" \\ 换行\n',
            programmes=(new, old) if number % 2 else (new,),
            lead_official="张三" if number % 3 else None,
            town=None if number == 4 else "金山桥街道",
            latitude=30.25 + number / 7 if number != 2 else None,
            longitude=114.0000001 * (number + 1),
            site_radius_meters=300 if number % 2 else None,
            total_investment=decimal.Decimal("1.5E+3") if number % 2 else decimal.Decimal("12.3"),
            status=models.ProjectStatus.COMPLETED if number == 6 else models.ProjectStatus.PLANNED,
            planned_start=today - dt.timedelta(days=200) if number % 2 else None,
        )
        await project.site_managers.add(site.user if number < 4 else other.user)
        if number == 3:
            await project.site_managers.add(other.user)
        phases = [await factories.phase(project, f"阶段{s}", s) for s in (2, 1)]
        previous = None
        made: list[models.Milestone] = []
        for index in range(number + 2):
            planned = today + dt.timedelta(days=(index - 3) * 9 - number * 5)
            milestone = await factories.milestone(
                project,
                planned,
                title=f"节点{index}",
                done_on=planned + dt.timedelta(days=index % 3) if index % 4 == 0 else None,
                baseline=planned - dt.timedelta(days=index),
            )
            if index % 3 != 2:
                milestone.phase_id = phases[index % 2].id
                await milestone.save()
            if previous is not None and index % 2:
                await factories.link(previous, milestone, lag=index)
            if index >= 3 and index % 3 == 0:  # a second predecessor: chains that join
                await factories.link(made[index - 3], milestone, lag=index % 2)
            previous = milestone
            made.append(milestone)
        firsts.append(made[0])
        if number == 5:  # a link across projects, which schedules ignore
            await factories.link(made[-1], firsts[0], lag=30)
        if number in (1, 5):
            severity = models.Severity.CRITICAL if number == 1 else models.Severity.HIGH
            await factories.ticket(project, site.user, severity)
    await factories.project("EMPTY", name="空项目")
    return {"office": office, "boss": supervisor, "site": site, "other": other}


@pytest.fixture
async def resolvers_only(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second app over the same database, with every field left to its resolver."""
    app = create_app(dataclasses.replace(settings, compiled_reads=False))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _ask(http: httpx.AsyncClient, document: str, variables: dict, who: Account) -> Any:
    answer = await http.post(
        "/graphql", json={"query": document, "variables": variables}, headers=who.headers
    )
    return answer.status_code, answer.json()


async def test_compiled_pages_answer_as_the_resolvers_do(
    make_account: MakeAccount,
    client: httpx.AsyncClient,
    resolvers_only: httpx.AsyncClient,
    count_statements: Callable[[], Any],
) -> None:
    people = await _zone(make_account)
    compiled_somewhere = set()
    for name, (document, variables) in CORPUS.items():
        for role, who in people.items():
            with count_statements() as counter:
                ours = await _ask(client, document, variables, who)
            theirs = await _ask(resolvers_only, document, variables, who)
            assert ours == theirs, f"{name} as {role}"
            if any("json_build_object" in statement for statement in counter.statements):
                compiled_somewhere.add(name)
    assert compiled_somewhere == {
        "home data",
        "every covered field",
        "a roadmap's milestones",
        "second pages, aliases, fragments and directives",
        "overdue board",
        "overdue, filtered, second page",
        "office report",
        "filtered projects by health",
        "full home screen",
        "forecasts",
        "overdue with forecasts",
        "one project's milestone page",
    }


async def test_a_compiled_page_is_one_statement_whatever_its_size(
    make_account: MakeAccount, client: httpx.AsyncClient, count_statements: Callable[[], Any]
) -> None:
    people = await _zone(make_account)
    document = CORPUS["office report"][0]
    counts = []
    for first in (2, 8):
        with count_statements() as counter:
            status, body = await _ask(
                client, document.replace("first: 100", f"first: {first}"), {}, people["office"]
            )
        assert status == 200 and "errors" not in body
        assert len(body["data"]["projects"]["edges"]) == first
        counts.append(len(counter.statements))
        compiled = [s for s in counter.statements if "json_build_object" in s]
        assert len(compiled) == 1
    assert counts[0] == counts[1]
