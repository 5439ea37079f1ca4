"""Daily site reports as domain functions: filing, amending, the amendment window, checks of
the input, idempotency keys and the reads."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.domain import daily_reports, report_reads
from server.domain.access import (
    DAILY_REPORT_FILERS,
    LATE_REPORT_EDITORS,
    Access,
    may_amend_daily_report,
)
from server.domain.daily_reports import (
    MAX_LINES,
    MAX_WORKERS,
    EquipmentCount,
    MaterialLine,
    ReportDraft,
    TradeCount,
)
from server.domain.errors import Refused
from server.domain.models import (
    AuditEntry,
    DailyReport,
    DailyReportTrade,
    IdempotencyRecord,
    Photo,
    Project,
    Role,
    Trade,
    User,
    Weather,
)
from server.domain.rawsql import fetch
from server.domain.rows.daily_reports import DailyReportRow
from tests.conftest import BACKEND, MakeAccount

CREATED = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)
"""When the test projects were created."""
DAY = dt.date(2026, 3, 10)
"""The day most test reports are for (and filed on)."""
_serial = itertools.count(1)


async def a_project(*site_managers: User) -> Project:
    """A project created on CREATED, with these site managers."""
    number = next(_serial)
    project = await Project.create(
        code=f"DR-{number}",
        name=f"日报项目 {number}",
        responsible_unit="重大项目办",
        created_at=CREATED,
    )
    if site_managers:
        await project.site_managers.add(*site_managers)
    return project


async def a_photo(
    project: Project, uploader: User, uploaded_at: dt.datetime | None = None
) -> Photo:
    """A photo row of the project (no files: the reports only link rows)."""
    number = next(_serial)
    when = {"uploaded_at": uploaded_at} if uploaded_at is not None else {}
    return await Photo.create(
        project=project,
        uploaded_by=uploader,
        **when,
        width=640,
        height=480,
        content_type="image/jpeg",
        byte_size=1024,
        sha256=f"{number:064x}",
    )


def a_draft(project_id: int, date: dt.date = DAY, **fields: Any) -> ReportDraft:
    """A valid draft: 15 workers needed, 14 on site."""
    values: dict[str, Any] = {
        "workforce": [TradeCount(Trade.REBAR, 10, 8), TradeCount(Trade.CONCRETE, 5, 6)],
        **fields,
    }
    return ReportDraft(project_id, date, **values)


async def file(
    actor: User, draft: ReportDraft, *, today: dt.date = DAY, key: str | None = None
) -> DailyReportRow:
    """File the draft in its own transaction, as the mutation wrapper does."""
    async with in_transaction():
        return await daily_reports.file_report(
            Access(actor), draft, today=today, idempotency_key=key
        )


async def refusal(
    actor: User, draft: ReportDraft, *, today: dt.date = DAY, key: str | None = None
) -> list[tuple[str, tuple[str, ...] | None]]:
    """The (code, field) of each problem of a filing that must be refused."""
    with pytest.raises(Refused) as refused:
        await file(actor, draft, today=today, key=key)
    return [(problem.code, problem.field) for problem in refused.value.problems]


async def nothing_stored() -> bool:
    """True when no report, trade, photo link, audit entry or key record exists."""
    links = await fetch("SELECT count(*) AS n FROM daily_report_photo", {})
    return not (
        await DailyReport.exists()
        or await DailyReportTrade.exists()
        or links[0]["n"]
        or await AuditEntry.exists()
        or await IdempotencyRecord.exists()
    )


async def workforce_of(report_id: int) -> list[tuple[Trade, int, int]]:
    """The stored trades of a report, in trade-name order."""
    trades = await DailyReportTrade.filter(report_id=report_id).order_by("trade")
    return [(t.trade, t.needed, t.on_site) for t in trades]


async def photo_ids_stored(report_id: int) -> list[int]:
    """The ids of the photos linked to a report, sorted."""
    report = await DailyReport.get(id=report_id)
    return sorted(await report.photos.all().values_list("id", flat=True))


# --- filing ---------------------------------------------------------------------------------


async def test_filing_stores_the_report_its_trades_and_photos(make_account: MakeAccount) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project = await a_project(manager)
    first, second = await a_photo(project, manager), await a_photo(project, manager)
    draft = a_draft(
        project.id,
        weather=Weather.LIGHT_RAIN,
        temperature_low=-3,
        temperature_high=7,
        equipment=[EquipmentCount(" 塔吊 ", 2), EquipmentCount("挖掘机", 0)],
        materials_received=[
            MaterialLine("螺纹钢", "HRB400 Φ25", decimal.Decimal("12.5"), "t"),
            MaterialLine("  砂  "),
        ],
        materials_short=[MaterialLine("水泥", quantity=decimal.Decimal("30.125"), unit=" t ")],
        work_done="  三层顶板浇筑  ",
        problems="   ",
        photo_ids=[second.id, first.id, second.id],
    )

    row = await file(manager, draft)

    assert isinstance(row, DailyReportRow)
    assert (row.project_id, row.date, row.reported_by_id) == (project.id, DAY, manager.id)
    assert (row.weather, row.temperature_low, row.temperature_high) == (Weather.LIGHT_RAIN, -3, 7)
    assert (row.workers_needed, row.workers_on_site) == (15, 14)
    assert row.on_site_rate == pytest.approx(14 / 15)
    assert row.equipment == [{"name": "塔吊", "count": 2}, {"name": "挖掘机", "count": 0}]
    assert row.materials_received == [
        {"material": "螺纹钢", "specification": "HRB400 Φ25", "quantity": "12.5", "unit": "t"},
        {"material": "砂", "specification": None, "quantity": None, "unit": None},
    ]
    assert row.materials_short == [
        {"material": "水泥", "specification": None, "quantity": "30.125", "unit": "t"}
    ]
    assert (row.work_done, row.problems) == ("三层顶板浇筑", None)
    assert row.amended_at is None
    assert row.reported_at.tzinfo is not None

    stored = await DailyReport.get(id=row.id)
    assert (stored.workers_needed, stored.workers_on_site) == (15, 14)
    assert await workforce_of(row.id) == [(Trade.CONCRETE, 5, 6), (Trade.REBAR, 10, 8)]
    assert await photo_ids_stored(row.id) == sorted([first.id, second.id])
    assert await report_reads.report_row(row.id) == row
    entry = await AuditEntry.get()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "fileDailyReport",
        "DailyReport",
        str(row.id),
    )
    assert entry.actor_id == manager.id
    assert entry.before is None
    assert entry.after["workforce"] == [
        {"trade": "CONCRETE", "needed": 5, "on_site": 6},
        {"trade": "REBAR", "needed": 10, "on_site": 8},
    ]
    assert entry.after["photo_ids"] == sorted([first.id, second.id])
    assert entry.after["workers_needed"] == 15


async def test_the_on_site_rate_is_none_when_nobody_was_needed(make_account: MakeAccount) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    project = await a_project()

    empty = await file(office, a_draft(project.id, DAY, workforce=[]))
    unplanned = await file(
        office,
        a_draft(project.id, DAY - dt.timedelta(days=1), workforce=[TradeCount(Trade.HVAC, 0, 3)]),
    )
    full = await file(
        office,
        a_draft(
            project.id,
            DAY - dt.timedelta(days=2),
            workforce=[TradeCount(Trade.HVAC, MAX_WORKERS, MAX_WORKERS)],
        ),
    )

    assert (empty.workers_needed, empty.workers_on_site, empty.on_site_rate) == (0, 0, None)
    assert await workforce_of(empty.id) == []
    assert (unplanned.workers_needed, unplanned.workers_on_site) == (0, 3)
    assert unplanned.on_site_rate is None
    assert await workforce_of(unplanned.id) == [(Trade.HVAC, 0, 3)]
    assert full.on_site_rate == 1.0


async def test_filing_the_same_day_again_amends_the_report(make_account: MakeAccount) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project = await a_project(manager)
    old_photo = await a_photo(project, manager)
    kept = await a_photo(project, manager)
    new_photo = await a_photo(project, manager)
    first = await file(manager, a_draft(project.id, photo_ids=[old_photo.id, kept.id]))

    draft = a_draft(
        project.id,
        workforce=[TradeCount(Trade.MASONRY, 7, 7), TradeCount(Trade.REBAR, 2, 1)],
        weather=Weather.SUNNY,
        work_done="砌筑",
        photo_ids=[kept.id, new_photo.id],
    )
    amended = await file(manager, draft, today=DAY + dt.timedelta(days=1))

    assert amended.id == first.id
    assert await DailyReport.all().count() == 1
    assert amended.amended_at is not None
    assert amended.reported_at == first.reported_at
    assert amended.reported_by_id == manager.id
    assert (amended.workers_needed, amended.workers_on_site) == (9, 8)
    assert (amended.weather, amended.work_done) == (Weather.SUNNY, "砌筑")
    assert await workforce_of(first.id) == [(Trade.MASONRY, 7, 7), (Trade.REBAR, 2, 1)]
    assert await photo_ids_stored(first.id) == sorted([kept.id, new_photo.id])
    assert await Photo.all().count() == 3  # unlinked, not deleted

    entries = await AuditEntry.all().order_by("id")
    assert [e.action for e in entries] == ["fileDailyReport", "amendDailyReport"]
    assert {e.object_id for e in entries} == {str(first.id)}
    filed, amendment = entries
    assert amendment.before["workforce"] == filed.after["workforce"]
    assert amendment.before["workforce"] == [
        {"trade": "CONCRETE", "needed": 5, "on_site": 6},
        {"trade": "REBAR", "needed": 10, "on_site": 8},
    ]
    assert amendment.before["photo_ids"] == sorted([old_photo.id, kept.id])
    assert amendment.before["workers_needed"] == 15
    assert amendment.before["amended_at"] is None
    assert amendment.after["workforce"] == [
        {"trade": "MASONRY", "needed": 7, "on_site": 7},
        {"trade": "REBAR", "needed": 2, "on_site": 1},
    ]
    assert amendment.after["photo_ids"] == sorted([kept.id, new_photo.id])
    assert amendment.after["workers_needed"] == 9
    assert amendment.after["weather"] == "SUNNY"
    assert amendment.after["amended_at"] is not None


async def test_reports_of_other_days_and_projects_are_separate(make_account: MakeAccount) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    one, other = await a_project(), await a_project()

    today = await file(office, a_draft(one.id))
    yesterday = await file(office, a_draft(one.id, DAY - dt.timedelta(days=1)))
    elsewhere = await file(office, a_draft(other.id))

    assert len({today.id, yesterday.id, elsewhere.id}) == 3
    assert await DailyReport.all().count() == 3
    assert [e.action for e in await AuditEntry.all()] == ["fileDailyReport"] * 3


# --- the amendment window -------------------------------------------------------------------


async def test_site_managers_amend_on_the_day_and_the_next_office_staff_later(
    make_account: MakeAccount,
) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    office = (await make_account(Role.OFFICE, "office")).user
    admin = (await make_account(Role.ADMIN, "admin")).user
    project = await a_project(manager)

    def day_of(needed: int) -> ReportDraft:
        return a_draft(project.id, workforce=[TradeCount(Trade.REBAR, needed, 1)])

    report = await file(manager, day_of(1), today=DAY)
    assert (await file(manager, day_of(2), today=DAY)).workers_needed == 2
    assert (await file(manager, day_of(3), today=DAY + dt.timedelta(days=1))).workers_needed == 3

    late = DAY + dt.timedelta(days=2)
    assert await refusal(manager, day_of(4), today=late) == [("FORBIDDEN", ("input", "date"))]
    stored = await DailyReport.get(id=report.id)
    assert (stored.workers_needed, stored.amended_at is not None) == (3, True)
    assert await workforce_of(report.id) == [(Trade.REBAR, 3, 1)]
    assert await AuditEntry.all().count() == 3

    assert (await file(office, day_of(5), today=late)).workers_needed == 5
    much_later = DAY + dt.timedelta(days=400)
    assert (await file(admin, day_of(6), today=much_later)).workers_needed == 6
    assert await refusal(manager, day_of(7), today=much_later) == [("FORBIDDEN", ("input", "date"))]
    assert await workforce_of(report.id) == [(Trade.REBAR, 6, 1)]
    actions = [e.action for e in await AuditEntry.all().order_by("id")]
    assert actions == ["fileDailyReport"] + ["amendDailyReport"] * 4


async def test_a_site_manager_files_a_past_day_that_has_no_report(
    make_account: MakeAccount,
) -> None:
    """The window closes amendments only: a day without a report can be filed late."""
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project = await a_project(manager)

    row = await file(manager, a_draft(project.id), today=DAY + dt.timedelta(days=30))

    assert row.date == DAY
    assert row.amended_at is None


@pytest.mark.parametrize("role", list(Role))
def test_may_amend_daily_report_for_every_role(role: Role) -> None:
    user = User(username="someone", display_name="someone", role=role, password_hash="x")
    window = {
        days: may_amend_daily_report(user, DAY, DAY + dt.timedelta(days=days))
        for days in (0, 1, 2, 3, 365)
    }
    if role in (Role.OFFICE, Role.ADMIN):
        assert set(window.values()) == {True}
    elif role == Role.SITE_MANAGER:
        assert window == {0: True, 1: True, 2: False, 3: False, 365: False}
    else:
        assert set(window.values()) == {False}


def test_who_files_and_who_amends_late() -> None:
    assert frozenset({Role.SITE_MANAGER, Role.OFFICE, Role.ADMIN}) == DAILY_REPORT_FILERS
    assert frozenset({Role.OFFICE, Role.ADMIN}) == LATE_REPORT_EDITORS
    assert LATE_REPORT_EDITORS <= DAILY_REPORT_FILERS


async def test_a_supervisor_files_through_the_domain_but_never_amends(
    make_account: MakeAccount,
) -> None:
    """The domain function checks visibility only (roles are the mutation layer's), so a
    supervisor, who sees every project, can file a day; amending it goes by
    `may_amend_daily_report`, which never lets a supervisor."""
    supervisor = (await make_account(Role.SUPERVISOR, "supervisor")).user
    project = await a_project()

    row = await file(supervisor, a_draft(project.id))
    assert row.reported_by_id == supervisor.id

    assert await refusal(supervisor, a_draft(project.id, workforce=[])) == [
        ("FORBIDDEN", ("input", "date"))
    ]
    assert (await DailyReport.get(id=row.id)).workers_needed == 15


# --- projects out of sight ------------------------------------------------------------------


async def test_a_project_out_of_sight_answers_like_a_missing_one(make_account: MakeAccount) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    stranger = (await make_account(Role.SITE_MANAGER, "stranger")).user
    project = await a_project(manager)
    await a_project(stranger)

    hidden = await refusal(stranger, a_draft(project.id))
    missing = await refusal(stranger, a_draft(999_999))

    assert hidden == [("NOT_FOUND", ("input", "projectId"))]
    assert missing == hidden
    assert await nothing_stored()


async def test_a_hidden_project_is_reported_with_the_fields_at_fault(
    make_account: MakeAccount,
) -> None:
    stranger = (await make_account(Role.SITE_MANAGER, "stranger")).user
    project = await a_project()
    draft = a_draft(project.id, workforce=[TradeCount(Trade.REBAR, -1, 0)])

    assert await refusal(stranger, draft) == [
        ("INVALID", ("input", "workforce", "0", "needed")),
        ("NOT_FOUND", ("input", "projectId")),
    ]
    assert await nothing_stored()


async def test_a_report_of_a_hidden_project_is_not_amended(make_account: MakeAccount) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    stranger = (await make_account(Role.SITE_MANAGER, "stranger")).user
    project = await a_project(manager)
    row = await file(manager, a_draft(project.id))

    assert await refusal(stranger, a_draft(project.id, workforce=[])) == [
        ("NOT_FOUND", ("input", "projectId"))
    ]
    assert await report_reads.report_row(row.id) == row
    assert await AuditEntry.all().count() == 1


async def test_an_anonymous_actor_is_refused(make_account: MakeAccount) -> None:
    project = await a_project()
    with pytest.raises(Refused) as refused:
        async with in_transaction():
            await daily_reports.file_report(Access(None), a_draft(project.id), today=DAY)
    assert refused.value.code == "UNAUTHENTICATED"
    assert await nothing_stored()


# --- bad input ------------------------------------------------------------------------------

Change = Callable[[ReportDraft], None]


def _set(**values: Any) -> Change:
    def change(draft: ReportDraft) -> None:
        for name, value in values.items():
            setattr(draft, name, value)

    return change


def _workforce(*counts: tuple[Trade, int, int]) -> Change:
    return _set(workforce=[TradeCount(*count) for count in counts])


def _material(**values: Any) -> Change:
    return _set(materials_short=[MaterialLine("水泥"), MaterialLine(**values)])


def _at(*path: str) -> list[tuple[str, tuple[str, ...]]]:
    return [("INVALID", ("input", *path))]


BAD_INPUT: dict[str, tuple[Change, list[tuple[str, tuple[str, ...]]]]] = {
    "negative needed": (_workforce((Trade.REBAR, -1, 0)), _at("workforce", "0", "needed")),
    "negative on site": (
        _workforce((Trade.REBAR, 1, 1), (Trade.HVAC, 0, -5)),
        _at("workforce", "1", "onSite"),
    ),
    "too many needed": (
        _workforce((Trade.REBAR, MAX_WORKERS + 1, 0)),
        _at("workforce", "0", "needed"),
    ),
    "too many on site": (
        _workforce((Trade.REBAR, 0, MAX_WORKERS + 1)),
        _at("workforce", "0", "onSite"),
    ),
    "a trade twice": (
        _workforce((Trade.REBAR, 1, 1), (Trade.HVAC, 1, 1), (Trade.REBAR, 2, 2)),
        _at("workforce", "2", "trade"),
    ),
    "a day still to come": (_set(date=DAY + dt.timedelta(days=1)), _at("date")),
    "long before the project": (_set(date=dt.date(2020, 5, 1)), _at("date")),
    "two days before the project": (
        _set(date=CREATED.date() - dt.timedelta(days=2)),
        _at("date"),
    ),
    "too cold": (_set(temperature_low=-61), _at("temperatureLow")),
    "too hot": (_set(temperature_high=61), _at("temperatureHigh")),
    "low above high": (_set(temperature_low=12, temperature_high=11), _at("temperatureLow")),
    "work done too long": (_set(work_done="字" * 5001), _at("workDone")),
    "problems too long": (_set(problems="x" * 5001), _at("problems")),
    "too many equipment lines": (
        _set(equipment=[EquipmentCount(f"机械{n}", 1) for n in range(MAX_LINES + 1)]),
        _at("equipment"),
    ),
    "too many materials received": (
        _set(materials_received=[MaterialLine(f"材料{n}") for n in range(MAX_LINES + 1)]),
        _at("materialsReceived"),
    ),
    "equipment without a name": (
        _set(equipment=[EquipmentCount(None, 1)]),  # type: ignore[arg-type]
        _at("equipment", "0", "name"),
    ),
    "negative equipment": (
        _set(equipment=[EquipmentCount("塔吊", -1)]),
        _at("equipment", "0", "count"),
    ),
    "equipment name too long": (
        _set(equipment=[EquipmentCount("塔" * 65, 1)]),
        _at("equipment", "0", "name"),
    ),
    "a material line without material": (
        _set(materials_received=[MaterialLine(None)]),  # type: ignore[arg-type]
        _at("materialsReceived", "0", "material"),
    ),
    "a material of blanks": (_material(material="   "), _at("materialsShort", "1", "material")),
    "a material too long": (_material(material="钢" * 129), _at("materialsShort", "1", "material")),
    "a unit too long": (
        _material(material="钢", unit="t" * 17),
        _at("materialsShort", "1", "unit"),
    ),
    "a zero quantity": (
        _material(material="钢", quantity=decimal.Decimal(0)),
        _at("materialsShort", "1", "quantity"),
    ),
    "a negative quantity": (
        _material(material="钢", quantity=decimal.Decimal("-1.5")),
        _at("materialsShort", "1", "quantity"),
    ),
    "a too precise quantity": (
        _material(material="钢", quantity=decimal.Decimal("1.0005")),
        _at("materialsShort", "1", "quantity"),
    ),
    "a huge quantity": (
        _material(material="钢", quantity=decimal.Decimal("1E+40")),
        _at("materialsShort", "1", "quantity"),
    ),
    "a quantity that is not a number": (
        _material(material="钢", quantity=decimal.Decimal("NaN")),
        _at("materialsShort", "1", "quantity"),
    ),
    "a malformed photo id": (_set(photo_ids=[None]), _at("photoIds", "0")),
    "a missing photo": (_set(photo_ids=[999_999]), _at("photoIds", "0")),
}


@pytest.mark.parametrize(("change", "expected"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
async def test_bad_input_is_refused_field_by_field_and_nothing_is_stored(
    make_account: MakeAccount,
    change: Change,
    expected: list[tuple[str, tuple[str, ...]]],
) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project = await a_project(manager)
    draft = a_draft(project.id)
    change(draft)

    assert await refusal(manager, draft, key="bad-input") == expected
    assert await nothing_stored()


GOOD_EDGES: dict[str, Change] = {
    "the most workers": _workforce((Trade.REBAR, MAX_WORKERS, MAX_WORKERS)),
    "every trade once": _set(workforce=[TradeCount(trade, 1, 1) for trade in Trade]),
    "the day before the project": _set(date=CREATED.date() - dt.timedelta(days=1)),
    "the coldest and hottest": _set(temperature_low=-60, temperature_high=60),
    "low equal to high": _set(temperature_low=5, temperature_high=5),
    "the longest texts": _set(work_done="字" * 5000, problems="  " + "x" * 5000 + "  "),
    "the most lines": _set(
        equipment=[EquipmentCount(f"机械{n}", 1) for n in range(MAX_LINES)],
        materials_received=[MaterialLine(f"材料{n}") for n in range(MAX_LINES)],
    ),
    "the finest quantity": _material(material="钢", quantity=decimal.Decimal("0.001")),
    "the largest quantity": _material(
        material="钢", quantity=daily_reports.MAX_QUANTITY, unit="t" * 16
    ),
    "trailing zeros": _material(material="钢", quantity=decimal.Decimal("2.5000")),
}


@pytest.mark.parametrize("change", GOOD_EDGES.values(), ids=GOOD_EDGES.keys())
async def test_input_at_the_limits_is_filed(make_account: MakeAccount, change: Change) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project = await a_project(manager)
    draft = a_draft(project.id)
    change(draft)

    row = await file(manager, draft)

    assert await DailyReport.filter(id=row.id).exists()
    assert row.workers_needed == sum(count.needed for count in draft.workforce)


async def test_every_problem_is_reported_at_once(make_account: MakeAccount) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project = await a_project(manager)
    draft = a_draft(
        project.id,
        DAY + dt.timedelta(days=3),
        workforce=[TradeCount(Trade.REBAR, -1, MAX_WORKERS + 1)],
        temperature_low=70,
        temperature_high=-70,
        materials_received=[MaterialLine(" ", quantity=decimal.Decimal("0.0001"))],
        photo_ids=[None],
    )

    assert await refusal(manager, draft) == [
        ("INVALID", ("input", "date")),
        ("INVALID", ("input", "temperatureLow")),
        ("INVALID", ("input", "temperatureHigh")),
        ("INVALID", ("input", "temperatureLow")),
        ("INVALID", ("input", "workforce", "0", "needed")),
        ("INVALID", ("input", "workforce", "0", "onSite")),
        ("INVALID", ("input", "materialsReceived", "0", "material")),
        ("INVALID", ("input", "materialsReceived", "0", "quantity")),
        ("INVALID", ("input", "photoIds", "0")),
    ]
    assert await nothing_stored()


async def test_photos_of_another_project_are_refused_by_position(
    make_account: MakeAccount,
) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project, other = await a_project(manager), await a_project(manager)
    own, foreign = await a_photo(project, manager), await a_photo(other, manager)

    draft = a_draft(project.id, photo_ids=[own.id, foreign.id, None, own.id])

    assert await refusal(manager, draft) == [
        ("INVALID", ("input", "photoIds", "1")),
        ("INVALID", ("input", "photoIds", "2")),
    ]
    assert await nothing_stored()


async def test_a_refused_amendment_changes_nothing(make_account: MakeAccount) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project = await a_project(manager)
    photo, foreign = await a_photo(project, manager), await a_photo(await a_project(), manager)
    row = await file(manager, a_draft(project.id, photo_ids=[photo.id]))

    draft = a_draft(project.id, workforce=[TradeCount(Trade.HVAC, 3, 3)], photo_ids=[foreign.id])
    assert await refusal(manager, draft) == [("INVALID", ("input", "photoIds", "0"))]
    draft = a_draft(project.id, workforce=[TradeCount(Trade.HVAC, 3, -3)])
    assert await refusal(manager, draft) == [("INVALID", ("input", "workforce", "0", "onSite"))]

    assert await report_reads.report_row(row.id) == row
    assert await workforce_of(row.id) == [(Trade.CONCRETE, 5, 6), (Trade.REBAR, 10, 8)]
    assert await photo_ids_stored(row.id) == [photo.id]
    assert await AuditEntry.all().count() == 1


# --- idempotency ----------------------------------------------------------------------------


async def test_a_retry_with_the_same_key_returns_the_first_report(
    make_account: MakeAccount,
) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project = await a_project(manager)
    photo = await a_photo(project, manager)

    def draft() -> ReportDraft:  # each request decodes its own draft
        return a_draft(
            project.id,
            work_done=" 浇筑 ",
            materials_received=[MaterialLine("钢", quantity=decimal.Decimal("1.5"))],
            photo_ids=[photo.id],
        )

    first = await file(manager, draft(), key="phone-1")
    again = await file(manager, draft(), key="phone-1")
    after_the_window = await file(manager, draft(), today=DAY + dt.timedelta(days=9), key="phone-1")

    assert again == first
    assert after_the_window == first
    assert await DailyReport.all().count() == 1
    assert [e.action for e in await AuditEntry.all()] == ["fileDailyReport"]
    assert await IdempotencyRecord.all().count() == 1


async def test_the_same_key_with_another_draft_is_a_conflict(make_account: MakeAccount) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project = await a_project(manager)
    first = await file(manager, a_draft(project.id), key="phone-1")

    changed = a_draft(project.id, workforce=[TradeCount(Trade.REBAR, 10, 9)])
    assert await refusal(manager, changed, key="phone-1") == [
        ("CONFLICT", ("input", "idempotencyKey"))
    ]
    other_day = a_draft(project.id, DAY - dt.timedelta(days=1))
    assert await refusal(manager, other_day, key="phone-1") == [
        ("CONFLICT", ("input", "idempotencyKey"))
    ]

    assert await DailyReport.all().count() == 1
    assert await report_reads.report_row(first.id) == first
    assert await AuditEntry.all().count() == 1
    amended = await file(manager, changed, key="phone-2")
    assert (amended.id, amended.workers_needed, amended.workers_on_site) == (first.id, 10, 9)
    assert [e.action for e in await AuditEntry.all().order_by("id")] == [
        "fileDailyReport",
        "amendDailyReport",
    ]


async def test_keys_are_per_user_and_malformed_keys_are_refused(
    make_account: MakeAccount,
) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    office = (await make_account(Role.OFFICE, "office")).user
    project = await a_project(manager)

    assert await refusal(manager, a_draft(project.id), key="bad\nkey") == [
        ("INVALID", ("input", "idempotencyKey"))
    ]
    assert await refusal(manager, a_draft(project.id), key="k" * 129) == [
        ("INVALID", ("input", "idempotencyKey"))
    ]
    assert await nothing_stored()

    await file(manager, a_draft(project.id), key="same")
    other = a_draft(project.id, workforce=[TradeCount(Trade.OTHER, 1, 1)])
    amended = await file(office, other, key="same")
    assert amended.workers_needed == 1
    assert await IdempotencyRecord.all().count() == 2


async def _until_waiting_on_a_lock(task: asyncio.Task[Any]) -> None:
    """Return once `task` waits for a lock this transaction holds (PostgreSQL; call inside the
    transaction), or after a moment (SQLite, where `task` waits for the connection's lock)."""
    if BACKEND != "postgres":
        await asyncio.sleep(0.2)
        return
    for _ in range(200):
        waiting = await connections.get("default").execute_query_dict(
            "SELECT count(*) AS n FROM pg_locks"
            " WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
        )
        if waiting[0]["n"] or task.done():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the racing filing never waited for the first one")


async def file_as_the_wrapper_does(
    actor: User, draft: Callable[[], ReportDraft], *, key: str | None = None
) -> tuple[DailyReportRow, int]:
    """File as schema.mutations does: once more when a concurrent transaction won a unique
    key (IntegrityError); the row, and how many runs it took."""
    try:
        return await file(actor, draft(), key=key), 1
    except IntegrityError:
        return await file(actor, draft(), key=key), 2


async def test_a_filing_racing_the_first_filing_of_the_day_amends_it_when_run_again(
    make_account: MakeAccount,
) -> None:
    """The racing filing finds no report and inserts one; on PostgreSQL the insert collides
    with the first filing's on the unique (project, date), its transaction rolls back with an
    IntegrityError, and run again (as the mutation wrapper does) it amends. SQLite runs one
    transaction at a time, so there the racing filing amends at once."""
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project = await a_project(manager)
    go = asyncio.Event()

    async def second_phone() -> tuple[DailyReportRow, int]:
        await go.wait()
        return await file_as_the_wrapper_does(manager, lambda: a_draft(project.id))

    racing = asyncio.create_task(second_phone())  # outside the first phone's transaction
    async with in_transaction():  # the first phone, still filing
        first = await daily_reports.file_report(
            Access(manager), a_draft(project.id, workforce=[]), today=DAY
        )
        go.set()
        await _until_waiting_on_a_lock(racing)

    row, runs = await racing

    assert runs == (2 if BACKEND == "postgres" else 1)
    assert row.id == first.id
    assert await DailyReport.all().count() == 1
    assert (row.workers_needed, row.amended_at is not None) == (15, True)
    assert await workforce_of(row.id) == [(Trade.CONCRETE, 5, 6), (Trade.REBAR, 10, 8)]
    actions = [e.action for e in await AuditEntry.all().order_by("id")]
    assert actions == ["fileDailyReport", "amendDailyReport"]


async def test_a_retry_racing_its_first_call_gets_the_first_report(
    make_account: MakeAccount,
) -> None:
    """Two calls with one key amending the day at once: on PostgreSQL the later one waits for
    the report's row, loses the conditional UPDATE on its version, then finds the key's record
    the first call committed and answers its result. On SQLite the later one finds the key's
    record at once. Either way nothing is written twice and the retry gets the first result."""
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project = await a_project(manager)
    filed = await file(manager, a_draft(project.id, workforce=[]))
    go = asyncio.Event()

    def draft() -> ReportDraft:
        return a_draft(project.id, workforce=[TradeCount(Trade.FINISHING, 4, 3)])

    async def retry() -> DailyReportRow | Refused:
        await go.wait()
        try:
            return (await file_as_the_wrapper_does(manager, draft, key="phone-1"))[0]
        except Refused as refused:
            return refused

    racing = asyncio.create_task(retry())
    async with in_transaction():
        first = await daily_reports.file_report(
            Access(manager), draft(), today=DAY, idempotency_key="phone-1"
        )
        go.set()
        await _until_waiting_on_a_lock(racing)

    outcome = await racing
    again = await file(manager, draft(), key="phone-1")

    assert outcome == first
    assert again == first
    assert first.id == filed.id
    assert await workforce_of(first.id) == [(Trade.FINISHING, 4, 3)]
    assert await IdempotencyRecord.all().count() == 1
    actions = [e.action for e in await AuditEntry.all().order_by("id")]
    assert actions == ["fileDailyReport", "amendDailyReport"]


# --- reads ----------------------------------------------------------------------------------


async def test_reports_of_projects_by_range_newest_first_in_one_statement(
    make_account: MakeAccount, count_statements: Callable[[], Any]
) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    first, second, quiet = await a_project(), await a_project(), await a_project()
    days = [DAY - dt.timedelta(days=n) for n in range(5)]  # DAY, DAY-1, … DAY-4
    for day in (days[3], days[0], days[2], days[1], days[4]):
        await file(office, a_draft(first.id, day))
    await file(office, a_draft(second.id, days[1]))
    await file(office, a_draft(second.id, days[4]))

    with count_statements() as counter:
        found = await report_reads.reports_of_projects(
            [first.id, second.id, quiet.id], days[3], days[1]
        )

    assert len(counter.statements) == 1
    assert set(found) == {first.id, second.id}
    assert [r.date for r in found[first.id]] == [days[1], days[2], days[3]]
    assert [r.date for r in found[second.id]] == [days[1]]
    assert all(isinstance(r, DailyReportRow) for r in found[first.id])
    assert all(r.project_id == first.id for r in found[first.id])

    everything = await report_reads.reports_of_projects([first.id, second.id], None, None)
    assert [r.date for r in everything[first.id]] == days
    assert [r.date for r in everything[second.id]] == [days[1], days[4]]
    since = await report_reads.reports_of_projects([first.id], days[1], None)
    assert [r.date for r in since[first.id]] == days[:2]
    until = await report_reads.reports_of_projects([first.id], None, days[4])
    assert [r.date for r in until[first.id]] == [days[4]]
    one_day = await report_reads.reports_of_projects([second.id], days[4], days[4])
    assert [r.date for r in one_day[second.id]] == [days[4]]
    assert await report_reads.reports_of_projects([first.id], days[1], days[3]) == {}
    assert await report_reads.reports_of_projects([quiet.id], None, None) == {}
    with count_statements() as counter:
        assert await report_reads.reports_of_projects([], None, None) == {}
    assert counter.statements == []


async def test_reports_on_days_of_projects(
    make_account: MakeAccount, count_statements: Callable[[], Any]
) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    first, second = await a_project(), await a_project()
    yesterday = DAY - dt.timedelta(days=1)
    mine = await file(office, a_draft(first.id, DAY))
    theirs = await file(office, a_draft(second.id, yesterday))

    with count_statements() as counter:
        found = await report_reads.reports_on(
            [(first.id, DAY), (second.id, yesterday), (first.id, yesterday)]
        )

    assert len(counter.statements) == 1
    assert found == {(first.id, DAY): mine, (second.id, yesterday): theirs}
    assert await report_reads.reports_on([]) == {}


async def test_reports_on_returns_only_the_pairs_asked_for(make_account: MakeAccount) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    first, second = await a_project(), await a_project()
    yesterday = DAY - dt.timedelta(days=1)
    for project in (first, second):
        for day in (DAY, yesterday):
            await file(office, a_draft(project.id, day))

    found = await report_reads.reports_on([(first.id, DAY), (second.id, yesterday)])

    assert set(found) == {(first.id, DAY), (second.id, yesterday)}


async def test_trades_of_reports_in_trade_order(
    make_account: MakeAccount, count_statements: Callable[[], Any]
) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    project = await a_project()
    mixed = await file(
        office,
        a_draft(
            project.id,
            workforce=[
                TradeCount(Trade.OTHER, 1, 1),
                TradeCount(Trade.REBAR, 2, 2),
                TradeCount(Trade.HVAC, 3, 0),
                TradeCount(Trade.CONCRETE, 4, 5),
            ],
        ),
    )
    single = await file(
        office,
        a_draft(
            project.id, DAY - dt.timedelta(days=1), workforce=[TradeCount(Trade.MACHINERY, 6, 6)]
        ),
    )
    empty = await file(office, a_draft(project.id, DAY - dt.timedelta(days=2), workforce=[]))

    with count_statements() as counter:
        found = await report_reads.trades_of([mixed.id, single.id, empty.id])

    assert len(counter.statements) == 1
    assert set(found) == {mixed.id, single.id}
    assert [(t.trade, t.needed, t.on_site) for t in found[mixed.id]] == [
        (Trade.REBAR, 2, 2),
        (Trade.CONCRETE, 4, 5),
        (Trade.HVAC, 3, 0),
        (Trade.OTHER, 1, 1),
    ]
    assert all(t.report_id == mixed.id for t in found[mixed.id])
    assert [(t.trade, t.needed) for t in found[single.id]] == [(Trade.MACHINERY, 6)]
    assert await report_reads.trades_of([]) == {}


async def test_photo_ids_of_reports_newest_photo_first(
    make_account: MakeAccount, count_statements: Callable[[], Any]
) -> None:
    office = (await make_account(Role.OFFICE, "office")).user
    project = await a_project()
    at = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)
    oldest = await a_photo(project, office, at)
    newest = await a_photo(project, office, at + dt.timedelta(hours=2))
    middle = await a_photo(project, office, at + dt.timedelta(hours=1))
    twin = await a_photo(project, office, at + dt.timedelta(hours=1))
    with_photos = await file(
        office, a_draft(project.id, photo_ids=[oldest.id, middle.id, newest.id, twin.id])
    )
    shared = await file(
        office, a_draft(project.id, DAY - dt.timedelta(days=1), photo_ids=[oldest.id])
    )
    without = await file(office, a_draft(project.id, DAY - dt.timedelta(days=2)))

    with count_statements() as counter:
        found = await report_reads.photo_ids_of([with_photos.id, shared.id, without.id])

    assert len(counter.statements) == 1
    assert found == {
        with_photos.id: [newest.id, twin.id, middle.id, oldest.id],
        shared.id: [oldest.id],
    }
    assert await report_reads.photo_ids_of([]) == {}
