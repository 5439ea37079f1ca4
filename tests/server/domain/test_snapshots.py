"""Board snapshots: a project moved through the colours over a simulated fortnight, each day
written as it ends; the same fortnight backfilled from history gives the same lines;
idempotency, the backfill report and tickets open on a day."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

from server.domain.health import Health
from server.domain.models import (
    BoardSnapshot,
    Milestone,
    MilestoneStatus,
    Project,
    ProjectStatus,
    Rebaseline,
    Role,
    Severity,
    ShortageKind,
    ShortageTicket,
    TaskSheet,
    TicketEvent,
    TicketStatus,
    User,
)
from server.domain.snapshots import NOT_YET, STATUS_TODAY, snapshot_board, snapshot_range
from server.settings import Settings
from tests import factories
from tests.conftest import MakeAccount

FIRST = dt.date(2026, 11, 2)
LAST = dt.date(2026, 11, 15)


def day(n: int) -> dt.date:
    """The n-th of November 2026."""
    return dt.date(2026, 11, n)


def at(date: dt.date, hour: int, settings: Settings) -> dt.datetime:
    """An instant of a zone-calendar day, in UTC."""
    return dt.datetime.combine(date, dt.time(hour), settings.zone).astimezone(dt.UTC)


async def made_on(project: Project, date: dt.date, settings: Settings) -> None:
    await Project.filter(id=project.id).update(created_at=at(date, 9, settings))


async def file_ticket(
    project: Project,
    reporter: User,
    when: dt.datetime,
    severity: Severity,
    kind: ShortageKind = ShortageKind.LABOUR,
) -> ShortageTicket:
    """A ticket filed at `when`, with its CREATE step."""
    ticket = await factories.ticket(project, reporter, severity, kind=kind)
    await ShortageTicket.filter(id=ticket.id).update(created_at=when)
    event = await TicketEvent.create(
        ticket=ticket, actor=reporter, action="CREATE", to_status=TicketStatus.OPEN
    )
    await TicketEvent.filter(id=event.id).update(at=when)
    return ticket


async def step(
    ticket: ShortageTicket, actor: User, action: str, to: TicketStatus, when: dt.datetime
) -> None:
    """One workflow step of a ticket, at `when`."""
    current = await ShortageTicket.get(id=ticket.id)
    event = await TicketEvent.create(
        ticket=ticket, actor=actor, action=action, from_status=current.status, to_status=to
    )
    await TicketEvent.filter(id=event.id).update(at=when)
    await ShortageTicket.filter(id=ticket.id).update(status=to)


async def lines(project: Project) -> dict[dt.date, BoardSnapshot]:
    return {s.date: s for s in await BoardSnapshot.filter(project_id=project.id)}


# What the board showed at the end of each day: (health, overdue, worst days, labour, material)
EXPECTED: dict[dt.date, tuple[Health, int, int, int, int]] = {
    day(2): (Health.GREEN, 0, 0, 0, 0),
    day(3): (Health.GREEN, 0, 0, 0, 1),  # a LOW material ticket is open
    day(4): (Health.GREEN, 0, 0, 0, 0),  # … and rejected; M3 is due today, not late
    day(5): (Health.YELLOW, 1, 1, 0, 0),
    day(6): (Health.YELLOW, 2, 2, 0, 0),
    day(7): (Health.RED, 2, 3, 1, 0),  # a CRITICAL labour ticket
    day(8): (Health.RED, 2, 4, 1, 0),
    day(9): (Health.YELLOW, 3, 5, 0, 0),  # the ticket resolved; M2 (planned the 8th) late
    day(10): (Health.YELLOW, 2, 6, 0, 0),  # M1 done
    day(11): (Health.RED, 2, 7, 1, 0),  # the ticket reopened
    day(12): (Health.ORANGE, 1, 8, 0, 0),  # resolved again; M2 re-planned to the 30th
    day(13): (Health.ORANGE, 1, 9, 0, 0),  # the ticket confirmed closed
    day(14): (Health.ORANGE, 1, 10, 0, 0),
    day(15): (Health.ORANGE, 1, 11, 0, 0),
}


async def fortnight(settings: Settings, reporter: User, office: User) -> tuple[Project, Any]:
    """The project and a function applying each day's events (called with the day)."""
    project = await factories.project("P-FORT")
    await made_on(project, FIRST, settings)
    m1 = await factories.milestone(project, day(5), title="M1")
    m2 = await factories.milestone(project, day(8), title="M2")
    await factories.milestone(project, day(4), title="M3")
    tickets: dict[str, ShortageTicket] = {}

    async def events_of(date: dt.date) -> None:
        if date == day(3):
            tickets["U"] = await file_ticket(
                project, reporter, at(date, 10, settings), Severity.LOW, ShortageKind.MATERIAL
            )
        elif date == day(4):
            await step(
                tickets["U"], office, "REJECT", TicketStatus.REJECTED, at(date, 11, settings)
            )
        elif date == day(7):
            tickets["T"] = await file_ticket(
                project, reporter, at(date, 10, settings), Severity.CRITICAL
            )
        elif date == day(9):
            await step(
                tickets["T"], office, "RESOLVE", TicketStatus.RESOLVED, at(date, 15, settings)
            )
        elif date == day(10):
            await Milestone.filter(id=m1.id).update(status=MilestoneStatus.DONE, actual_date=date)
        elif date == day(11):
            await step(
                tickets["T"], reporter, "REOPEN", TicketStatus.ACCEPTED, at(date, 9, settings)
            )
        elif date == day(12):
            await step(
                tickets["T"], office, "RESOLVE", TicketStatus.RESOLVED, at(date, 12, settings)
            )
            await Milestone.filter(id=m2.id).update(planned_date=day(30))
            moved = await Rebaseline.create(
                milestone=m2, old_date=day(8), new_date=day(30), reason="疫情"
            )
            await Rebaseline.filter(id=moved.id).update(at=at(date, 10, settings))
        elif date == day(13):
            await step(
                tickets["T"], reporter, "CONFIRM", TicketStatus.CLOSED, at(date, 8, settings)
            )

    return project, events_of


