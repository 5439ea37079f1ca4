"""Five-colour health: the rules as a plain function, and the SQL that filters and counts."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from server.domain.access import EVERY_PROJECT, ProjectScope
from server.domain.health import (
    Cutoffs,
    Health,
    classify,
    health_counts_by_programme,
    health_of,
    ids_with_health,
)
from server.domain.models import MilestoneStatus, ProjectStatus, Role, Severity, TicketStatus
from server.settings import Settings
from tests import factories
from tests.conftest import MakeAccount

TODAY = dt.date(2020, 6, 15)


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"completed": True, "max_days_overdue": 90}, Health.BLUE),
        ({"max_days_overdue": 31}, Health.RED),
        ({"max_days_overdue": 30}, Health.ORANGE),
        ({"max_days_overdue": 8}, Health.ORANGE),
        ({"max_days_overdue": 7}, Health.YELLOW),
        ({"max_days_overdue": 1}, Health.YELLOW),
        ({"open_ticket_severities": [Severity.HIGH]}, Health.ORANGE),
        ({"open_ticket_severities": [Severity.CRITICAL], "max_days_overdue": 2}, Health.RED),
        ({"open_ticket_severities": [Severity.LOW, Severity.MEDIUM]}, Health.GREEN),
        ({"milestone_count": 3, "all_done_on_time": True}, Health.BLUE),
        ({"milestone_count": 0, "all_done_on_time": True}, Health.GREEN),
        ({}, Health.GREEN),
    ],
)
def test_classify(facts: dict, expected: Health, settings: Settings) -> None:
    values = {
        "completed": False,
        "max_days_overdue": 0,
        "open_ticket_severities": [],
        "milestone_count": 1,
        "all_done_on_time": False,
        **facts,
    }
    assert classify(settings=settings, **values) == expected


def test_thresholds_come_from_settings(settings: Settings) -> None:
    strict = dataclasses.replace(settings, health_yellow_max_days=2, health_orange_max_days=5)
    facts = {
        "completed": False,
        "open_ticket_severities": [],
        "milestone_count": 1,
        "all_done_on_time": False,
    }
    assert classify(max_days_overdue=3, settings=strict, **facts) == Health.ORANGE
    assert classify(max_days_overdue=6, settings=strict, **facts) == Health.RED
    cutoffs = Cutoffs.of(TODAY, strict)
    assert (cutoffs.orange_before, cutoffs.red_before) == (ago(2), ago(5))


async def test_the_database_agrees_with_classify(
    settings: Settings, make_account: MakeAccount
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "rep")).user
    made = {}
    made["done"] = await factories.project("DONE", status=ProjectStatus.COMPLETED)
    await factories.milestone(made["done"], ago(90))
    made["red"] = await factories.project("RED")
    await factories.milestone(made["red"], ago(31))
    made["orange"] = await factories.project("ORANGE")
    await factories.milestone(made["orange"], ago(30))
    made["yellow"] = await factories.project("YELLOW")
    await factories.milestone(made["yellow"], ago(1))
    await factories.milestone(made["yellow"], ago(100), done_on=ago(120))
    made["green"] = await factories.project("GREEN")
    await factories.milestone(made["green"], TODAY)
    made["empty"] = await factories.project("EMPTY")
    made["on_time"] = await factories.project("ONTIME")
    await factories.milestone(made["on_time"], ago(10), done_on=ago(10))
    made["late_done"] = await factories.project("LATEDONE")
    await factories.milestone(made["late_done"], ago(10), done_on=ago(5))
    made["high"] = await factories.project("HIGH")
    await factories.ticket(made["high"], reporter, Severity.HIGH)
    made["critical"] = await factories.project("CRITICAL")
    await factories.ticket(made["critical"], reporter, Severity.CRITICAL, TicketStatus.ASSIGNED)
    made["closed"] = await factories.project("CLOSED")
    await factories.ticket(made["closed"], reporter, Severity.CRITICAL, TicketStatus.CLOSED)

    found = await health_of([p.id for p in made.values()], Cutoffs.of(TODAY, settings))
    colours = {name: found[p.id] for name, p in made.items()}
    assert colours == {
        "done": Health.BLUE,
        "red": Health.RED,
        "orange": Health.ORANGE,
        "yellow": Health.YELLOW,
        "green": Health.GREEN,
        "empty": Health.GREEN,
        "on_time": Health.BLUE,
        "late_done": Health.GREEN,
        "high": Health.ORANGE,
        "critical": Health.RED,
        "closed": Health.GREEN,
    }
    for name, project in made.items():
        milestones = await project.milestones.all()
        tickets = await project.tickets.all()
        open_ones = [m for m in milestones if m.status == MilestoneStatus.PENDING]
        expected = classify(
            completed=project.status == ProjectStatus.COMPLETED,
            max_days_overdue=max([(TODAY - m.planned_date).days for m in open_ones] + [0]),
            open_ticket_severities=[
                t.severity for t in tickets if t.status not in ("RESOLVED", "CLOSED", "REJECTED")
            ],
            milestone_count=len(milestones),
            all_done_on_time=all(
                m.actual_date is not None and m.actual_date <= m.planned_date for m in milestones
            ),
            settings=settings,
        )
        assert colours[name] == expected, name

    reds = await ids_with_health([Health.RED, Health.BLUE], Cutoffs.of(TODAY, settings))
    assert set(reds) == {made[n].id for n in ("red", "critical", "done", "on_time")}


async def test_health_counts_by_programme_respect_a_site_manager(
    settings: Settings, make_account: MakeAccount
) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "mgr")).user
    programme = await factories.programme()
    other = await factories.programme("1050")
    red = await factories.project("R", programmes=(programme,))
    await factories.milestone(red, ago(40))
    green = await factories.project("G", programmes=(programme, other))
    await green.site_managers.add(manager)
    cutoffs = Cutoffs.of(TODAY, settings)
    counts = await health_counts_by_programme([programme.id, other.id], cutoffs, EVERY_PROJECT)
    assert counts == {
        programme.id: {Health.RED: 1, Health.GREEN: 1},
        other.id: {Health.GREEN: 1},
    }
    mine = await health_counts_by_programme([programme.id], cutoffs, ProjectScope(manager.id))
    assert mine == {programme.id: {Health.GREEN: 1}}


async def test_the_database_uses_the_thresholds_it_is_given(settings: Settings) -> None:
    strict = dataclasses.replace(settings, health_yellow_max_days=2, health_orange_max_days=5)
    three = await factories.project("THREE")
    await factories.milestone(three, ago(3))
    six = await factories.project("SIX")
    await factories.milestone(six, ago(6))
    default = await health_of([three.id, six.id], Cutoffs.of(TODAY, settings))
    tight = await health_of([three.id, six.id], Cutoffs.of(TODAY, strict))
    assert [default[three.id], default[six.id]] == [Health.YELLOW, Health.YELLOW]
    assert [tight[three.id], tight[six.id]] == [Health.ORANGE, Health.RED]
