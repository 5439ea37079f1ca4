"""Changes to roadmaps and timetables: phases, milestones, links, re-baselines, completion."""

from __future__ import annotations

import datetime as dt

import pytest

from server.domain.access import Access
from server.domain.errors import Refused
from server.domain.models import (
    AuditEntry,
    MilestoneDependency,
    MilestoneStatus,
    Rebaseline,
    Role,
)
from server.domain.schedule import MAX_LAG_DAYS
from server.domain.timetable import (
    Dependency,
    PhaseValues,
    complete_milestone,
    create_milestone,
    rebaseline_milestone,
    save_phase,
    set_milestone_dependencies,
)
from tests import factories
from tests.conftest import MakeAccount

TODAY = dt.date(2020, 6, 1)


def dep(milestone_id: int | None, lag: int = 0, index: int = 0) -> Dependency:
    return Dependency(milestone_id, lag, ("input", "dependencies", str(index), "milestoneId"))


async def office(make_account: MakeAccount) -> Access:
    return Access((await make_account(Role.OFFICE)).user)


async def test_save_phase_adds_then_changes(make_account: MakeAccount) -> None:
    access = await office(make_account)
    project = await factories.project()
    phase = await save_phase(access, None, project.id, PhaseValues(" 立项 ", 1))
    assert (phase.project_id, phase.name) == (project.id, "立项")
    changed = await save_phase(access, phase.id, None, PhaseValues("施工", 2))
    assert (changed.id, changed.sequence) == (phase.id, 2)
    entries = await AuditEntry.filter(action="phase.save").order_by("id")
    assert [e.before is None for e in entries] == [True, False]
    with pytest.raises(Refused) as refused:
        await save_phase(access, None, None, PhaseValues("x", 1))
    assert (refused.value.code, refused.value.field) == ("INVALID", ("input", "projectId"))
    with pytest.raises(Refused) as refused:
        await save_phase(access, 0, None, PhaseValues("x", 1))
    assert (refused.value.code, refused.value.field) == ("NOT_FOUND", ("input", "phaseId"))
    bad = PhaseValues(" ", 0, dt.date(2020, 2, 1), dt.date(2020, 1, 1))
    with pytest.raises(Refused) as refused:
        await save_phase(access, phase.id, None, bad)
    assert [p.field for p in refused.value.problems] == [
        ("input", "name"),
        ("input", "sequence"),
        ("input", "plannedFinish"),
    ]


async def test_create_milestone_with_phase_and_predecessors(make_account: MakeAccount) -> None:
    access = await office(make_account)
    project = await factories.project()
    phase = await factories.phase(project)
    first = await factories.milestone(project, TODAY)
    made = await create_milestone(access, project.id, phase.id, " 封顶 ", TODAY, [dep(first.id, 3)])
    assert (made.title, made.phase_id, made.baseline_date) == ("封顶", phase.id, TODAY)
    link = await MilestoneDependency.get(successor_id=made.id)
    assert (link.predecessor_id, link.lag_days) == (first.id, 3)

    elsewhere = await factories.milestone(await factories.project(), TODAY)
    entries = [dep(None), dep(elsewhere.id, -1, 1), dep(first.id, 0, 2), dep(first.id, 0, 3)]
    with pytest.raises(Refused) as refused:
        await create_milestone(access, project.id, 0, "x", TODAY, entries)
    assert [(p.code, p.field) for p in refused.value.problems] == [
        ("NOT_FOUND", ("input", "phaseId")),
        ("NOT_FOUND", ("input", "dependencies", "0", "milestoneId")),
        ("INVALID", ("input", "dependencies", "1", "lagDays")),
        ("INVALID", ("input", "dependencies", "1", "milestoneId")),
        ("INVALID", ("input", "dependencies", "3", "milestoneId")),
    ]
    with pytest.raises(Refused, match=f"0 to {MAX_LAG_DAYS} days"):
        await create_milestone(access, project.id, None, "x", TODAY, [dep(first.id, 10**6)])


async def test_a_dependency_closing_a_cycle_is_refused(make_account: MakeAccount) -> None:
    access = await office(make_account)
    project = await factories.project()
    a = await factories.milestone(project, TODAY)
    b = await factories.milestone(project, TODAY)
    await set_milestone_dependencies(access, b.id, [dep(a.id, 2)])
    with pytest.raises(Refused, match="close a cycle"):
        await set_milestone_dependencies(access, a.id, [dep(b.id)])
    await set_milestone_dependencies(access, b.id, [])
    assert await MilestoneDependency.all().count() == 0
    entry = await AuditEntry.filter(action="milestone.dependencies").order_by("-id").first()
    assert entry is not None and entry.before == {"depends_on": [[a.id, 2]]}


async def test_rebaseline_moves_the_plan_not_the_baseline(make_account: MakeAccount) -> None:
    access = await office(make_account)
    project = await factories.project()
    milestone = await factories.milestone(project, TODAY)
    later = TODAY + dt.timedelta(days=10)
    moved = await rebaseline_milestone(access, milestone.id, later, " 雨季 ")
    assert (moved.baseline_date, moved.planned_date) == (TODAY, later)
    history = await Rebaseline.get(milestone_id=milestone.id)
    assert (history.old_date, history.reason, history.actor_id) == (TODAY, "雨季", access.user.id)
    with pytest.raises(Refused) as refused:
        await rebaseline_milestone(access, milestone.id, later, " ")
    assert [p.field for p in refused.value.problems] == [
        ("input", "reason"),
        ("input", "plannedDate"),
    ]
    done = await factories.milestone(project, TODAY, done_on=TODAY)
    with pytest.raises(Refused) as refused:
        await rebaseline_milestone(access, done.id, later, "why")
    assert refused.value.code == "INVALID_TRANSITION"


async def test_complete_milestone_on_a_managed_project_only(make_account: MakeAccount) -> None:
    manager = (await make_account(Role.SITE_MANAGER)).user
    project = await factories.project()
    milestone = await factories.milestone(project, TODAY)
    with pytest.raises(Refused) as refused:
        await complete_milestone(Access(manager), milestone.id, TODAY, TODAY)
    assert refused.value.code == "NOT_FOUND"
    await project.site_managers.add(manager)
    with pytest.raises(Refused) as refused:
        await complete_milestone(Access(manager), milestone.id, TODAY + dt.timedelta(days=1), TODAY)
    assert refused.value.field == ("input", "actualDate")
    done = await complete_milestone(Access(manager), milestone.id, TODAY, TODAY, [], " 已完成 ")
    assert (done.status, done.actual_date, done.completion_note) == (
        MilestoneStatus.DONE,
        TODAY,
        "已完成",
    )
    with pytest.raises(Refused) as refused:
        await complete_milestone(Access(manager), milestone.id, TODAY, TODAY, [None])
    assert [(p.code, p.field) for p in refused.value.problems] == [
        ("INVALID_TRANSITION", ("input", "milestoneId")),
        ("INVALID", ("input", "photoIds", "0")),
    ]