def as_expected(found: dict[dt.date, BoardSnapshot]) -> dict[dt.date, tuple]:
    return {
        date: (
            Health(line.health),
            line.overdue_milestones,
            line.worst_days_overdue,
            line.open_labour_tickets,
            line.open_material_tickets,
        )
        for date, line in found.items()
    }


async def test_a_fortnight_written_day_by_day(
    settings: Settings, make_account: MakeAccount
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER)).user
    office = (await make_account(Role.OFFICE)).user
    project, events_of = await fortnight(settings, reporter, office)
    date = FIRST
    while date <= LAST:
        await events_of(date)
        report = await snapshot_board(
            date, settings, backfill=False, today=date + dt.timedelta(days=1)
        )
        assert report.written == {date: 1}
        date += dt.timedelta(days=1)
    found = await lines(project)
    assert as_expected(found) == EXPECTED
    assert not any(line.backfilled for line in found.values())
    colours = [EXPECTED[d][0] for d in sorted(EXPECTED)]
    assert {Health.GREEN, Health.YELLOW, Health.ORANGE, Health.RED} <= set(colours)


async def test_the_same_fortnight_backfilled_from_history(
    settings: Settings, make_account: MakeAccount
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER)).user
    office = (await make_account(Role.OFFICE)).user
    project, events_of = await fortnight(settings, reporter, office)
    date = FIRST
    while date <= LAST:
        await events_of(date)
        date += dt.timedelta(days=1)
    # everything happened; now the fortnight is reconstructed two weeks later
    report = await snapshot_range(day(1), LAST, settings, today=LAST + dt.timedelta(days=14))
    found = await lines(project)
    assert as_expected(found) == EXPECTED
    assert all(line.backfilled for line in found.values())
    assert report.total_written == 14
    assert report.written[day(1)] == 0
    # the project did not exist on the 1st: said so, nothing written
    assert [(g.project_code, g.first, g.last, g.reason) for g in report.gaps] == [
        ("P-FORT", day(1), day(1), NOT_YET)
    ]


async def test_idempotent_per_day(settings: Settings, make_account: MakeAccount) -> None:
    project = await factories.project("P-IDEM")
    await made_on(project, day(1), settings)
    await factories.milestone(project, day(3))
    first = await snapshot_board(day(5), settings, today=day(6), backfill=False)
    assert (first.written, first.kept) == ({day(5): 1}, 0)
    # the milestone is moved afterwards without a re-baseline record: the line stays
    await Milestone.filter(project_id=project.id).update(planned_date=day(20))
    again = await snapshot_board(day(5), settings, today=day(9))
    assert (again.written, again.kept) == ({day(5): 0}, 1)
    (line,) = await BoardSnapshot.filter(project_id=project.id)
    assert (line.health, line.overdue_milestones, line.backfilled) == ("YELLOW", 1, False)
    ranged = await snapshot_range(day(4), day(6), settings, today=day(9))
    assert ranged.written == {day(4): 1, day(5): 0, day(6): 1}
    assert ranged.kept == 1
    assert await BoardSnapshot.filter(project_id=project.id).count() == 3


