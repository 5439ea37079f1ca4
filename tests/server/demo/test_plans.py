"""The demo plans: every colour on the board, two site managers with different projects."""

from __future__ import annotations

import datetime as dt

from server.demo import seed_demo
from server.domain.models import Programme, Project, Rebaseline, Role, TaskSheet, User
from server.settings import Settings
from tests.conftest import Account, GraphQL, MakeAccount

BOARD = "{ projects(first: 100) { totalCount edges { node { code health town } } } }"


async def test_demo_shows_every_colour_and_splits_the_sites(
    graphql: GraphQL, make_account: MakeAccount, settings: Settings
) -> None:
    created = await seed_demo(settings)
    assert "JK-1090-001" in created
    assert await Programme.all().count() == 4
    everyone = await make_account(Role.SUPERVISOR, "boss")
    body = await graphql(BOARD, account=everyone)
    nodes = [edge["node"] for edge in body["data"]["projects"]["edges"]]
    assert len(nodes) >= 12
    assert {n["health"] for n in nodes} == {"BLUE", "GREEN", "YELLOW", "ORANGE", "RED"}
    assert {"金山桥街道", "东环街道", "大庙街道"} <= {n["town"] for n in nodes}

    site1 = await User.get(username="site1").prefetch_related("managed_projects")
    site2 = await User.get(username="site2").prefetch_related("managed_projects")
    mine1 = {p.code for p in site1.managed_projects}
    mine2 = {p.code for p in site2.managed_projects}
    assert mine1 and mine2 and not mine1 & mine2
    assert len(mine1 | mine2) < await Project.all().count()

    epidemic = await Rebaseline.filter(
        old_date__gte=dt.date(2020, 2, 1), old_date__lte=dt.date(2020, 12, 31)
    ).count()
    assert epidemic >= 5
    assert await TaskSheet.filter(revision=2).exists()

    again = await seed_demo(settings)
    assert again == []


async def test_site1_sees_only_their_projects_in_the_demo(
    graphql: GraphQL, settings: Settings, office: Account
) -> None:
    await seed_demo(settings)
    login = await graphql(
        'mutation($p: String!) { login(input: {username: "site1", password: $p}) { token } }',
        {"p": settings.demo_password},
    )
    token = login["data"]["login"]["token"]
    site1 = await User.get(username="site1")
    body = await graphql(BOARD, account=Account(site1, token))
    codes = {edge["node"]["code"] for edge in body["data"]["projects"]["edges"]}
    managed = set(await Project.filter(site_managers__id=site1.id).values_list("code", flat=True))
    assert codes == managed
