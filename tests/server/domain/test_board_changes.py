"""What changed on the board in a window: each section with explicit dates, visibility, and
the windows refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.domain.board_changes import (
    MAX_SPAN_DAYS,
    BoardChanges,
    ColourChange,
    board_changes,
    check_window,
)
from server.domain.errors import Refused
from server.domain.health import Health
from server.domain.models import (
    BoardSnapshot,
    Project,
    Rebaseline,
    Role,
    Severity,
    TicketEvent,
    TicketStatus,
    User,
)
from tests import factories
from tests.conftest import MakeAccount

ZONE = ZoneInfo("Asia/Shanghai")
START = dt.date(2020, 3, 2)
END = dt.date(2020, 3, 8)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """An instant on `day` at `hour` o'clock zone time, in UTC as the service stores it."""
    return dt.datetime.combine(day, dt.time(hour), ZONE).astimezone(dt.UTC)


async def snapshot(project: Project, day: dt.date, colour: Health) -> None:
    await BoardSnapshot.create(
        project=project,
        date=day,
        health=colour.value,
        overdue_milestones=0,
        worst_days_overdue=0,
        open_labour_tickets=0,
        open_material_tickets=0,
    )


async def changes(user: User, projects: object = None) -> BoardChanges:
    return await board_changes(user, START, END, ZONE, projects)  # type: ignore[arg-type]


def ids(rows: list) -> list[int]:
    return [row.id for row in rows]


async def test_colour_changes_compare_consecutive_snapshots(make_account: MakeAccount) -> None:
    office = await make_account(Role.OFFICE, "o")
    a = await factories.project("A")
    b = await factories.project("B")
    # A: turned yellow on `from` itself (compared with the day before), red later, a gap bridged.
    await snapshot(a, START - dt.timedelta(days=1), Health.GREEN)
    await snapshot(a, START, Health.YELLOW)
    await snapshot(a, START + dt.timedelta(days=1), Health.YELLOW)
    await snapshot(a, START + dt.timedelta(days=4), Health.RED)
    # B: a change before the window and one after it are not counted; one inside is.
    await snapshot(b, START - dt.timedelta(days=3), Health.RED)
    await snapshot(b, START - dt.timedelta(days=1), Health.GREEN)
    await snapshot(b, START + dt.timedelta(days=2), Health.BLUE)
    await snapshot(b, END + dt.timedelta(days=1), Health.RED)
    found = (await changes(office.user)).colour_changes
    assert found == [
        ColourChange(a.id, START, Health.GREEN, Health.YELLOW),
        ColourChange(b.id, START + dt.timedelta(days=2), Health.GREEN, Health.BLUE),
        ColourChange(a.id, START + dt.timedelta(days=4), Health.YELLOW, Health.RED),
    ]


async def test_milestone_sections(make_account: MakeAccount) -> None:
    office = await make_account(Role.OFFICE, "o")
    project = await factories.project("M")
    day_before = START - dt.timedelta(days=1)
    # First overdue day on `from`: planned the day before, still open.
    open_late = await factories.milestone(project, day_before, title="open")
    # Done after its date: it was overdue from the day after its planned date.
    done_late = await factories.milestone(
        project, START + dt.timedelta(days=2), title="late", done_on=END
    )
    # Done the day after the window: it fell due on the day after its planned date, `from`.
    after = await factories.milestone(
        project, START, done_on=END + dt.timedelta(days=1), title="after"
    )
    # Done on its planned date: never overdue.
    on_time = await factories.milestone(
        project, START + dt.timedelta(days=1), done_on=START, title="ok"
    )
    # Its first overdue day is the day after the window.
    await factories.milestone(project, END, title="due last day")
    # Overdue before the window began.
    await factories.milestone(project, START - dt.timedelta(days=2), title="old")
    done_in_window = await factories.milestone(
        project, END + dt.timedelta(days=9), title="early", done_on=START
    )
    moved = await factories.milestone(project, END + dt.timedelta(days=30), title="moved")
    moved_before = await factories.milestone(project, END + dt.timedelta(days=40), title="was")
    for milestone, when in (
        (moved, at(END, 23)),
        (moved_before, at(START, 0) - dt.timedelta(seconds=1)),
    ):
        await Rebaseline.create(
            milestone=milestone,
            old_date=END,
            new_date=milestone.planned_date,
            reason="疫情",
            at=when,
        )
    found = await changes(office.user)
    assert ids(found.newly_overdue) == [open_late.id, after.id, done_late.id]
    assert ids(found.completed) == [on_time.id, done_in_window.id, done_late.id]
    assert ids(found.rebaselined) == [moved.id]


