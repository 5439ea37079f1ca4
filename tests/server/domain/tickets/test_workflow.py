"""The ticket workflow as domain functions: the design's table, cell by cell, and races."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from tortoise.transactions import in_transaction

from server.domain import tickets
from server.domain.errors import Problem, Problems, Refused
from server.domain.models import (
    AuditEntry,
    Notification,
    Role,
    ShortageTicket,
    TicketEvent,
    TicketStatus,
    User,
)
from server.domain.tickets import TicketAction, TransitionRequest
from server.domain.tickets import workflow as ticket_workflow
from tests.conftest import BACKEND, MakeAccount
from tests.ticket_helpers import make_project, make_ticket

S = TicketStatus
A = TicketAction

# The design's workflow table, written out independently of server/domain/tickets/workflow.py.
TABLE: dict[TicketAction, tuple[set[TicketStatus], set[str]]] = {
    A.ACCEPT: ({S.OPEN}, {"office"}),
    A.ASSIGN: ({S.OPEN, S.ACCEPTED, S.ASSIGNED}, {"office"}),
    A.START: ({S.ASSIGNED}, {"assignee", "office"}),
    A.RESOLVE: ({S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS}, {"assignee", "office"}),
    A.CONFIRM: ({S.RESOLVED}, {"reporter", "site manager"}),
    A.REOPEN: ({S.RESOLVED}, {"reporter", "site manager"}),
    A.REJECT: ({S.OPEN, S.ACCEPTED}, {"office"}),
}
TARGET = {
    A.ACCEPT: S.ACCEPTED,
    A.ASSIGN: S.ASSIGNED,
    A.START: S.IN_PROGRESS,
    A.RESOLVE: S.RESOLVED,
    A.CONFIRM: S.CLOSED,
    A.REOPEN: S.IN_PROGRESS,  # every RESOLVED ticket here has an assignee
    A.REJECT: S.REJECTED,
}
# Statuses a ticket reaches only after an assignment carry one in these tests.
ASSIGNED_STATUSES = {S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED}


@dataclass
class Cast:
    """Everyone who might act on a ticket, and what they are to it."""

    users: dict[str, User]
    parties: dict[str, set[str]]
    sees: dict[str, bool]


async def _cast(make_account: MakeAccount, assigned: bool) -> tuple[Cast, object]:
    office = (await make_account(Role.OFFICE, "office")).user
    admin = (await make_account(Role.ADMIN, "admin")).user
    supervisor = (await make_account(Role.SUPERVISOR, "supervisor")).user
    assignee = (await make_account(Role.COORDINATOR, "assignee")).user
    other_coordinator = (await make_account(Role.COORDINATOR, "other-coordinator")).user
    reporter = (await make_account(Role.SITE_MANAGER, "reporter")).user
    colleague = (await make_account(Role.SITE_MANAGER, "colleague")).user
    stranger = (await make_account(Role.SITE_MANAGER, "stranger")).user
    project = await make_project(reporter, colleague)
    await make_project(stranger)
    users = {
        "office": office,
        "admin": admin,
        "supervisor": supervisor,
        "assignee": assignee,
        "other coordinator": other_coordinator,
        "reporter": reporter,
        "colleague": colleague,
        "stranger": stranger,
    }
    parties = {
        "office": {"office"},
        "admin": {"office"},
        "supervisor": set(),
        "assignee": {"assignee"},
        "other coordinator": set(),
        "reporter": {"reporter", "site manager"},
        "colleague": {"site manager"},
        "stranger": set(),
    }
    sees = {name: True for name in users}
    sees["other coordinator"] = False
    sees["stranger"] = False
    sees["assignee"] = assigned
    return Cast(users, parties, sees), project


def _request(ticket: ShortageTicket, action: TicketAction, cast: Cast) -> TransitionRequest:
    """A request with what the table asks of `action` (assignee, note, satisfaction)."""
    return TransitionRequest(
        ticket_id=ticket.id,
        action=action,
        assignee_id=cast.users["assignee"].id if action == A.ASSIGN else None,
        note="处理说明" if action in (A.RESOLVE, A.REOPEN, A.REJECT) else None,
        satisfaction=4 if action == A.CONFIRM else None,
    )


async def _attempt(actor: User, request: TransitionRequest) -> ShortageTicket | Refused:
    try:
        async with in_transaction():
            return await tickets.transition_ticket(actor, request)
    except Refused as refused:
        return refused


@pytest.mark.parametrize("status", list(TicketStatus), ids=str)
@pytest.mark.parametrize("action", list(TicketAction), ids=str)
async def test_workflow_table_cell(
    make_account: MakeAccount, action: TicketAction, status: TicketStatus
) -> None:
    """Every role on every action from every status: the table's answer, nothing more."""
    assigned = status in ASSIGNED_STATUSES
    cast, project = await _cast(make_account, assigned)
    sources, allowed_parties = TABLE[action]
    for name, actor in cast.users.items():
        ticket = await make_ticket(
            project,  # type: ignore[arg-type]
            cast.users["reporter"],
            status,
            assignee=cast.users["assignee"] if assigned else None,
        )
        events_before = await TicketEvent.filter(ticket=ticket).count()
        outcome = await _attempt(actor, _request(ticket, action, cast))
        after = await ShortageTicket.get(id=ticket.id)
        events = await TicketEvent.filter(ticket=ticket).order_by("id")
        where = f"{name} {action} from {status}"
        if not cast.sees[name]:
            expected = "NOT_FOUND"
        elif status not in sources:
            expected = "INVALID_TRANSITION"
        elif not cast.parties[name] & allowed_parties:
            expected = "FORBIDDEN"
        else:
            expected = "OK"
        if expected == "OK":
            assert isinstance(outcome, ShortageTicket), f"{where}: {outcome}"
            assert after.status == TARGET[action], where
            assert after.version == ticket.version + 1, where
            assert len(events) == events_before + 1, where
            last = events[-1]
            assert (last.action, last.from_status, last.to_status, last.actor_id) == (
                action.value,
                status,
                TARGET[action],
                actor.id,
            ), where
        else:
            assert isinstance(outcome, Refused), f"{where}: succeeded"
            assert [p.code for p in outcome.problems] == [expected], where
            assert after.status == status and after.version == ticket.version, where
            assert len(events) == events_before, where


