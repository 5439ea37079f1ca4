"""Timetable rules as plain functions: overdue, forecast propagation, cycles, next milestone."""

from __future__ import annotations

import datetime as dt

from server.domain.models import Milestone, MilestoneStatus
from server.domain.schedule import (
    Link,
    ProjectSchedule,
    days_overdue,
    forecast_dates,
    is_overdue,
    load_schedules,
    overdue_q,
    would_close_cycle,
)
from tests import factories

TODAY = dt.date(2020, 6, 15)


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def milestone(pk: int, planned: int, done: int | None = None) -> Milestone:
    return Milestone(
        id=pk,
        project_id=1,
        title=f"m{pk}",
        baseline_date=day(planned),
        planned_date=day(planned),
        actual_date=day(done) if done is not None else None,
        status=MilestoneStatus.DONE if done is not None else MilestoneStatus.PENDING,
    )


def test_days_overdue_counts_only_open_milestones_past_their_date() -> None:
    assert days_overdue(MilestoneStatus.PENDING, day(-3), TODAY) == 3
    assert days_overdue(MilestoneStatus.PENDING, TODAY, TODAY) == 0
    assert days_overdue(MilestoneStatus.PENDING, day(2), TODAY) == 0
    assert days_overdue(MilestoneStatus.DONE, day(-30), TODAY) == 0
    assert is_overdue(MilestoneStatus.PENDING, day(-1), TODAY)
    assert not is_overdue(MilestoneStatus.DONE, day(-1), TODAY)


def test_forecast_is_the_planned_date_without_late_predecessors() -> None:
    a, b = milestone(1, 5), milestone(2, 20)
    forecast = forecast_dates([a, b], [Link(1, 2, 3)], TODAY)
    assert forecast == {1: day(5), 2: day(20)}


def test_an_overdue_predecessor_pushes_its_successor_from_today() -> None:
    late, next_one = milestone(1, -10), milestone(2, 1)
    forecast = forecast_dates([late, next_one], [Link(1, 2, 5)], TODAY)
    assert forecast[1] == day(-10)  # its own forecast stays the plan
    assert forecast[2] == day(5)  # effective(late) = today, plus the lag


def test_a_done_predecessor_pushes_by_its_actual_date() -> None:
    done_late, successor = milestone(1, 0, done=8), milestone(2, 10)
    forecast = forecast_dates([done_late, successor], [Link(1, 2, 7)], TODAY)
    assert forecast[1] == day(8)
    assert forecast[2] == day(15)


def test_pushes_propagate_through_a_chain_and_take_the_latest_branch() -> None:
    a, b, c, d = milestone(1, 10), milestone(2, 12), milestone(3, 5), milestone(4, 13)
    links = [Link(1, 2, 10), Link(2, 4, 1), Link(3, 4, 0)]
    forecast = forecast_dates([d, c, b, a], links, TODAY)
    assert forecast[2] == day(20)
    assert forecast[4] == day(21)


def test_would_close_cycle() -> None:
    links = [Link(1, 2), Link(2, 3)]
    assert would_close_cycle(links, 3, 1)
    assert would_close_cycle(links, 2, 2)
    assert not would_close_cycle(links, 1, 3)
    assert not would_close_cycle([], 4, 1)


def test_next_milestone_is_the_earliest_open_by_forecast() -> None:
    a, b, c = milestone(1, -5, done=-4), milestone(2, 3), milestone(3, 1)
    schedule = ProjectSchedule([a, b, c], [Link(2, 3, 10)])
    schedule.forecast = forecast_dates(schedule.milestones, schedule.links, TODAY)
    assert schedule.next_milestone() is b  # c is planned earlier but pushed past b
    assert schedule.predecessors(3) == [b]
    assert schedule.forecast_finish(day(4)) == day(13)
    assert ProjectSchedule([a], []).next_milestone() is None


async def test_load_schedules_groups_by_project_in_two_statements(count_statements) -> None:
    first = await factories.project()
    second = await factories.project()
    a = await factories.milestone(first, day(-10))
    b = await factories.milestone(first, day(2), title="主体施工")
    await factories.link(a, b, 4)
    await factories.milestone(second, day(30))
    with count_statements() as counter:
        schedules = await load_schedules([second.id, first.id], TODAY)
    assert len(counter.statements) == 2
    assert [len(s.milestones) for s in schedules] == [1, 2]
    assert schedules[1].forecast[b.id] == day(4)


async def test_overdue_q_is_applied_by_the_database() -> None:
    project = await factories.project()
    await factories.milestone(project, day(-10), title="ten")
    await factories.milestone(project, day(-1), title="one")
    await factories.milestone(project, TODAY, title="today")
    await factories.milestone(project, day(-20), title="done", done_on=day(-19))
    titles = (
        await Milestone.filter(overdue_q(TODAY))
        .order_by("planned_date")
        .values_list("title", flat=True)
    )
    assert titles == ["ten", "one"]
    assert await Milestone.filter(overdue_q(TODAY, 5)).values_list("title", flat=True) == ["ten"]