async def _ticket_story(reporter: User, project: Project, assignee: User | None = None) -> dict:
    """Tickets opened, closed, rejected and reopened at known instants."""
    made = {}
    for name, created in (("before", at(START, 0) - dt.timedelta(minutes=1)), ("in", at(START, 0))):
        ticket = await factories.ticket(project, reporter, Severity.LOW)
        ticket.created_at = created
        ticket.assignee = assignee
        await ticket.save()
        made[name] = ticket
    closed = await factories.ticket(project, reporter, Severity.LOW, TicketStatus.CLOSED)
    rejected = await factories.ticket(project, reporter, Severity.LOW, TicketStatus.REJECTED)
    reopened = await factories.ticket(project, reporter, Severity.LOW, TicketStatus.IN_PROGRESS)
    late = await factories.ticket(project, reporter, Severity.LOW, TicketStatus.CLOSED)
    for ticket in (closed, rejected, reopened, late):
        ticket.created_at = at(START - dt.timedelta(days=20))
        ticket.assignee = assignee
        await ticket.save()
    events = (
        (closed, "CONFIRM", TicketStatus.RESOLVED, TicketStatus.CLOSED, at(END, 23)),
        (rejected, "REJECT", TicketStatus.OPEN, TicketStatus.REJECTED, at(START)),
        (
            reopened,
            "REOPEN",
            TicketStatus.RESOLVED,
            TicketStatus.IN_PROGRESS,
            at(START + dt.timedelta(days=3)),
        ),
        (
            late,
            "CONFIRM",
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
            at(END + dt.timedelta(days=1), 0),
        ),
    )
    for ticket, action, source, target, when in events:
        await TicketEvent.create(
            ticket=ticket,
            actor=reporter,
            action=action,
            from_status=source,
            to_status=target,
            at=when,
        )
    made.update(closed=closed, rejected=rejected, reopened=reopened)
    return made


async def test_ticket_sections(make_account: MakeAccount) -> None:
    office = await make_account(Role.OFFICE, "o")
    reporter = await make_account(Role.SITE_MANAGER, "r")
    made = await _ticket_story(reporter.user, await factories.project("T"))
    found = await changes(office.user)
    assert ids(found.tickets_opened) == [made["in"].id]
    assert ids(found.tickets_closed) == sorted(
        [made["closed"].id, made["rejected"].id], key=lambda pk: pk
    )
    assert ids(found.tickets_reopened) == [made["reopened"].id]


async def test_review_sections(make_account: MakeAccount) -> None:
    office = await make_account(Role.OFFICE, "o")
    boss = await make_account(Role.SUPERVISOR, "boss")
    project = await factories.project("R")
    milestone = await factories.milestone(project, START)
    issued = await factories.review(milestone, boss.user)
    answered_old = await factories.review(milestone, boss.user)
    await factories.review(milestone, boss.user)  # issued after the window
    issued.created_at = at(START)
    await issued.save()
    answered_old.created_at = at(START - dt.timedelta(days=10))
    answered_old.response, answered_old.responded_at = "已加快", at(END, 22)
    await answered_old.save()
    found = await changes(office.user)
    assert ids(found.reviews_issued) == [issued.id]
    assert ids(found.reviews_answered) == [answered_old.id]