async def test_reopen_without_assignee_goes_back_to_accepted(make_account: MakeAccount) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "reporter")).user
    project = await make_project(reporter)
    ticket = await make_ticket(project, reporter, S.RESOLVED)
    reopened = await tickets.transition_ticket(
        reporter, TransitionRequest(ticket.id, A.REOPEN, note="还是缺人")
    )
    assert reopened.status == S.ACCEPTED


async def test_office_reporter_may_confirm_their_own_ticket(make_account: MakeAccount) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    project = await make_project()
    ticket = await make_ticket(project, office, S.RESOLVED)
    closed = await tickets.transition_ticket(
        office, TransitionRequest(ticket.id, A.CONFIRM, satisfaction=5)
    )
    assert (closed.status, closed.satisfaction) == (S.CLOSED, 5)
    assert closed.closed_at is not None


async def test_resolve_sets_resolved_at_and_reopen_clears_it(make_account: MakeAccount) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    reporter = (await make_account(Role.SITE_MANAGER, "reporter")).user
    project = await make_project(reporter)
    ticket = await make_ticket(project, reporter, S.ACCEPTED)
    resolved = await tickets.transition_ticket(
        office, TransitionRequest(ticket.id, A.RESOLVE, note="已调配")
    )
    assert resolved.resolved_at is not None
    reopened = await tickets.transition_ticket(
        reporter, TransitionRequest(ticket.id, A.REOPEN, note="未到位")
    )
    assert reopened.resolved_at is None


@pytest.mark.parametrize(
    ("request_fields", "field", "code"),
    [
        ({"action": A.ASSIGN}, "assigneeId", "INVALID"),
        ({"action": A.ASSIGN, "assignee_id": 0}, "assigneeId", "NOT_FOUND"),
        ({"action": A.ASSIGN, "assignee_id": "site manager"}, "assigneeId", "INVALID"),
        ({"action": A.ASSIGN, "assignee_id": "supervisor"}, "assigneeId", "INVALID"),
        ({"action": A.ASSIGN, "assignee_id": "inactive"}, "assigneeId", "INVALID"),
        ({"action": A.ACCEPT, "assignee_id": "coordinator"}, "assigneeId", "INVALID"),
        ({"action": A.REJECT}, "note", "INVALID"),
        ({"action": A.REJECT, "note": "   "}, "note", "INVALID"),
        ({"action": A.ACCEPT, "satisfaction": 3}, "satisfaction", "INVALID"),
    ],
)
async def test_transition_field_problems_write_nothing(
    make_account: MakeAccount, request_fields: dict, field: str, code: str
) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    users = {
        "site manager": (await make_account(Role.SITE_MANAGER, "sm")).user,
        "supervisor": (await make_account(Role.SUPERVISOR, "sup")).user,
        "inactive": (await make_account(Role.COORDINATOR, "gone", is_active=False)).user,
        "coordinator": (await make_account(Role.COORDINATOR, "coord")).user,
    }
    project = await make_project(users["site manager"])
    ticket = await make_ticket(project, users["site manager"])
    values = dict(request_fields)
    if isinstance(values.get("assignee_id"), str):
        values["assignee_id"] = users[values["assignee_id"]].id
    outcome = await _attempt(office, TransitionRequest(ticket.id, **values))
    assert isinstance(outcome, Refused)
    assert outcome.problems == [Problem(code, outcome.problems[0].message, ("input", field))]
    assert (await ShortageTicket.get(id=ticket.id)).status == S.OPEN
    assert await TicketEvent.filter(ticket=ticket).count() == 1
    assert not await AuditEntry.exists()


