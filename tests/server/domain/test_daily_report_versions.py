"""Optimistic concurrency on daily reports: versions counted per amendment, stale versions
refused CONFLICT with the report as it now stands, races at the UPDATE, idempotent retries."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from server.domain import daily_reports
from server.domain.access import Access
from server.domain.daily_reports import ReportDraft, TradeCount
from server.domain.errors import VERSION_FIELD, Refused
from server.domain.models import (
    AuditEntry,
    DailyReport,
    IdempotencyRecord,
    Role,
    Trade,
    User,
)
from server.domain.rows.daily_reports import DailyReportRow
from tests.conftest import MakeAccount
from tests.server.domain.test_daily_reports import (
    DAY,
    _until_waiting_on_a_lock,
    a_draft,
    a_project,
    nothing_stored,
    workforce_of,
)


async def file(
    actor: User,
    draft: ReportDraft,
    *,
    expected: int | None = None,
    key: str | None = None,
) -> DailyReportRow:
    """File the draft in its own transaction, as the mutation wrapper does."""
    async with in_transaction():
        return await daily_reports.file_report(
            Access(actor), draft, today=DAY, idempotency_key=key, expected_version=expected
        )


async def refused_filing(
    actor: User, draft: ReportDraft, *, expected: int | None = None, key: str | None = None
) -> Refused:
    """The refusal of a filing that must be refused."""
    with pytest.raises(Refused) as refused:
        await file(actor, draft, expected=expected, key=key)
    return refused.value


def draft_with(project_id: int, on_site: int) -> ReportDraft:
    """A draft telling apart whose write it is by the rebar workers on site."""
    return a_draft(project_id, workforce=[TradeCount(Trade.REBAR, 10, on_site)])


async def state(report_id: int) -> tuple[Any, ...]:
    """What a refused amendment must leave alone: the row, trades, audit, keys."""
    row = await DailyReport.get(id=report_id)
    return (
        row.version,
        row.workers_on_site,
        row.amended_at,
        await workforce_of(report_id),
        await AuditEntry.all().count(),
        await IdempotencyRecord.all().count(),
    )


async def _manager_and_project(make_account: MakeAccount) -> tuple[User, User, int]:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    office = (await make_account(Role.OFFICE, "office")).user
    project = await a_project(manager)
    return manager, office, project.id


async def test_a_filing_is_version_1_and_each_amendment_one_more(
    make_account: MakeAccount,
) -> None:
    manager, office, project_id = await _manager_and_project(make_account)
    filed = await file(manager, draft_with(project_id, 1))
    assert filed.version == 1
    amended = await file(office, draft_with(project_id, 2))
    assert (amended.id, amended.version, amended.workers_on_site) == (filed.id, 2, 2)
    again = await file(manager, draft_with(project_id, 3), expected=2)
    assert (again.version, again.workers_on_site) == (3, 3)
    assert (await DailyReport.get(id=filed.id)).version == 3


async def test_expected_version_0_files_a_day_that_has_no_report(
    make_account: MakeAccount,
) -> None:
    manager, _, project_id = await _manager_and_project(make_account)
    filed = await file(manager, draft_with(project_id, 1), expected=0)
    assert filed.version == 1


async def test_a_report_filed_meanwhile_is_not_overwritten_by_a_first_filing(
    make_account: MakeAccount,
) -> None:
    """Two phones both saw no report for the day; the second filing, with version 0, is
    refused CONFLICT and carries the first phone's report."""
    manager, office, project_id = await _manager_and_project(make_account)
    first = await file(office, draft_with(project_id, 7), expected=0)
    before = await state(first.id)
    refused = await refused_filing(manager, draft_with(project_id, 1), expected=0)
    assert [(p.code, p.field) for p in refused.problems] == [("CONFLICT", VERSION_FIELD)]
    current = refused.current
    assert isinstance(current, DailyReportRow)
    assert (current.id, current.version, current.workers_on_site) == (first.id, 1, 7)
    assert await state(first.id) == before


async def test_a_stale_amendment_is_a_conflict_carrying_the_report(
    make_account: MakeAccount,
) -> None:
    manager, office, project_id = await _manager_and_project(make_account)
    filed = await file(manager, draft_with(project_id, 1))
    await file(office, draft_with(project_id, 2), expected=1)
    before = await state(filed.id)
    refused = await refused_filing(manager, draft_with(project_id, 3), expected=1)
    assert refused.code == "CONFLICT"
    assert "version 1" in refused.message and "now 2" in refused.message
    current = refused.current
    assert isinstance(current, DailyReportRow)
    assert (current.version, current.workers_on_site) == (2, 2)
    assert await state(filed.id) == before
    # A version the report never reached is no better.
    refused = await refused_filing(manager, draft_with(project_id, 3), expected=2**40)
    assert refused.code == "CONFLICT" and await state(filed.id) == before


async def test_a_version_for_a_day_without_report_is_a_conflict(
    make_account: MakeAccount,
) -> None:
    manager, _, project_id = await _manager_and_project(make_account)
    refused = await refused_filing(manager, draft_with(project_id, 1), expected=3)
    assert [(p.code, p.field) for p in refused.problems] == [("CONFLICT", VERSION_FIELD)]
    assert refused.current is None
    assert await nothing_stored()