async def test_a_site_manager_sees_only_their_projects(make_account: MakeAccount) -> None:
    site = await make_account(Role.SITE_MANAGER, "s")
    mine = await factories.project("MINE")
    other = await factories.project("OTHER")
    await mine.site_managers.add(site.user)
    for project in (mine, other):
        await snapshot(project, START, Health.GREEN)
        await snapshot(project, END, Health.RED)
        await factories.milestone(project, START, done_on=START)
    made_mine = await _ticket_story(site.user, mine)
    await _ticket_story(site.user, other)
    found = await changes(site.user)
    assert [c.project_id for c in found.colour_changes] == [mine.id]
    assert {m.project_id for m in found.completed} == {mine.id}
    assert ids(found.tickets_opened) == [made_mine["in"].id]
    assert {t.project_id for t in found.tickets_closed} == {mine.id}
    # Narrowed to another project: still nothing of it.
    narrowed = await changes(site.user, Project.filter(id=other.id))
    assert narrowed.colour_changes == [] and narrowed.completed == []


async def test_a_coordinator_sees_only_their_tickets(make_account: MakeAccount) -> None:
    helper = await make_account(Role.COORDINATOR, "c")
    reporter = await make_account(Role.SITE_MANAGER, "r")
    project = await factories.project("C")
    theirs = await _ticket_story(reporter.user, project, assignee=helper.user)
    await _ticket_story(reporter.user, project)
    await factories.milestone(project, START, done_on=START)
    found = await changes(helper.user)
    assert ids(found.tickets_opened) == [theirs["in"].id]
    assert len(found.tickets_closed) == 2 and ids(found.tickets_reopened) == [theirs["reopened"].id]
    assert len(found.completed) == 1  # projects stay visible to coordinators


async def test_a_filter_narrows_every_section(make_account: MakeAccount) -> None:
    office = await make_account(Role.OFFICE, "o")
    kept = await factories.project("K", town="甲镇")
    dropped = await factories.project("D", town="乙镇")
    for project in (kept, dropped):
        await snapshot(project, START, Health.GREEN)
        await snapshot(project, END, Health.RED)
    found = await changes(office.user, Project.filter(town="甲镇"))
    assert [c.project_id for c in found.colour_changes] == [kept.id]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (END, START),
        (START, START + dt.timedelta(days=MAX_SPAN_DAYS)),
        (dt.date(1, 1, 1), START),
        (START, dt.date(9999, 12, 31)),
    ],
)
async def test_bad_windows_are_refused(start: dt.date, end: dt.date) -> None:
    with pytest.raises(Refused) as refused:
        check_window(start, end)
    assert refused.value.code == "INVALID"


async def test_a_full_year_and_a_single_day_are_fine(make_account: MakeAccount) -> None:
    check_window(START, START + dt.timedelta(days=MAX_SPAN_DAYS - 1))
    office = await make_account(Role.OFFICE, "o")
    with pytest.raises(Refused):
        await board_changes(office.user, END, START, ZONE)
    found = await board_changes(office.user, START, START, ZONE)
    assert found.colour_changes == [] and found.tickets_opened == []


async def test_one_statement_per_section(
    make_account: MakeAccount, count_statements: Callable[[], Any]
) -> None:
    site = await make_account(Role.SITE_MANAGER, "s")
    for number in range(3):
        project = await factories.project(f"S{number}", town="甲镇")
        await project.site_managers.add(site.user)
        await snapshot(project, START, Health.GREEN)
        await snapshot(project, END, Health.RED)
        await _ticket_story(site.user, project)
    with count_statements() as counter:
        found = await changes(site.user, Project.filter(town="甲镇"))
    assert len(found.colour_changes) == 3 and len(found.tickets_closed) == 6
    assert len(counter.statements) == 9
