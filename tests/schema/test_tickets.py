"""Tickets through HTTP: filing, the workflow, concurrency, reading, visibility, notifications."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

import pytest

from schema.relay import global_id
from server.domain.clock import zone_today
from server.domain.models import (
    AuditEntry,
    IdempotencyRecord,
    Notification,
    Role,
    Severity,
    ShortageKind,
    ShortageTicket,
    TicketCounter,
    TicketEvent,
    TicketStatus,
)
from server.settings import Settings
from tests.conftest import BACKEND, Account, GraphQL, MakeAccount
from tests.ticket_helpers import make_milestone, make_photo, make_project, make_ticket

CREATE = """
mutation($input: CreateShortageTicketInput!) {
  createShortageTicket(input: $input) {
    ticket { id number kind status title trade headcount material quantity unit severity
             neededBy blockingMilestone { title } reporter { username } isOverdue
             events { action fromStatus toStatus actor { username } } }
    errors { field code message }
  }
}
"""
TRANSITION = """
mutation($input: TransitionTicketInput!) {
  transitionTicket(input: $input) {
    ticket { id status satisfaction assignee { username } resolvedAt closedAt
             events { action fromStatus toStatus note actor { username } } }
    errors { field code message }
  }
}
"""
TICKETS = """
query($filter: TicketFilter, $first: Int, $after: String) {
  tickets(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { number status isOverdue project { code } } }
  }
}
"""


def labour(project_gid: str, **extra: Any) -> dict[str, Any]:
    """A valid LABOUR createShortageTicket input."""
    return {
        "projectId": project_gid,
        "kind": "LABOUR",
        "title": "复工缺钢筋工",
        "trade": "钢筋工",
        "headcount": 20,
        **extra,
    }


def material(project_gid: str, **extra: Any) -> dict[str, Any]:
    """A valid MATERIAL createShortageTicket input."""
    return {
        "projectId": project_gid,
        "kind": "MATERIAL",
        "title": "商品混凝土断供",
        "material": "商品混凝土",
        "specification": "C30",
        "quantity": "450.5",
        "unit": "m³",
        **extra,
    }


async def create(graphql: GraphQL, account: Account, values: dict[str, Any]) -> dict[str, Any]:
    """The createShortageTicket payload."""
    body = await graphql(CREATE, {"input": values}, account=account)
    return body["data"]["createShortageTicket"]


async def transition(
    graphql: GraphQL, account: Account, ticket_id: int, action: str, **extra: Any
) -> dict[str, Any]:
    """The transitionTicket payload."""
    values = {"ticketId": global_id("ShortageTicket", ticket_id), "action": action, **extra}
    body = await graphql(TRANSITION, {"input": values}, account=account)
    return body["data"]["transitionTicket"]


# --- createShortageTicket -----------------------------------------------------------------------


async def test_site_manager_files_both_kinds(
    graphql: GraphQL, site_manager: Account, settings: Settings
) -> None:
    project = await make_project(site_manager.user)
    milestone = await make_milestone(project)
    gid = global_id("Project", project.id)
    year = zone_today(settings.zone).year
    first = await create(
        graphql,
        site_manager,
        labour(
            gid,
            severity="HIGH",
            neededBy="2020-03-01",
            blockingMilestoneId=global_id("Milestone", milestone.id),
        ),
    )
    assert first["errors"] == []
    ticket = first["ticket"]
    assert ticket["number"] == f"LAB-{year}-0001"
    assert (ticket["kind"], ticket["status"], ticket["severity"]) == ("LABOUR", "OPEN", "HIGH")
    assert (ticket["trade"], ticket["headcount"], ticket["material"]) == ("钢筋工", 20, None)
    assert ticket["blockingMilestone"] == {"title": milestone.title}
    assert ticket["reporter"] == {"username": "site1"}
    assert ticket["isOverdue"] is True
    [created] = ticket["events"]
    assert [created[k] for k in ("action", "fromStatus", "toStatus")] == ["CREATE", None, "OPEN"]
    assert created["actor"] == {"username": "site1"}
    second = (await create(graphql, site_manager, material(gid)))["ticket"]
    assert second["number"] == f"MAT-{year}-0001"
    assert (second["quantity"], second["unit"], second["severity"]) == ("450.500", "m³", "MEDIUM")
    third = (await create(graphql, site_manager, labour(gid)))["ticket"]
    assert third["number"] == f"LAB-{year}-0002"
    assert await AuditEntry.filter(action="createShortageTicket").count() == 3


async def test_idempotency_key_returns_the_first_ticket(
    graphql: GraphQL, site_manager: Account
) -> None:
    project = await make_project(site_manager.user)
    values = labour(global_id("Project", project.id), idempotencyKey="phone-42")
    first = await create(graphql, site_manager, values)
    again = await create(graphql, site_manager, values)
    assert again["errors"] == []
    assert again["ticket"]["id"] == first["ticket"]["id"]
    assert again["ticket"]["number"] == first["ticket"]["number"]
    assert await ShortageTicket.all().count() == 1
    assert await IdempotencyRecord.all().count() == 1


async def test_simultaneous_retries_file_one_ticket(
    graphql: GraphQL, site_manager: Account
) -> None:
    project = await make_project(site_manager.user)
    values = labour(global_id("Project", project.id), idempotencyKey="flaky-network")
    payloads = await asyncio.gather(*(create(graphql, site_manager, values) for _ in range(8)))
    ids = {p["ticket"]["id"] for p in payloads if p["ticket"]}
    assert len(ids) == 1
    refused = [e["code"] for p in payloads for e in p["errors"]]
    assert set(refused) <= {"CONFLICT"}
    assert await ShortageTicket.all().count() == 1
    counter = await TicketCounter.get()
    assert counter.last_number == 1  # the refused attempts gave their numbers back


@pytest.mark.parametrize(
    ("values", "problems"),
    [
        (
            lambda gid: labour(gid, material="水泥", quantity="3", unit="t"),
            [
                ("INVALID", ["input", "material"]),
                ("INVALID", ["input", "quantity"]),
                ("INVALID", ["input", "unit"]),
            ],
        ),
        (
            lambda gid: material(gid, trade="木工", headcount=2),
            [("INVALID", ["input", "trade"]), ("INVALID", ["input", "headcount"])],
        ),
        (lambda gid: labour(gid, headcount=0), [("INVALID", ["input", "headcount"])]),
        (lambda gid: labour(gid, headcount=-5), [("INVALID", ["input", "headcount"])]),
        (
            lambda gid: labour(gid, trade=None, headcount=None),
            [("INVALID", ["input", "trade"]), ("INVALID", ["input", "headcount"])],
        ),
        (lambda gid: material(gid, quantity="0"), [("INVALID", ["input", "quantity"])]),
        (lambda gid: material(gid, quantity="-1.5"), [("INVALID", ["input", "quantity"])]),
        (lambda gid: material(gid, quantity="1.2345"), [("INVALID", ["input", "quantity"])]),
        (
            lambda gid: material(gid, material=" ", unit=None),
            [("INVALID", ["input", "material"]), ("INVALID", ["input", "unit"])],
        ),
        (lambda gid: labour(gid, title="  "), [("INVALID", ["input", "title"])]),
        (lambda gid: labour(gid, title="长" * 257), [("INVALID", ["input", "title"])]),
        (
            lambda gid: labour(gid, description="长" * 5001),
            [("INVALID", ["input", "description"])],
        ),
        (lambda gid: material(gid, unit="m" * 17), [("INVALID", ["input", "unit"])]),
        (
            lambda gid: labour(gid, idempotencyKey="k" * 129),
            [("INVALID", ["input", "idempotencyKey"])],
        ),
        (
            lambda gid: labour(gid, idempotencyKey="k" * 10_000),
            [("INVALID", ["input", "idempotencyKey"])],
        ),
        (
            lambda gid: labour(global_id("Project", 999_999)),
            [("NOT_FOUND", ["input", "projectId"])],
        ),
        (lambda gid: labour("not-an-id"), [("NOT_FOUND", ["input", "projectId"])]),
        (
            lambda gid: labour(gid, blockingMilestoneId=global_id("Milestone", 999_999)),
            [("NOT_FOUND", ["input", "blockingMilestoneId"])],
        ),
    ],
)
async def test_bad_filings_are_field_errors_and_write_nothing(
    graphql: GraphQL, site_manager: Account, values: Any, problems: list[tuple[str, list[str]]]
) -> None:
    project = await make_project(site_manager.user)
    payload = await create(graphql, site_manager, values(global_id("Project", project.id)))
    assert payload["ticket"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == problems
    assert not await ShortageTicket.exists()
    assert not await TicketCounter.exists()
    assert not await AuditEntry.exists()


async def test_blocking_milestone_of_another_project_answers_like_a_missing_one(
    graphql: GraphQL, site_manager: Account, make_account: MakeAccount
) -> None:
    stranger = await make_account(Role.SITE_MANAGER, "site2")
    project = await make_project(site_manager.user)
    visible, hidden = await make_project(site_manager.user), await make_project(stranger.user)
    answers = []
    for milestone_id in (
        global_id("Milestone", (await make_milestone(visible)).id),
        global_id("Milestone", (await make_milestone(hidden)).id),
        global_id("Milestone", 999_999),
        global_id("Project", project.id),
    ):
        values = labour(global_id("Project", project.id), blockingMilestoneId=milestone_id)
        payload = await create(graphql, site_manager, values)
        assert payload["ticket"] is None
        answers.append(payload["errors"])
    assert [(e["code"], e["field"]) for e in answers[0]] == [
        ("NOT_FOUND", ["input", "blockingMilestoneId"])
    ]
    assert all(errors == answers[0] for errors in answers)
    assert not await ShortageTicket.exists()


async def test_a_key_reused_for_another_filing_is_a_conflict(
    graphql: GraphQL, site_manager: Account
) -> None:
    project = await make_project(site_manager.user)
    gid = global_id("Project", project.id)
    first = await create(graphql, site_manager, labour(gid, idempotencyKey="phone-42"))
    other = await create(
        graphql, site_manager, labour(gid, headcount=21, idempotencyKey="phone-42")
    )
    assert other["ticket"] is None
    [error] = other["errors"]
    assert (error["code"], error["field"]) == ("CONFLICT", ["input", "idempotencyKey"])
    assert "different request" in error["message"]
    again = await create(graphql, site_manager, labour(gid, idempotencyKey="phone-42"))
    assert again["ticket"]["id"] == first["ticket"]["id"]
    assert await ShortageTicket.all().count() == 1


async def test_photos_are_linked_when_filing(graphql: GraphQL, site_manager: Account) -> None:
    project, other = await make_project(site_manager.user), await make_project()
    first = await make_photo(project, site_manager.user)
    second = await make_photo(project, site_manager.user)
    gid = global_id("Project", project.id)
    ids = [global_id("Photo", first.id), global_id("Photo", second.id)]
    payload = await create(graphql, site_manager, labour(gid, photoIds=ids))
    assert payload["errors"] == []
    ticket_gid = payload["ticket"]["id"]
    query = """query($id: ID!) { node(id: $id) { ... on ShortageTicket {
      photos { totalCount edges { node { id } } } } } }"""
    body = await graphql(query, {"id": ticket_gid}, account=site_manager)
    assert body["data"]["node"]["photos"]["totalCount"] == 2
    assert {e["node"]["id"] for e in body["data"]["node"]["photos"]["edges"]} == set(ids)

    photo_ticket = await graphql(
        "query($id: ID!) { node(id: $id) { ... on Photo { ticket { number } } } }",
        {"id": ids[0]},
        account=site_manager,
    )
    assert photo_ticket["data"]["node"]["ticket"] == {"number": payload["ticket"]["number"]}

    foreign = await make_photo(other, site_manager.user)
    refused = await create(
        graphql,
        site_manager,
        labour(gid, photoIds=["nonsense", global_id("Photo", foreign.id), ids[0]]),
    )
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("INVALID", ["input", "photoIds", "0"]),
        ("INVALID", ["input", "photoIds", "1"]),
        ("INVALID", ["input", "photoIds", "2"]),  # already shows the first ticket
    ]
    assert await ShortageTicket.all().count() == 1


async def test_who_may_file(
    graphql: GraphQL,
    site_manager: Account,
    office: Account,
    admin: Account,
    coordinator: Account,
    supervisor: Account,
) -> None:
    mine = await make_project(site_manager.user)
    theirs = await make_project()
    gid_mine, gid_theirs = global_id("Project", mine.id), global_id("Project", theirs.id)
    assert (await create(graphql, office, labour(gid_theirs)))["errors"] == []
    assert (await create(graphql, admin, labour(gid_theirs)))["errors"] == []
    refused = await create(graphql, site_manager, labour(gid_theirs))
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("NOT_FOUND", ["input", "projectId"])
    ]
    for account in (coordinator, supervisor):
        payload = await create(graphql, account, labour(gid_mine))
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert await ShortageTicket.all().count() == 2


# --- transitionTicket ---------------------------------------------------------------------------


async def test_one_stop_workflow_end_to_end(
    graphql: GraphQL, site_manager: Account, office: Account, coordinator: Account
) -> None:
    project = await make_project(site_manager.user)
    ticket = await make_ticket(project, site_manager.user)
    assert (await transition(graphql, office, ticket.id, "ACCEPT"))["errors"] == []
    assigned = await transition(
        graphql,
        office,
        ticket.id,
        "ASSIGN",
        assigneeId=global_id("User", coordinator.user.id),
        note="请协调劳务公司",
    )
    assert assigned["ticket"]["assignee"] == {"username": "coordinator"}
    assert (await transition(graphql, coordinator, ticket.id, "START"))["errors"] == []
    resolved = await transition(graphql, coordinator, ticket.id, "RESOLVE", note="20人已到岗")
    assert resolved["ticket"]["resolvedAt"] is not None
    closed = await transition(graphql, site_manager, ticket.id, "CONFIRM", satisfaction=5)
    assert closed["errors"] == []
    final = closed["ticket"]
    assert (final["status"], final["satisfaction"]) == ("CLOSED", 5)
    assert final["closedAt"] is not None
    assert [(e["action"], e["fromStatus"], e["toStatus"]) for e in final["events"]] == [
        ("CREATE", None, "OPEN"),
        ("ACCEPT", "OPEN", "ACCEPTED"),
        ("ASSIGN", "ACCEPTED", "ASSIGNED"),
        ("START", "ASSIGNED", "IN_PROGRESS"),
        ("RESOLVE", "IN_PROGRESS", "RESOLVED"),
        ("CONFIRM", "RESOLVED", "CLOSED"),
    ]
    assert final["events"][2]["note"] == "请协调劳务公司"
    assert await AuditEntry.filter(action="transitionTicket").count() == 5


@pytest.mark.parametrize(
    ("status", "who", "action", "extra", "problem"),
    [
        (TicketStatus.OPEN, "office", "START", {}, ("INVALID_TRANSITION", ["input", "action"])),
        (
            TicketStatus.CLOSED,
            "office",
            "REOPEN",
            {"note": "x"},
            ("INVALID_TRANSITION", ["input", "action"]),
        ),
        (TicketStatus.OPEN, "office", "ASSIGN", {}, ("INVALID", ["input", "assigneeId"])),
        (
            TicketStatus.OPEN,
            "office",
            "ASSIGN",
            {"assigneeId": "site_manager"},
            ("INVALID", ["input", "assigneeId"]),
        ),
        (
            TicketStatus.OPEN,
            "office",
            "ASSIGN",
            {"assigneeId": "garbage"},
            ("NOT_FOUND", ["input", "assigneeId"]),
        ),
        (
            TicketStatus.RESOLVED,
            "stranger",
            "CONFIRM",
            {"satisfaction": 4},
            ("NOT_FOUND", ["input", "ticketId"]),
        ),
        (
            TicketStatus.RESOLVED,
            "office",
            "CONFIRM",
            {"satisfaction": 4},
            ("FORBIDDEN", ["input", "action"]),
        ),
        (
            TicketStatus.RESOLVED,
            "site_manager",
            "CONFIRM",
            {"satisfaction": 0},
            ("INVALID", ["input", "satisfaction"]),
        ),
        (
            TicketStatus.RESOLVED,
            "site_manager",
            "CONFIRM",
            {"satisfaction": 6},
            ("INVALID", ["input", "satisfaction"]),
        ),
        (TicketStatus.OPEN, "office", "REJECT", {}, ("INVALID", ["input", "note"])),
        (
            TicketStatus.OPEN,
            "office",
            "REJECT",
            {"note": "x" * 5001},
            ("INVALID", ["input", "note"]),
        ),
        (TicketStatus.OPEN, "supervisor", "ACCEPT", {}, ("FORBIDDEN", ["input", "action"])),
        (TicketStatus.OPEN, "coordinator", "ACCEPT", {}, ("NOT_FOUND", ["input", "ticketId"])),
    ],
)
async def test_bad_transitions_are_field_errors_and_write_nothing(
    graphql: GraphQL,
    make_account: MakeAccount,
    site_manager: Account,
    office: Account,
    supervisor: Account,
    coordinator: Account,
    status: TicketStatus,
    who: str,
    action: str,
    extra: dict[str, Any],
    problem: tuple[str, list[str]],
) -> None:
    stranger = await make_account(Role.SITE_MANAGER, "stranger")
    await make_project(stranger.user)
    accounts = {
        "office": office,
        "supervisor": supervisor,
        "coordinator": coordinator,
        "site_manager": site_manager,
        "stranger": stranger,
    }
    project = await make_project(site_manager.user)
    ticket = await make_ticket(project, site_manager.user, status)
    if extra.get("assigneeId") in accounts:
        extra = {**extra, "assigneeId": global_id("User", accounts[extra["assigneeId"]].user.id)}
    payload = await transition(graphql, accounts[who], ticket.id, action, **extra)
    assert payload["ticket"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [problem]
    assert (await ShortageTicket.get(id=ticket.id)).status == status
    assert await TicketEvent.filter(ticket=ticket).count() == 1
    assert not await AuditEntry.exists()
    assert not await Notification.exists()


@pytest.mark.parametrize("race", ["office accepts", "site confirms or reopens"])
async def test_twenty_simultaneous_steps_one_wins(
    graphql: GraphQL, make_account: MakeAccount, race: str
) -> None:
    """20 people act on one ticket at once: one wins, the rest are refused, history stays true.

    The steps are chosen so that after any one of them none of the others is possible any
    more: every loser must be refused whether it ran before or after the winner committed.
    """
    if race == "office accepts":
        actors = [await make_account(Role.OFFICE, f"office{i}") for i in range(20)]
        project = await make_project()
        ticket = await make_ticket(project, actors[0].user, TicketStatus.OPEN)
        steps: list[tuple[str, dict[str, Any]]] = [("ACCEPT", {})] * 20
    else:
        actors = [await make_account(Role.SITE_MANAGER, f"site{i}") for i in range(20)]
        coordinator = await make_account(Role.COORDINATOR, "coordinator")
        project = await make_project(*(a.user for a in actors))
        ticket = await make_ticket(
            project, actors[0].user, TicketStatus.RESOLVED, assignee=coordinator.user
        )
        steps = [("CONFIRM", {"satisfaction": 3}), ("REOPEN", {"note": "仍缺料"})] * 10
    before = ticket.status
    payloads = await asyncio.gather(
        *(
            transition(graphql, account, ticket.id, action, **extra)
            for account, (action, extra) in zip(actors, steps, strict=True)
        )
    )
    winners = [p for p in payloads if not p["errors"]]
    assert len(winners) == 1
    losers = [p["errors"][0] for p in payloads if p["errors"]]
    assert len(losers) == 19
    assert {e["code"] for e in losers} <= {"CONFLICT", "INVALID_TRANSITION"}
    # How many losers raced the winner to the conditional UPDATE depends on timing; the forced
    # interleaving is tested deterministically in tests/server/test_tickets.py.
    at_update = sum("just" in e["message"] or e["code"] == "CONFLICT" for e in losers)
    print(f"{race} on {BACKEND}: {at_update} of 19 losers lost at the conditional UPDATE")
    won_status = winners[0]["ticket"]["status"]
    stored = await ShortageTicket.get(id=ticket.id)
    assert stored.status == won_status and stored.version == 1
    events = await TicketEvent.filter(ticket=ticket).order_by("id")
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, before),
        (before, TicketStatus(won_status)),
    ]
    assert await AuditEntry.filter(action="transitionTicket").count() == 1


async def test_twenty_simultaneous_filings_number_without_gaps(
    graphql: GraphQL, site_manager: Account, settings: Settings
) -> None:
    project = await make_project(site_manager.user)
    gid = global_id("Project", project.id)
    filings = [create(graphql, site_manager, labour(gid)) for _ in range(20)]
    started = time.perf_counter()
    payloads = await asyncio.gather(*filings)
    print(f"20 simultaneous filings: {time.perf_counter() - started:.3f} s")
    year = zone_today(settings.zone).year
    assert sorted(p["ticket"]["number"] for p in payloads) == [
        f"LAB-{year}-{n:04d}" for n in range(1, 21)
    ]


async def test_open_high_and_critical_tickets_colour_the_project(
    graphql: GraphQL, site_manager: Account, office: Account
) -> None:
    """Health follows the workflow: HIGH turns ORANGE, CRITICAL RED, until resolved."""
    project = await make_project(site_manager.user)
    gid = global_id("Project", project.id)
    query = "query($id: ID!) { node(id: $id) { ... on Project { health openTicketCount } } }"

    async def board() -> tuple[str, int]:
        node = (await graphql(query, {"id": gid}, account=office))["data"]["node"]
        return node["health"], node["openTicketCount"]

    assert await board() == ("GREEN", 0)
    low = await create(graphql, site_manager, labour(gid, severity="LOW"))
    assert await board() == ("GREEN", 1)
    high = await create(graphql, site_manager, labour(gid, severity="HIGH"))
    assert await board() == ("ORANGE", 2)
    critical = await create(graphql, site_manager, material(gid, severity="CRITICAL"))
    assert await board() == ("RED", 3)
    critical_ticket = await ShortageTicket.get(number=critical["ticket"]["number"])
    await transition(graphql, office, critical_ticket.id, "REJECT", note="重复提交")
    assert await board() == ("ORANGE", 2)
    high_ticket = await ShortageTicket.get(number=high["ticket"]["number"])
    await transition(graphql, office, high_ticket.id, "ACCEPT")
    assert await board() == ("ORANGE", 2)
    await transition(graphql, office, high_ticket.id, "RESOLVE", note="已解决")
    assert await board() == ("GREEN", 1)
    await transition(graphql, site_manager, high_ticket.id, "REOPEN", note="没解决")
    assert await board() == ("ORANGE", 2)
    assert low["errors"] == []


# --- Reading ------------------------------------------------------------------------------------


async def test_tickets_filter_by_every_field(
    graphql: GraphQL,
    office: Account,
    coordinator: Account,
    site_manager: Account,
    settings: Settings,
) -> None:
    today = zone_today(settings.zone)
    project, other = await make_project(site_manager.user), await make_project()
    reporter = site_manager.user
    a = await make_ticket(project, reporter, TicketStatus.OPEN, severity=Severity.HIGH)
    b = await make_ticket(
        project,
        reporter,
        TicketStatus.ASSIGNED,
        assignee=office.user,
        needed_by=today - dt.timedelta(days=1),
    )
    c = await make_ticket(
        other,
        reporter,
        TicketStatus.CLOSED,
        kind=ShortageKind.MATERIAL,
        trade=None,
        headcount=None,
        material="水泥",
        quantity=3,
        unit="t",
        severity=Severity.CRITICAL,
        needed_by=today - dt.timedelta(days=9),
    )
    d = await make_ticket(other, reporter, TicketStatus.IN_PROGRESS, assignee=coordinator.user)

    async def numbers(filter: dict[str, Any] | None) -> list[str]:
        body = await graphql(TICKETS, {"filter": filter}, account=office)
        return [e["node"]["number"] for e in body["data"]["tickets"]["edges"]]

    newest_first = [d.number, c.number, b.number, a.number]
    assert await numbers(None) == newest_first
    assert await numbers({"kind": "MATERIAL"}) == [c.number]
    assert await numbers({"kind": "LABOUR"}) == [d.number, b.number, a.number]
    assert await numbers({"status": ["OPEN", "CLOSED"]}) == [c.number, a.number]
    assert await numbers({"severity": ["HIGH", "CRITICAL"]}) == [c.number, a.number]
    assert await numbers({"projectIds": [global_id("Project", other.id)]}) == [d.number, c.number]
    assert await numbers({"assignedToMe": True}) == [b.number]
    assert await numbers({"assignedToMe": False}) == newest_first
    assert await numbers({"overdueOnly": True}) == [b.number]
    assert await numbers({"kind": "LABOUR", "status": ["OPEN"]}) == [a.number]
    bad = await graphql(TICKETS, {"filter": {"projectIds": ["nope"]}}, account=office)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID"


async def test_tickets_pages_newest_first(graphql: GraphQL, office: Account) -> None:
    project = await make_project()
    made = [await make_ticket(project, office.user) for _ in range(5)]
    first = (await graphql(TICKETS, {"first": 2}, account=office))["data"]["tickets"]
    assert first["totalCount"] == 5 and first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    second = (await graphql(TICKETS, {"first": 2, "after": after}, account=office))["data"]
    assert [e["node"]["number"] for e in second["tickets"]["edges"]] == [
        made[2].number,
        made[1].number,
    ]
    too_many = await graphql(TICKETS, {"first": 101}, account=office)
    assert too_many["errors"][0]["extensions"]["code"] == "INVALID"


async def test_visibility_by_role(
    graphql: GraphQL,
    make_account: MakeAccount,
    site_manager: Account,
    coordinator: Account,
    supervisor: Account,
    admin: Account,
) -> None:
    other_manager = await make_account(Role.SITE_MANAGER, "site2")
    mine, theirs = await make_project(site_manager.user), await make_project(other_manager.user)
    own = await make_ticket(mine, site_manager.user)
    foreign = await make_ticket(theirs, other_manager.user, assignee=coordinator.user)
    expected = {
        site_manager.user.username: [own.number],
        other_manager.user.username: [foreign.number],
        coordinator.user.username: [foreign.number],
        supervisor.user.username: [foreign.number, own.number],
        admin.user.username: [foreign.number, own.number],
    }
    for account in (site_manager, other_manager, coordinator, supervisor, admin):
        body = await graphql(TICKETS, account=account)
        seen = [e["node"]["number"] for e in body["data"]["tickets"]["edges"]]
        assert seen == expected[account.user.username], account.user.username
    node = "query($id: ID!) { node(id: $id) { ... on ShortageTicket { number } } }"
    hidden = await graphql(
        node, {"id": global_id("ShortageTicket", foreign.id)}, account=site_manager
    )
    assert hidden["data"]["node"] is None
    worked = await graphql(
        node + "", {"id": global_id("ShortageTicket", foreign.id)}, account=coordinator
    )
    assert worked["data"]["node"] == {"number": foreign.number}
    # The coordinator can open what they need to work the ticket: project and reporter.
    needs = await graphql(
        """query($id: ID!) { node(id: $id) { ... on ShortageTicket {
             project { code openTicketCount } reporter { displayName } } } }""",
        {"id": global_id("ShortageTicket", foreign.id)},
        account=coordinator,
    )
    assert needs["data"]["node"]["project"] == {"code": theirs.code, "openTicketCount": 1}
    anonymous = await graphql(TICKETS)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


PROJECT_TICKETS = """
query($first: Int) {
  tickets(first: $first) {
    edges { node { number events { action actor { username } } reporter { username }
      project { code openTicketCount
        tickets(first: 5, filter: {status: [OPEN]}) { totalCount edges { node { number } } } } } }
  }
}
"""


async def test_project_tickets_and_open_count_are_batched(
    graphql: GraphQL, office: Account, count_statements: Any
) -> None:
    for _ in range(6):
        project = await make_project()
        await make_ticket(project, office.user)
        await make_ticket(project, office.user, TicketStatus.CLOSED)
    statements = []
    for first in (2, 12):
        with count_statements() as counter:
            body = await graphql(PROJECT_TICKETS, {"first": first}, account=office)
        assert "errors" not in body
        edges = body["data"]["tickets"]["edges"]
        assert len(edges) == first
        for edge in edges:
            project = edge["node"]["project"]
            assert project["openTicketCount"] == 1
            assert project["tickets"]["totalCount"] == 1
        statements.append(len(counter.statements))
    print(
        f"tickets page with projects, counts and events: first=2 -> {statements[0]},"
        f" first=12 -> {statements[1]} statements"
    )
    assert statements[0] == statements[1], statements


async def test_project_tickets_respect_visibility_and_filter(
    graphql: GraphQL, site_manager: Account, coordinator: Account, office: Account
) -> None:
    project = await make_project(site_manager.user)
    assigned = await make_ticket(
        project, office.user, TicketStatus.ASSIGNED, assignee=coordinator.user
    )
    other = await make_ticket(project, office.user, TicketStatus.OPEN)
    query = """query($id: ID!, $filter: TicketFilter) { node(id: $id) { ... on Project {
      openTicketCount tickets(filter: $filter) { edges { node { number } } } } } }"""
    gid = global_id("Project", project.id)

    async def numbers(account: Account, filter: dict[str, Any] | None = None) -> list[str]:
        body = await graphql(query, {"id": gid, "filter": filter}, account=account)
        return [e["node"]["number"] for e in body["data"]["node"]["tickets"]["edges"]]

    assert await numbers(site_manager) == [other.number, assigned.number]
    assert await numbers(coordinator) == [assigned.number]
    assert await numbers(office, {"status": ["OPEN"]}) == [other.number]
    elsewhere = await make_project()
    assert await numbers(office, {"projectIds": [global_id("Project", elsewhere.id)]}) == []
    assert await numbers(office, {"projectIds": [gid]}) == [other.number, assigned.number]


# --- Notifications ------------------------------------------------------------------------------

NOTIFICATIONS = """
query($unreadOnly: Boolean, $first: Int) {
  unreadNotificationCount
  notifications(unreadOnly: $unreadOnly, first: $first) {
    totalCount edges { node { id kind message readAt ticket { number } } }
  }
}
"""
MARK = """
mutation($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) {
    unreadCount notifications { id readAt } errors { field code }
  }
}
"""


async def test_notifications_poll_and_mark_read(
    graphql: GraphQL, site_manager: Account, office: Account, coordinator: Account
) -> None:
    project = await make_project(site_manager.user)
    ticket = await make_ticket(project, site_manager.user)
    await transition(graphql, office, ticket.id, "ACCEPT")
    await transition(
        graphql, office, ticket.id, "ASSIGN", assigneeId=global_id("User", coordinator.user.id)
    )
    body = (await graphql(NOTIFICATIONS, account=site_manager))["data"]
    assert body["unreadNotificationCount"] == 2
    edges = body["notifications"]["edges"]
    assert [e["node"]["kind"] for e in edges] == ["TICKET_TRANSITION"] * 2
    assert "ACCEPTED → ASSIGNED" in edges[0]["node"]["message"]
    assert edges[0]["node"]["ticket"] == {"number": ticket.number}
    coordinator_view = (await graphql(NOTIFICATIONS, account=coordinator))["data"]
    assert [e["node"]["kind"] for e in coordinator_view["notifications"]["edges"]] == [
        "TICKET_ASSIGNED"
    ]
    newest = edges[0]["node"]["id"]
    marked = (await graphql(MARK, {"input": {"ids": [newest]}}, account=site_manager))["data"]
    assert marked["markNotificationsRead"]["errors"] == []
    assert marked["markNotificationsRead"]["unreadCount"] == 1
    assert marked["markNotificationsRead"]["notifications"][0]["readAt"] is not None
    unread = (await graphql(NOTIFICATIONS, {"unreadOnly": True}, account=site_manager))["data"]
    assert [e["node"]["id"] for e in unread["notifications"]["edges"]] == [edges[1]["node"]["id"]]
    # Someone else's notification is not found, and nothing is marked.
    foreign = await graphql(MARK, {"input": {"ids": [edges[1]["node"]["id"]]}}, account=office)
    assert foreign["data"]["markNotificationsRead"]["errors"] == [
        {"field": ["input", "ids", "0"], "code": "NOT_FOUND"}
    ]
    assert await Notification.filter(read_at__isnull=True).count() == 2
    # node(id) finds one's own notification only.
    node = """query($id: ID!) { node(id: $id) { ... on Notification {
      id kind readAt ticket { number } } } }"""
    own = (await graphql(node, {"id": newest}, account=site_manager))["data"]["node"]
    assert own["id"] == newest and own["kind"] == "TICKET_TRANSITION"
    assert own["readAt"] is not None and own["ticket"] == {"number": ticket.number}
    assert (await graphql(node, {"id": newest}, account=office))["data"]["node"] is None


async def test_huge_id_and_enum_lists_are_refused_or_folded_not_sent_to_sql(
    graphql: GraphQL, site_manager: Account, office: Account
) -> None:
    ids = [global_id("Notification", n) for n in range(1, 33_001)]
    marked = await graphql(MARK, {"input": {"ids": ids}}, account=site_manager)
    assert marked["data"]["markNotificationsRead"]["errors"] == [
        {"field": ["input", "ids"], "code": "INVALID"}
    ]
    query = "query($f: TicketFilter) { tickets(filter: $f) { totalCount } }"
    many = {"severity": ["HIGH", "LOW"] * 16_500, "status": ["OPEN"] * 33_000}
    folded = await graphql(query, {"f": many}, account=office)
    assert folded["data"]["tickets"]["totalCount"] == 0
    projects = {"projectIds": [global_id("Project", n) for n in range(1, 102)]}
    refused = await graphql(query, {"f": projects}, account=office)
    assert refused["errors"][0]["extensions"]["code"] == "INVALID"


async def test_polling_with_nothing_new_is_cheap(
    graphql: GraphQL, site_manager: Account, count_statements: Any
) -> None:
    for _ in range(30):
        await Notification.create(user=site_manager.user, kind="TICKET_TRANSITION", message="x")
    await Notification.all().update(read_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    query = """{ unreadNotificationCount
      notifications(unreadOnly: true, first: 20) { edges { node { id } } } }"""
    with count_statements() as counter:
        body = await graphql(query, account=site_manager)
    assert body["data"]["unreadNotificationCount"] == 0
    assert body["data"]["notifications"]["edges"] == []
    # The token lookup, the count and the page: nothing per notification.
    print(f"poll with nothing new: {len(counter.statements)} statements")
    assert len(counter.statements) <= 4, counter.statements


async def test_notification_pages_are_batched(
    graphql: GraphQL, site_manager: Account, count_statements: Any
) -> None:
    project = await make_project(site_manager.user)
    for _ in range(25):
        ticket = await make_ticket(project, site_manager.user)
        await Notification.create(
            user=site_manager.user, kind="TICKET_TRANSITION", message="x", ticket=ticket
        )
    query = """query($first: Int) { notifications(first: $first) {
      edges { node { id ticket { number project { code } reporter { username } } } } } }"""
    statements = []
    for first in (2, 20):
        with count_statements() as counter:
            body = await graphql(query, {"first": first}, account=site_manager)
        edges = body["data"]["notifications"]["edges"]
        assert len(edges) == first and all(e["node"]["ticket"] for e in edges)
        statements.append(len(counter.statements))
    print(
        f"notifications page with tickets: first=2 -> {statements[0]},"
        f" first=20 -> {statements[1]} statements"
    )
    assert statements[0] == statements[1], statements