async def test_a_negative_version_is_invalid(make_account: MakeAccount) -> None:
    manager, _, project_id = await _manager_and_project(make_account)
    refused = await refused_filing(manager, draft_with(project_id, 1), expected=-1)
    assert [(p.code, p.field) for p in refused.problems] == [("INVALID", VERSION_FIELD)]
    assert await nothing_stored()


async def test_a_report_from_before_versions_is_amended_on_version_0(
    make_account: MakeAccount,
) -> None:
    manager, _, project_id = await _manager_and_project(make_account)
    old = await DailyReport.create(project_id=project_id, date=DAY, reported_by_id=manager.id)
    assert old.version == 0
    amended = await file(manager, draft_with(project_id, 4), expected=0)
    assert (amended.id, amended.version) == (old.id, 1)


async def test_someone_else_s_project_is_not_found_whatever_the_version(
    make_account: MakeAccount,
) -> None:
    manager, _, project_id = await _manager_and_project(make_account)
    filed = await file(manager, draft_with(project_id, 1))
    stranger = (await make_account(Role.SITE_MANAGER, "stranger")).user
    before = await state(filed.id)
    for version in (0, 1, 9):
        refused = await refused_filing(stranger, draft_with(project_id, 5), expected=version)
        assert [p.code for p in refused.problems] == ["NOT_FOUND"]
        assert refused.current is None and "version" not in refused.message
    assert await state(filed.id) == before


@pytest.mark.parametrize("expected", [1, None], ids=["named version", "no version"])
async def test_an_amendment_between_the_checks_and_the_update_is_caught(
    make_account: MakeAccount, monkeypatch: pytest.MonkeyPatch, expected: int | None
) -> None:
    """Someone's amendment lands after this one's checks: the UPDATE on the version read finds
    no row, nothing of this amendment is written (no torn mix of trades) and the refusal is
    CONFLICT with the report as it now stands, named version or not."""
    manager, _, project_id = await _manager_and_project(make_account)
    filed = await file(manager, draft_with(project_id, 1))
    snapshot = daily_reports._snapshot

    async def snapshot_then_someone_amends(report: DailyReport) -> dict[str, Any]:
        values = await snapshot(report)
        await DailyReport.filter(id=report.id).update(version=F("version") + 1, work_done="他人")
        return values

    monkeypatch.setattr(daily_reports, "_snapshot", snapshot_then_someone_amends)
    refused = await refused_filing(manager, draft_with(project_id, 9), expected=expected)
    assert refused.code == "CONFLICT"
    current = refused.current
    assert isinstance(current, DailyReportRow)
    assert (current.version, current.work_done, current.workers_on_site) == (2, "他人", 1)
    monkeypatch.undo()
    # The refused transaction took the interloper's change back with it.
    assert await state(filed.id) == (1, 1, None, [(Trade.REBAR, 10, 1)], 1, 0)


async def test_a_replayed_filing_returns_the_report_even_when_it_moved_on(
    make_account: MakeAccount,
) -> None:
    """The phone's amendment went through but the answer was lost; the office amended since.
    Replayed with its key, the amendment is absorbed: the report as it now stands, nothing
    written, no CONFLICT against its own first success (the key is looked up first)."""
    manager, office, project_id = await _manager_and_project(make_account)
    await file(manager, draft_with(project_id, 1))
    mine = await file(manager, draft_with(project_id, 2), expected=1, key="phone-1")
    assert mine.version == 2
    await file(office, draft_with(project_id, 3), expected=2)
    before = await state(mine.id)
    again = await file(manager, draft_with(project_id, 2), expected=1, key="phone-1")
    assert (again.id, again.version, again.workers_on_site) == (mine.id, 3, 3)
    assert await state(mine.id) == before
    # The key with another version is another request: refused on the key.
    refused = await refused_filing(manager, draft_with(project_id, 2), expected=3, key="phone-1")
    assert [(p.code, p.field) for p in refused.problems] == [
        ("CONFLICT", ("input", "idempotencyKey"))
    ]


async def test_a_first_filing_racing_another_with_version_0_is_a_conflict(
    make_account: MakeAccount,
) -> None:
    """Both phones saw no report. On PostgreSQL the racing insert collides with the first on
    the unique (project, date) and, run again as the wrapper does, finds the report at
    version 1: CONFLICT, never an amendment over it. SQLite runs one transaction at a time,
    so there the racing filing sees the report at once."""
    manager, office, project_id = await _manager_and_project(make_account)
    go = asyncio.Event()

    async def second_phone() -> Refused | DailyReportRow:
        await go.wait()
        for _ in range(2):
            try:
                return await file(manager, draft_with(project_id, 2), expected=0)
            except Refused as refused:
                return refused
            except IntegrityError:  # the unique (project, date): the wrapper runs it again
                continue
        raise AssertionError("the racing filing failed twice")

    racing = asyncio.create_task(second_phone())
    async with in_transaction():
        first = await daily_reports.file_report(
            Access(office), draft_with(project_id, 7), today=DAY, expected_version=0
        )
        go.set()
        await _until_waiting_on_a_lock(racing)

    outcome = await racing
    assert isinstance(outcome, Refused), outcome
    assert outcome.code == "CONFLICT"
    assert isinstance(outcome.current, DailyReportRow)
    assert (outcome.current.id, outcome.current.workers_on_site) == (first.id, 7)
    assert await state(first.id) == (1, 7, None, [(Trade.REBAR, 10, 7)], 1, 0)
