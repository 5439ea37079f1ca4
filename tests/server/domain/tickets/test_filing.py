"""Filing tickets as domain functions: numbering, links to milestones, idempotency keys."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal

import pytest
from tortoise.transactions import in_transaction

from server.domain import tickets
from server.domain.errors import Problem, Refused
from server.domain.models import (
    AuditEntry,
    IdempotencyRecord,
    Role,
    ShortageKind,
    ShortageTicket,
    TicketCounter,
    User,
)
from server.domain.tickets import TicketDraft
from tests.conftest import MakeAccount
from tests.ticket_helpers import make_milestone, make_project


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
        with pytest.raises(Refused) as refused:
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
) -> ShortageTicket | Refused:
    """create_ticket under `key` in its own transaction: the ticket, or the refusal."""
    extra = {"key_ttl": ttl} if ttl is not None else {}
    try:
        async with in_transaction():
            return await tickets.create_ticket(
                actor, draft, today=dt.date(2026, 2, 20), idempotency_key=key, **extra
            )
    except Refused as refused:
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
        assert isinstance(refused, Refused)
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
    assert isinstance(refused, Refused)
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
    assert isinstance(replay, Refused)  # within the default week: still bound
    fresh = await file_keyed(
        reporter, labour_draft(project.id, headcount=9), "phone-1", dt.timedelta(hours=1)
    )
    assert isinstance(first, ShortageTicket) and isinstance(fresh, ShortageTicket)
    assert fresh.id != first.id
    [record] = await IdempotencyRecord.all()
    assert record.object_id == fresh.id
