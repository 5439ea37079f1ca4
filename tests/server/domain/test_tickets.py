"""The ticket workflow as domain functions: the design's table, cell by cell, and numbering."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
from dataclasses import dataclass

import pytest
from tortoise.transactions import in_transaction

from server.domain import tickets
from server.domain.models import (
    AuditEntry,
    IdempotencyRecord,
    Notification,
    Role,
    ShortageKind,
    ShortageTicket,
    TicketCounter,
    TicketEvent,
    TicketStatus,
    User,
)
from server.domain.tickets import (
    Problem,
    TicketAction,
    TicketDraft,
    TicketRefused,
    TransitionRequest,
)
from tests.conftest import BACKEND, MakeAccount
from tests.ticket_helpers import make_milestone, make_project, make_ticket

S = TicketStatus
A = TicketAction

# The design's workflow table, written out independently of server/tickets.py.
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


async def _attempt(actor: User, request: TransitionRequest) -> ShortageTicket | TicketRefused:
    try:
        async with in_transaction():
            return await tickets.transition_ticket(actor, request)
    except TicketRefused as refused:
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
            assert isinstance(outcome, TicketRefused), f"{where}: succeeded"
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
    assert isinstance(outcome, TicketRefused)
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
    assert isinstance(outcome, TicketRefused)
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


# --- Filing -------------------------------------------------------------------------------------


async def test_numbers_run_per_kind_and_year(make_account: MakeAccount) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    project = await make_project()
    labour = TicketDraft(project.id, ShortageKind.LABOUR, "缺木工", trade="木工", headcount=5)
    material = TicketDraft(
        project.id,
        ShortageKind.MATERIAL,
        "缺钢材",
        material="螺纹钢",
        quantity=decimal.Decimal("12.5"),
        unit="t",
    )
    today = dt.date(2026, 3, 1)
    numbers = [
        (await tickets.create_ticket(office, labour, today=today)).number,
        (await tickets.create_ticket(office, material, today=today)).number,
        (await tickets.create_ticket(office, labour, today=today)).number,
        (await tickets.create_ticket(office, labour, today=dt.date(2027, 1, 2))).number,
    ]
    assert numbers == ["LAB-2026-0001", "MAT-2026-0001", "LAB-2026-0002", "LAB-2027-0001"]


async def test_refused_filing_gives_its_number_back(make_account: MakeAccount) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    project = await make_project()
    today = dt.date(2026, 3, 1)
    good = TicketDraft(project.id, ShortageKind.LABOUR, "缺木工", trade="木工", headcount=5)
    async with in_transaction():
        await tickets.create_ticket(office, good, today=today)
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await tickets.create_ticket(office, good, today=today)
            raise RuntimeError("the request failed after the number was taken")
    async with in_transaction():
        third = await tickets.create_ticket(office, good, today=today)
    assert third.number == "LAB-2026-0002"
    counter = await TicketCounter.get(kind=ShortageKind.LABOUR, year=2026)
    assert counter.last_number == 2


async def test_concurrent_filings_get_distinct_numbers_without_gaps(
    make_account: MakeAccount,
) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    project = await make_project()
    draft = TicketDraft(project.id, ShortageKind.MATERIAL, "缺水泥", material="水泥")
    draft.quantity, draft.unit = decimal.Decimal(30), "t"

    async def file_one() -> str:
        async with in_transaction():
            ticket = await tickets.create_ticket(
                office, TicketDraft(**vars(draft)), today=dt.date(2026, 2, 20)
            )
            return ticket.number

    numbers = await asyncio.gather(*(file_one() for _ in range(20)))
    assert sorted(numbers) == [f"MAT-2026-{n:04d}" for n in range(1, 21)]


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
    check_request = tickets._check_request

    async def check_then_wait(*args: object) -> list[Problem]:
        problems = await check_request(*args)  # type: ignore[arg-type]
        await barrier.wait()
        return problems

    monkeypatch.setattr(tickets, "_check_request", check_then_wait)
    request = TransitionRequest(
        ticket.id, action, assignee_id=coordinator.id if action == A.ASSIGN else None
    )

    async def act(actor: User) -> ShortageTicket | TicketRefused:
        if BACKEND == "postgres":
            return await _attempt(actor, request)
        try:
            return await tickets.transition_ticket(actor, request)
        except TicketRefused as refused:
            return refused

    outcomes = await asyncio.wait_for(asyncio.gather(*(act(o) for o in offices)), timeout=30)
    refused = [o for o in outcomes if isinstance(o, TicketRefused)]
    assert len(refused) == 1, outcomes
    assert [p.code for p in refused[0].problems] == [code]
    stored = await ShortageTicket.get(id=ticket.id)
    assert (stored.status, stored.version) == (TARGET[action], ticket.version + 1)
    events = await TicketEvent.filter(ticket_id=ticket.id, action=action.value)
    assert len(events) == 1


async def test_a_blocking_milestone_of_another_project_answers_like_a_missing_one(
    make_account: MakeAccount,
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "reporter")).user
    stranger = (await make_account(Role.SITE_MANAGER, "stranger")).user
    project, visible = await make_project(reporter), await make_project(reporter)
    hidden = await make_project(stranger)
    own = await make_milestone(project)
    answers = []
    for milestone_id in (
        (await make_milestone(visible)).id,
        (await make_milestone(hidden)).id,
        999_999,
        0,
    ):
        draft = labour_draft(project.id, blocking_milestone_id=milestone_id)
        with pytest.raises(TicketRefused) as refused:
            await tickets.create_ticket(reporter, draft, today=dt.date(2026, 2, 20))
        answers.append(refused.value.problems)
    assert answers[0] == [
        Problem("NOT_FOUND", "No such milestone of this project.", ("input", "blockingMilestoneId"))
    ]
    assert all(problems == answers[0] for problems in answers)
    assert not await ShortageTicket.exists()
    draft = labour_draft(project.id, blocking_milestone_id=own.id)
    filed = await tickets.create_ticket(reporter, draft, today=dt.date(2026, 2, 20))
    assert filed.blocking_milestone_id == own.id


def labour_draft(project_id: int, **fields: object) -> TicketDraft:
    """A valid LABOUR draft for the project."""
    values: dict[str, object] = {"trade": "木工", "headcount": 3, **fields}
    return TicketDraft(project_id, ShortageKind.LABOUR, "缺人", **values)  # type: ignore[arg-type]


async def file_keyed(
    actor: User, draft: TicketDraft, key: str, ttl: dt.timedelta | None = None
) -> ShortageTicket | TicketRefused:
    """create_ticket under `key` in its own transaction: the ticket, or the refusal."""
    extra = {"key_ttl": ttl} if ttl is not None else {}
    try:
        async with in_transaction():
            return await tickets.create_ticket(
                actor, draft, today=dt.date(2026, 2, 20), idempotency_key=key, **extra
            )
    except TicketRefused as refused:
        return refused


async def test_a_key_replays_its_draft_and_refuses_another(make_account: MakeAccount) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "reporter")).user
    project = await make_project(reporter)
    first = await file_keyed(reporter, labour_draft(project.id), "phone-1")
    again = await file_keyed(reporter, labour_draft(project.id), "phone-1")
    assert isinstance(first, ShortageTicket) and isinstance(again, ShortageTicket)
    assert again.id == first.id
    for changed in (
        labour_draft(project.id, headcount=4),
        labour_draft(project.id, description="更多工人"),
        labour_draft(project.id, needed_by=dt.date(2026, 3, 1)),
        TicketDraft(project.id, ShortageKind.MATERIAL, "缺人", material="砂", quantity=1, unit="t"),
    ):
        refused = await file_keyed(reporter, changed, "phone-1")
        assert isinstance(refused, TicketRefused)
        assert [(p.code, p.field) for p in refused.problems] == [
            ("CONFLICT", ("input", "idempotencyKey"))
        ]
    assert await ShortageTicket.all().count() == 1
    assert await AuditEntry.filter(action="createShortageTicket").count() == 1


@pytest.mark.parametrize(
    "key", ["k" * 129, "k" * 10_000, "nul\x00", "lone\ud800"], ids=["129", "10kB", "nul", "lone"]
)
async def test_hostile_keys_are_invalid_and_file_nothing(
    make_account: MakeAccount, key: str
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "reporter")).user
    project = await make_project(reporter)
    refused = await file_keyed(reporter, labour_draft(project.id), key)
    assert isinstance(refused, TicketRefused)
    assert [(p.code, p.field) for p in refused.problems] == [
        ("INVALID", ("input", "idempotencyKey"))
    ]
    assert not await ShortageTicket.exists()


async def test_an_expired_key_files_afresh(make_account: MakeAccount) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "reporter")).user
    project = await make_project(reporter)
    first = await file_keyed(reporter, labour_draft(project.id), "phone-1")
    await IdempotencyRecord.filter(key="phone-1").update(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    )
    replay = await file_keyed(reporter, labour_draft(project.id, headcount=9), "phone-1")
    assert isinstance(replay, TicketRefused)  # within the default week: still bound
    fresh = await file_keyed(
        reporter, labour_draft(project.id, headcount=9), "phone-1", dt.timedelta(hours=1)
    )
    assert isinstance(first, ShortageTicket) and isinstance(fresh, ShortageTicket)
    assert fresh.id != first.id
    [record] = await IdempotencyRecord.all()
    assert record.object_id == fresh.id


async def test_is_overdue(make_account: MakeAccount) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "reporter")).user
    project = await make_project(reporter)
    today = dt.date(2026, 3, 10)
    late = await make_ticket(project, reporter, S.IN_PROGRESS, needed_by=dt.date(2026, 3, 9))
    due_today = await make_ticket(project, reporter, S.OPEN, needed_by=today)
    resolved_late = await make_ticket(project, reporter, S.RESOLVED, needed_by=dt.date(2026, 3, 1))
    undated = await make_ticket(project, reporter, S.OPEN)
    assert tickets.is_overdue(late, today)
    assert not tickets.is_overdue(due_today, today)
    assert not tickets.is_overdue(resolved_late, today)
    assert not tickets.is_overdue(undated, today)
