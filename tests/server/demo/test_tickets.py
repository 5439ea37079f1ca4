"""The demo tickets: every status, both kinds, some overdue, some with the coordinator."""

from __future__ import annotations

from server.demo import seed_demo
from server.domain.clock import zone_today
from server.domain.models import (
    Notification,
    Role,
    ShortageKind,
    ShortageTicket,
    TicketEvent,
    TicketStatus,
)
from server.domain.rows import queryset_rows
from server.domain.rows.tickets import TicketRow
from server.domain.tickets import is_overdue
from server.settings import Settings
from tests.conftest import GraphQL, MakeAccount


async def test_demo_tickets_cover_the_workflow(
    graphql: GraphQL, make_account: MakeAccount, settings: Settings
) -> None:
    created = await seed_demo(settings)
    tickets = await ShortageTicket.all().prefetch_related("assignee")
    assert {t.number for t in tickets} <= set(created)
    assert {t.status for t in tickets} == set(TicketStatus)
    assert {t.kind for t in tickets} == set(ShortageKind)
    today = zone_today(settings.zone)
    rows = await queryset_rows(TicketRow, ShortageTicket.all())
    assert sum(is_overdue(t, today) for t in rows) >= 2
    with_coordinator = [t for t in tickets if t.assignee and t.assignee.username == "coordinator"]
    assert len(with_coordinator) >= 4
    reopened = await TicketEvent.filter(action="REOPEN").count()
    assert reopened == 1
    assert await Notification.filter(kind="TICKET_ASSIGNED").exists()
    assert await seed_demo(settings) == []
    assert await ShortageTicket.all().count() == len(tickets)


async def test_demo_board_still_shows_every_colour(
    graphql: GraphQL, make_account: MakeAccount, settings: Settings
) -> None:
    await seed_demo(settings)
    boss = await make_account(Role.SUPERVISOR, "boss")
    body = await graphql(
        "{ projects(first: 100) { edges { node { health openTicketCount } } } }", account=boss
    )
    nodes = [e["node"] for e in body["data"]["projects"]["edges"]]
    assert {n["health"] for n in nodes} == {"BLUE", "GREEN", "YELLOW", "ORANGE", "RED"}
    assert (
        sum(n["openTicketCount"] for n in nodes)
        == await ShortageTicket.filter(
            status__in=["OPEN", "ACCEPTED", "ASSIGNED", "IN_PROGRESS"]
        ).count()
    )
