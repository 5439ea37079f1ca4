"""Optimistic concurrency on ticket steps: the version the client saw, stale versions refused
CONFLICT with the ticket as it now stands, races at the UPDATE, and idempotent retries."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from server.domain import tickets
from server.domain.errors import VERSION_FIELD, Problems, Refused
from server.domain.models import (
    AuditEntry,
    IdempotencyRecord,
    Notification,
    Role,
    ShortageTicket,
    TicketEvent,
    TicketStatus,
    User,
)
from server.domain.rows.tickets import TicketRow
from server.domain.tickets import TicketAction, TransitionRequest
from server.domain.tickets import workflow as ticket_workflow
from tests.conftest import MakeAccount
from tests.ticket_helpers import make_project, make_ticket

S = TicketStatus
A = TicketAction


async def step(actor: User, request: TransitionRequest, key: str | None = None) -> ShortageTicket:
    """Take the step in its own transaction, as the mutation wrapper does."""
    async with in_transaction():
        return await tickets.transition_ticket(actor, request, idempotency_key=key)


async def refused_step(actor: User, request: TransitionRequest, key: str | None = None) -> Refused:
    """The refusal of a step that must be refused."""
    with pytest.raises(Refused) as refused:
        await step(actor, request, key)
    return refused.value


async def state(ticket_id: int) -> tuple[Any, ...]:
    """What a refused step must leave alone: the row, events, audit, notifications, keys."""
    row = await ShortageTicket.get(id=ticket_id)
    return (
        row.status,
        row.version,
        row.assignee_id,
        row.updated_at,
        await TicketEvent.filter(ticket_id=ticket_id).count(),
        await AuditEntry.all().count(),
        await Notification.all().count(),
        await IdempotencyRecord.all().count(),
    )


async def _office_and_ticket(
    make_account: MakeAccount, status: TicketStatus = S.OPEN
) -> tuple[User, User, ShortageTicket]:
    office = (await make_account(Role.OFFICE, "office")).user
    reporter = (await make_account(Role.SITE_MANAGER, "reporter")).user
    ticket = await make_ticket(await make_project(reporter), reporter, status)
    return office, reporter, ticket


async def test_without_a_version_steps_apply_and_count_up(make_account: MakeAccount) -> None:
    office, _, ticket = await _office_and_ticket(make_account)
    assert ticket.version == 0
    accepted = await step(office, TransitionRequest(ticket.id, A.ACCEPT))
    assert (accepted.status, accepted.version) == (S.ACCEPTED, 1)
    resolved = await step(office, TransitionRequest(ticket.id, A.RESOLVE, note="已协调"))
    assert (resolved.status, resolved.version) == (S.RESOLVED, 2)


async def test_the_current_version_takes_the_step(make_account: MakeAccount) -> None:
    office, _, ticket = await _office_and_ticket(make_account)
    accepted = await step(office, TransitionRequest(ticket.id, A.ACCEPT, expected_version=0))
    assert (accepted.status, accepted.version) == (S.ACCEPTED, 1)
    resolved = await step(
        office, TransitionRequest(ticket.id, A.RESOLVE, note="已协调", expected_version=1)
    )
    assert (resolved.status, resolved.version) == (S.RESOLVED, 2)


async def test_a_stale_version_is_a_conflict_carrying_the_ticket(
    make_account: MakeAccount,
) -> None:
    """The office accepted meanwhile; a step decided on version 0 is refused, even though it
    is still possible from ACCEPTED, and the refusal carries the ticket as it now stands."""
    office, _, ticket = await _office_and_ticket(make_account)
    other = (await make_account(Role.OFFICE, "office2")).user
    await step(other, TransitionRequest(ticket.id, A.ACCEPT))
    before = await state(ticket.id)
    refused = await refused_step(
        office, TransitionRequest(ticket.id, A.REJECT, note="重复", expected_version=0)
    )
    assert [(p.code, p.field) for p in refused.problems] == [("CONFLICT", VERSION_FIELD)]
    assert "version 0" in refused.message and "now 1" in refused.message
    current = refused.current
    assert isinstance(current, TicketRow)
    assert (current.id, current.status, current.version) == (ticket.id, S.ACCEPTED, 1)
    assert await state(ticket.id) == before


async def test_a_version_ahead_of_the_ticket_is_a_conflict_too(
    make_account: MakeAccount,
) -> None:
    office, _, ticket = await _office_and_ticket(make_account)
    before = await state(ticket.id)
    refused = await refused_step(
        office, TransitionRequest(ticket.id, A.ACCEPT, expected_version=2**40)
    )
    assert refused.code == "CONFLICT"
    assert isinstance(refused.current, TicketRow) and refused.current.version == 0
    assert await state(ticket.id) == before


async def test_a_stale_version_is_reported_before_the_step_s_own_problems(
    make_account: MakeAccount,
) -> None:
    """Resolved meanwhile: the phone's ACCEPT on version 0 hears CONFLICT with the ticket
    (what changed), not INVALID_TRANSITION (which would not say what it is now)."""
    office, _, ticket = await _office_and_ticket(make_account)
    await step(office, TransitionRequest(ticket.id, A.ACCEPT))
    await step(office, TransitionRequest(ticket.id, A.RESOLVE, note="已协调"))
    refused = await refused_step(office, TransitionRequest(ticket.id, A.ACCEPT, expected_version=0))
    assert refused.code == "CONFLICT"
    assert isinstance(refused.current, TicketRow) and refused.current.status == S.RESOLVED


async def test_a_negative_version_is_invalid(make_account: MakeAccount) -> None:
    office, _, ticket = await _office_and_ticket(make_account)
    before = await state(ticket.id)
    refused = await refused_step(
        office, TransitionRequest(ticket.id, A.ACCEPT, expected_version=-1)
    )
    assert [(p.code, p.field) for p in refused.problems] == [("INVALID", VERSION_FIELD)]
    assert refused.current is None
    assert await state(ticket.id) == before


async def test_someone_else_s_ticket_is_not_found_whatever_the_version(
    make_account: MakeAccount,
) -> None:
    """A stranger learns nothing, not even that the version was wrong."""
    _, _, ticket = await _office_and_ticket(make_account)
    stranger = (await make_account(Role.SITE_MANAGER, "stranger")).user
    await make_project(stranger)
    before = await state(ticket.id)
    for version in (0, 7):
        refused = await refused_step(
            stranger,
            TransitionRequest(ticket.id, A.CONFIRM, satisfaction=5, expected_version=version),
        )
        assert [(p.code, p.field) for p in refused.problems] == [
            ("NOT_FOUND", ("input", "ticketId"))
        ]
        assert refused.current is None
        assert "version" not in refused.message
    assert await state(ticket.id) == before


async def test_two_steps_on_the_same_version_the_second_is_a_conflict(
    make_account: MakeAccount,
) -> None:
    office, _, ticket = await _office_and_ticket(make_account)
    coordinator = (await make_account(Role.COORDINATOR, "coordinator")).user
    await step(office, TransitionRequest(ticket.id, A.ACCEPT, expected_version=0))
    before = await state(ticket.id)
    refused = await refused_step(
        office,
        TransitionRequest(ticket.id, A.ASSIGN, assignee_id=coordinator.id, expected_version=0),
    )
    assert refused.code == "CONFLICT"
    assert await state(ticket.id) == before


@pytest.mark.parametrize("expected", [0, None], ids=["named version", "no version"])
async def test_a_change_between_the_checks_and_the_update_is_caught(
    make_account: MakeAccount, monkeypatch: pytest.MonkeyPatch, expected: int | None
) -> None:
    """Someone's step commits after this one's checks: the UPDATE on the version read finds
    no row, so nothing is written and the refusal is CONFLICT with the ticket as it now is
    (the step is still possible from ACCEPTED, so without a version it is CONFLICT too)."""
    office, _, ticket = await _office_and_ticket(make_account, S.ACCEPTED)
    coordinator = (await make_account(Role.COORDINATOR, "coordinator")).user
    check_request = ticket_workflow._check_request

    async def check_then_someone_steps(*args: Any) -> Problems:
        problems = await check_request(*args)
        await ShortageTicket.filter(id=ticket.id).update(
            version=F("version") + 1, title="已被他人修改"
        )
        return problems

    monkeypatch.setattr(ticket_workflow, "_check_request", check_then_someone_steps)
    request = TransitionRequest(
        ticket.id, A.ASSIGN, assignee_id=coordinator.id, expected_version=expected
    )
    refused = await refused_step(office, request)
    assert refused.code == "CONFLICT"
    current = refused.current
    assert isinstance(current, TicketRow)
    assert (current.version, current.title, current.status) == (1, "已被他人修改", S.ACCEPTED)
    stored = await ShortageTicket.get(id=ticket.id)
    # The refused transaction took the interloper's change back with it.
    assert (stored.version, stored.assignee_id, stored.status) == (0, None, S.ACCEPTED)
    assert await TicketEvent.filter(ticket_id=ticket.id, action="ASSIGN").count() == 0


async def test_a_replayed_step_returns_the_ticket_even_when_it_moved_on(
    make_account: MakeAccount,
) -> None:
    """The phone's ACCEPT went through but the answer was lost; the office resolved the ticket
    since. Replayed with its key, the ACCEPT is absorbed (the ticket as it now stands, no
    CONFLICT against its own first success, nothing written); the key checks come first."""
    office, _, ticket = await _office_and_ticket(make_account)
    request = TransitionRequest(ticket.id, A.ACCEPT, expected_version=0)
    first = await step(office, request, key="phone-1")
    assert first.version == 1
    other = (await make_account(Role.OFFICE, "office2")).user
    await step(other, TransitionRequest(ticket.id, A.RESOLVE, note="已协调", expected_version=1))
    before = await state(ticket.id)
    again = await step(office, request, key="phone-1")
    assert (again.id, again.status, again.version) == (ticket.id, S.RESOLVED, 2)
    assert await state(ticket.id) == before
    assert await TicketEvent.filter(ticket_id=ticket.id, action="ACCEPT").count() == 1
    # The key with another request is refused on the key, not on the version.
    changed = TransitionRequest(ticket.id, A.ACCEPT, expected_version=1)
    refused = await refused_step(office, changed, key="phone-1")
    assert [(p.code, p.field) for p in refused.problems] == [
        ("CONFLICT", ("input", "idempotencyKey"))
    ]
    assert refused.current is None


async def test_a_replay_the_viewer_can_no_longer_see_answers_not_found(
    make_account: MakeAccount,
) -> None:
    """The key's record does not outlive visibility: the coordinator taken off the ticket
    replays START and hears NOT_FOUND, as for any ticket it cannot see."""
    office, _, ticket = await _office_and_ticket(make_account)
    coordinator = (await make_account(Role.COORDINATOR, "coordinator")).user
    other = (await make_account(Role.COORDINATOR, "coordinator2")).user
    await step(office, TransitionRequest(ticket.id, A.ASSIGN, assignee_id=coordinator.id))
    start = TransitionRequest(ticket.id, A.START, expected_version=1)
    await step(coordinator, start, key="phone-1")
    await step(office, TransitionRequest(ticket.id, A.RESOLVE, note="已协调"))
    await ShortageTicket.filter(id=ticket.id).update(assignee_id=other.id)
    refused = await refused_step(coordinator, start, key="phone-1")
    assert refused.code == "NOT_FOUND" and refused.current is None