async def test_backfill_reports_what_it_cannot_reconstruct(
    settings: Settings, make_account: MakeAccount
) -> None:
    early = await factories.project("P-EARLY")
    await made_on(early, day(1), settings)
    late = await factories.project("P-LATE")
    await made_on(late, day(4), settings)
    done = await factories.project("P-DONE", status=ProjectStatus.COMPLETED)
    await made_on(done, day(1), settings)
    report = await snapshot_range(day(2), day(6), settings, today=day(10))
    gaps = [(g.project_code, g.first, g.last, g.reason) for g in report.gaps]
    assert gaps == [
        ("P-DONE", day(2), day(6), STATUS_TODAY),
        ("P-LATE", day(2), day(3), NOT_YET),
    ]
    assert report.written == {day(n): 2 if n < 4 else 3 for n in range(2, 7)}
    assert await BoardSnapshot.filter(project_id=late.id).count() == 3


async def test_tickets_open_on_a_day(settings: Settings, make_account: MakeAccount) -> None:
    reporter = (await make_account(Role.SITE_MANAGER)).user
    project = await factories.project("P-TIX")
    await made_on(project, day(1), settings)
    # filed late in the evening of the 2nd (zone time): open on the 2nd, not on the 1st
    late = await file_ticket(project, reporter, at(day(2), 23, settings), Severity.MEDIUM)
    # filed and rejected on the same day: never open at a day's end
    gone = await file_ticket(project, reporter, at(day(2), 9, settings), Severity.MEDIUM)
    await step(gone, reporter, "REJECT", TicketStatus.REJECTED, at(day(2), 10, settings))
    # closed on the 3rd just after midnight zone time (still the 2nd in UTC)
    await step(late, reporter, "RESOLVE", TicketStatus.RESOLVED, at(day(3), 0, settings))
    material = await file_ticket(
        project, reporter, at(day(1), 8, settings), Severity.HIGH, ShortageKind.MATERIAL
    )
    await step(material, reporter, "ACCEPT", TicketStatus.ACCEPTED, at(day(2), 8, settings))
    await snapshot_range(day(1), day(3), settings, today=day(4))
    found = await lines(project)
    counts = {d: (s.open_labour_tickets, s.open_material_tickets) for d, s in found.items()}
    assert counts == {day(1): (0, 1), day(2): (1, 1), day(3): (0, 1)}
    assert {d: s.health for d, s in found.items()} == dict.fromkeys(found, "ORANGE")


async def test_execution_index_and_on_site_rate(
    settings: Settings, make_account: MakeAccount
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER)).user
    project = await factories.project("P-RATE")
    await made_on(project, day(1), settings)
    sheet = await factories.task_sheet(project, 2026)
    await TaskSheet.filter(id=sheet.id).update(
        annual_investment_target=decimal.Decimal("1000.00"),
        completed_investment=decimal.Decimal("250.00"),
        created_at=at(day(1), 12, settings),
    )
    await factories.daily_report(project, reporter, day(2), needed=20, on_site=15)
    await snapshot_range(day(1), day(3), settings, today=day(4))
    found = await lines(project)
    assert found[day(2)].on_site_rate == pytest.approx(0.75)
    assert found[day(1)].on_site_rate is None and found[day(3)].on_site_rate is None
    assert {found[d].execution_index for d in found} == {decimal.Decimal("0.2500")}


async def test_refusals(settings: Settings) -> None:
    with pytest.raises(ValueError, match="has not ended"):
        await snapshot_board(day(5), settings, today=day(5))
    with pytest.raises(ValueError, match="ends before"):
        await snapshot_range(day(5), day(4), settings, today=day(9))
    with pytest.raises(ValueError, match="at most"):
        await snapshot_range(dt.date(2024, 1, 1), day(4), settings, today=day(9))
    with pytest.raises(ValueError, match="has not ended"):
        await snapshot_range(day(5), day(9), settings, today=day(9))
