"""No N+1: the statement count of a rich projects page does not grow with the page size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from schema.relay import global_id
from server.domain.clock import zone_today
from server.domain.models import Role, Severity
from server.settings import Settings
from tests import factories
from tests.conftest import Account, GraphQL, MakeAccount

BOARD = """
query($n: Int!) {
  projects(first: $n) {
    edges { node {
      programmes { code }
      siteManagers { username }
      health
      nextMilestone { title }
      milestones(first: 10) { edges { node { forecastDate dependsOn { id } } } }
      openTicketCount
      tickets(first: 5) { totalCount edges { node { number reporter { username } } } }
    } }
  }
}"""


async def _seed(count: int, settings: Settings, manager: Account, office: Account) -> None:
    today = zone_today(settings.zone)
    programme = await factories.programme("1090")
    for index in range(count):
        project = await factories.project(f"N-{index:03d}", programmes=(programme,))
        await project.site_managers.add(manager.user)
        first = await factories.milestone(project, today - dt.timedelta(days=index), title="立项")
        second = await factories.milestone(project, today + dt.timedelta(days=30), title="开工")
        await factories.link(first, second, lag=5)
        if index % 7 == 0:
            await factories.ticket(project, office.user, Severity.HIGH)


async def _count(
    graphql: GraphQL, count_statements: Callable[[], Any], n: int, who: Account
) -> int:
    with count_statements() as counter:
        body = await graphql(BOARD, {"n": n}, account=who)
    assert "errors" not in body, body
    assert len(body["data"]["projects"]["edges"]) == n
    return len(counter.statements)


async def test_statement_count_is_the_same_for_5_and_50_projects(
    graphql: GraphQL,
    office: Account,
    make_account: MakeAccount,
    settings: Settings,
    count_statements: Callable[[], Any],
) -> None:
    manager = await make_account(Role.SITE_MANAGER, "m1")
    await _seed(50, settings, manager, office)
    for who in (office, manager):
        small = await _count(graphql, count_statements, 5, who)
        large = await _count(graphql, count_statements, 50, who)
        print(f"statements for {who.user.role}: N=5 -> {small}, N=50 -> {large}")
        assert small == large


async def test_nodes_batches_lookups(
    graphql: GraphQL, office: Account, count_statements: Callable[[], Any]
) -> None:
    projects = [await factories.project(f"ND-{i:02d}") for i in range(30)]
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Project { code health } } }"
    counts = []
    for size in (3, 30):
        ids = [global_id("Project", p.id) for p in projects[:size]]
        with count_statements() as counter:
            body = await graphql(query, {"ids": ids}, account=office)
        assert [n["code"] for n in body["data"]["nodes"]] == [p.code for p in projects[:size]]
        counts.append(len(counter.statements))
    assert counts[0] == counts[1]
