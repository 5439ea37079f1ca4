"""The board over time through HTTP: `Project.healthHistory`, `projects(asOf)` and
`Programme.stats(asOf)` answer past days from the snapshots, within the viewer's projects."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from schema.relay import global_id
from server.domain.clock import zone_today
from server.domain.models import BoardSnapshot, Project, Role, Severity, ShortageTicket
from server.domain.snapshots import snapshot_range
from server.settings import Settings
from tests import factories
from tests.conftest import Account, GraphQL, MakeAccount

HISTORY = """query($id: ID!, $from: Date!, $to: Date!) { node(id: $id) {
  ... on Project { code healthHistory(from: $from, to: $to) { date health } } } }"""
BOARD = """query($asOf: Date, $health: [Health!], $order: ProjectOrder) {
  projects(asOf: $asOf, filter: {health: $health}, orderBy: $order, first: 50) {
    totalCount edges { node { code health } } } }"""
STATS = """query($id: ID!, $asOf: Date) { node(id: $id) { ... on Programme {
  stats(asOf: $asOf) { projectCount overdueMilestoneCount openTicketCount
    healthCounts { health count } } } } }"""


def ago(today: dt.date, days: int) -> dt.date:
    return today - dt.timedelta(days=days)


@pytest.fixture
async def board(settings: Settings, site_manager: Account, make_account: MakeAccount) -> Any:
    """Two projects of 1090 over the last fortnight, backfilled: A (the site manager's)
    slides from GREEN to ORANGE, B has a HIGH ticket and turns YELLOW three days ago."""
    today = zone_today(settings.zone)
    reporter = (await make_account(Role.SITE_MANAGER, "rep")).user
    programme = await factories.programme("1090", today.year)
    a = await factories.project("A-1", programmes=(programme,))
    b = await factories.project("B-1", programmes=(programme,))
    await Project.filter(id__in=[a.id, b.id]).update(
        created_at=dt.datetime.combine(ago(today, 20), dt.time(9), dt.UTC)
    )
    await a.site_managers.add(site_manager.user)
    await factories.milestone(a, ago(today, 12))
    await factories.milestone(b, ago(today, 3))
    ticket = await factories.ticket(b, reporter, Severity.HIGH)
    await ShortageTicket.filter(id=ticket.id).update(
        created_at=dt.datetime.combine(ago(today, 6), dt.time(3), dt.UTC)
    )
    await snapshot_range(ago(today, 14), ago(today, 1), settings, today=today)
    return today, programme, a, b


async def recorded(day: dt.date) -> dict[str, str]:
    lines = await BoardSnapshot.filter(date=day).prefetch_related("project")
    return {line.project.code: line.health for line in lines}


async def test_health_history_agrees_with_the_snapshots(
    graphql: GraphQL, office: Account, board: Any
) -> None:
    today, _, a, _ = board
    body = await graphql(
        HISTORY,
        {"id": global_id("Project", a.id), "from": str(ago(today, 16)), "to": str(today)},
        account=office,
    )
    history = body["data"]["node"]["healthHistory"]
    lines = await BoardSnapshot.filter(project_id=a.id).order_by("date")
    assert history[:-1] == [{"date": str(s.date), "health": s.health} for s in lines]
    assert [h["date"] for h in history[:2]] == [str(ago(today, 14)), str(ago(today, 13))]
    assert history[0]["health"] == "GREEN" and history[-2]["health"] == "ORANGE"
    assert history[-1] == {"date": str(today), "health": "ORANGE"}  # today: live


async def test_the_board_as_it_stood(graphql: GraphQL, office: Account, board: Any) -> None:
    today, _, _, _ = board
    for days in (14, 10, 5, 2):
        day = ago(today, days)
        body = await graphql(BOARD, {"asOf": str(day)}, account=office)
        nodes = [e["node"] for e in body["data"]["projects"]["edges"]]
        assert {n["code"]: n["health"] for n in nodes} == await recorded(day)
    two_days = await graphql(BOARD, {"asOf": str(ago(today, 2))}, account=office)
    assert [e["node"] for e in two_days["data"]["projects"]["edges"]] == [
        {"code": "A-1", "health": "ORANGE"},
        {"code": "B-1", "health": "ORANGE"},
    ]
    five_days = await graphql(
        BOARD, {"asOf": str(ago(today, 5)), "health": ["YELLOW"]}, account=office
    )
    assert five_days["data"]["projects"]["edges"] == [{"node": {"code": "A-1", "health": "YELLOW"}}]
    by_health = await graphql(
        BOARD, {"asOf": str(ago(today, 5)), "order": "HEALTH"}, account=office
    )
    codes = [e["node"]["code"] for e in by_health["data"]["projects"]["edges"]]
    assert codes == ["B-1", "A-1"]  # ORANGE (the HIGH ticket) before YELLOW
    live = await graphql(BOARD, {"asOf": str(today)}, account=office)
    assert live == await graphql(BOARD, {}, account=office)


async def test_programme_stats_as_of(graphql: GraphQL, office: Account, board: Any) -> None:
    today, programme, _, _ = board
    day = ago(today, 5)
    body = await graphql(
        STATS, {"id": global_id("Programme", programme.id), "asOf": str(day)}, account=office
    )
    stats = body["data"]["node"]["stats"]
    lines = await BoardSnapshot.filter(date=day)
    assert stats["projectCount"] == len(lines) == 2
    assert stats["overdueMilestoneCount"] == sum(s.overdue_milestones for s in lines) == 1
    assert stats["openTicketCount"] == 1
    counts = {c["health"]: c["count"] for c in stats["healthCounts"]}
    assert counts == {"BLUE": 0, "GREEN": 0, "YELLOW": 1, "ORANGE": 1, "RED": 0}


async def test_a_site_manager_sees_only_their_projects(
    graphql: GraphQL, site_manager: Account, board: Any
) -> None:
    today, programme, _, b = board
    day = ago(today, 2)
    listed = await graphql(BOARD, {"asOf": str(day)}, account=site_manager)
    assert [e["node"]["code"] for e in listed["data"]["projects"]["edges"]] == ["A-1"]
    stats = await graphql(
        STATS, {"id": global_id("Programme", programme.id), "asOf": str(day)}, account=site_manager
    )
    assert stats["data"]["node"]["stats"]["projectCount"] == 1
    hidden = await graphql(
        HISTORY,
        {"id": global_id("Project", b.id), "from": str(ago(today, 5)), "to": str(today)},
        account=site_manager,
    )
    assert hidden["data"]["node"] is None


async def test_refusals_and_empty_days(graphql: GraphQL, office: Account, board: Any) -> None:
    today, programme, a, _ = board
    tomorrow = str(today + dt.timedelta(days=1))
    for query, variables in (
        (BOARD, {"asOf": tomorrow}),
        (STATS, {"id": global_id("Programme", programme.id), "asOf": tomorrow}),
        (HISTORY, {"id": global_id("Project", a.id), "from": str(today), "to": str(ago(today, 1))}),
        (HISTORY, {"id": global_id("Project", a.id), "from": "2000-01-01", "to": str(today)}),
    ):
        body = await graphql(query, variables, account=office)
        assert body["errors"][0]["extensions"]["code"] == "INVALID", body
    bad_date = await graphql(BOARD, {"asOf": "last monday"}, account=office, status=400)
    assert bad_date["errors"][0]["extensions"]["code"] == "INVALID"
    long_ago = str(ago(today, 100))
    empty = await graphql(BOARD, {"asOf": long_ago}, account=office)
    assert empty["data"]["projects"] == {"totalCount": 0, "edges": []}
    stats = await graphql(
        STATS, {"id": global_id("Programme", programme.id), "asOf": long_ago}, account=office
    )
    counts = stats["data"]["node"]["stats"]
    assert (counts["projectCount"], counts["openTicketCount"]) == (0, 0)
    future = await graphql(
        HISTORY,
        {"id": global_id("Project", a.id), "from": tomorrow, "to": tomorrow},
        account=office,
    )
    assert future["data"]["node"]["healthHistory"] == []