@pytest.mark.parametrize("satisfaction", [None, 0, 6, -1])
async def test_confirm_needs_satisfaction_from_one_to_five(
    make_account: MakeAccount, satisfaction: int | None
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "reporter")).user
    project = await make_project(reporter)
    ticket = await make_ticket(project, reporter, S.RESOLVED)
    outcome = await _attempt(
        reporter, TransitionRequest(ticket.id, A.CONFIRM, satisfaction=satisfaction)
    )
    assert isinstance(outcome, Refused)
    assert [(p.code, p.field) for p in outcome.problems] == [("INVALID", ("input", "satisfaction"))]
    assert (await ShortageTicket.get(id=ticket.id)).status == S.RESOLVED


async def test_notifications_go_to_reporter_and_assignee_not_actor(
    make_account: MakeAccount,
) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    coordinator = (await make_account(Role.COORDINATOR, "coordinator")).user
    reporter = (await make_account(Role.SITE_MANAGER, "reporter")).user
    project = await make_project(reporter)
    ticket = await make_ticket(project, reporter)
    await tickets.transition_ticket(
        office, TransitionRequest(ticket.id, A.ASSIGN, assignee_id=coordinator.id)
    )
    await tickets.transition_ticket(coordinator, TransitionRequest(ticket.id, A.START))
    await tickets.transition_ticket(
        coordinator, TransitionRequest(ticket.id, A.RESOLVE, note="已到位")
    )
    await tickets.transition_ticket(
        reporter, TransitionRequest(ticket.id, A.CONFIRM, satisfaction=5)
    )
    to_reporter = await Notification.filter(user=reporter).order_by("id")
    assert [n.kind for n in to_reporter] == ["TICKET_TRANSITION"] * 3
    assert "ASSIGNED" in to_reporter[0].message and to_reporter[0].ticket_id == ticket.id
    to_coordinator = await Notification.filter(user=coordinator)
    assert [n.kind for n in to_coordinator] == ["TICKET_ASSIGNED"]
    assert not await Notification.filter(user=office).exists()


@pytest.mark.parametrize(
    ("start", "action", "code"),
    [(S.OPEN, A.ACCEPT, "INVALID_TRANSITION"), (S.ACCEPTED, A.ASSIGN, "CONFLICT")],
    ids=["step no longer possible", "step still possible"],
)
async def test_step_that_loses_at_the_update_is_refused_and_writes_nothing(
    make_account: MakeAccount,
    monkeypatch: pytest.MonkeyPatch,
    start: TicketStatus,
    action: TicketAction,
    code: str,
) -> None:
    """Two people pass every check on the same version; only the first UPDATE may win.

    A barrier after the checks forces the interleaving instead of hoping for it: both requests
    have read the ticket before either writes. On PostgreSQL each runs in its own transaction
    (the loser's UPDATE waits on the winner's row lock); SQLite serialises transactions, so
    there the two run statement by statement.
    """
    offices = [(await make_account(Role.OFFICE, f"office{i}")).user for i in range(2)]
    coordinator = (await make_account(Role.COORDINATOR, "coordinator")).user
    project = await make_project()
    ticket = await make_ticket(project, offices[0], start)
    barrier = asyncio.Barrier(2)
    check_request = ticket_workflow._check_request

    async def check_then_wait(*args: object) -> Problems:
        problems = await check_request(*args)  # type: ignore[arg-type]
        await barrier.wait()
        return problems

    monkeypatch.setattr(ticket_workflow, "_check_request", check_then_wait)
    request = TransitionRequest(
        ticket.id, action, assignee_id=coordinator.id if action == A.ASSIGN else None
    )

    async def act(actor: User) -> ShortageTicket | Refused:
        if BACKEND == "postgres":
            return await _attempt(actor, request)
        try:
            return await tickets.transition_ticket(actor, request)
        except Refused as refused:
            return refused

    outcomes = await asyncio.wait_for(asyncio.gather(*(act(o) for o in offices)), timeout=30)
    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert len(refused) == 1, outcomes
    assert [p.code for p in refused[0].problems] == [code]
    stored = await ShortageTicket.get(id=ticket.id)
    assert (stored.status, stored.version) == (TARGET[action], ticket.version + 1)
    events = await TicketEvent.filter(ticket_id=ticket.id, action=action.value)
    assert len(events) == 1
