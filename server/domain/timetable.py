"""Changes to a project's roadmap (phases) and timetable (milestones and their links).

Ids are plain integers: None for a required id the client sent malformed; for an optional
one, None means "not given" and 0 (which no row has) one that was malformed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from server.domain import audit
from server.domain import photos as photo_rules
from server.domain.access import Access
from server.domain.errors import FieldPath, Problems, Refused
from server.domain.models import (
    Milestone,
    MilestoneDependency,
    MilestoneStatus,
    Phase,
    Rebaseline,
)
from server.domain.schedule import MAX_LAG_DAYS, Link, would_close_cycle
from server.domain.validation import check_item_count, check_text_lengths


@dataclass(frozen=True)
class PhaseValues:
    """A roadmap phase as the planner writes it."""

    name: str
    sequence: int
    planned_start: dt.date | None = None
    planned_finish: dt.date | None = None


@dataclass(frozen=True)
class Dependency:
    """A predecessor as given: its id, the lag in days, and the input path of the id."""

    milestone_id: int | None
    lag_days: int
    field: FieldPath


async def save_phase(
    access: Access, phase_id: int | None, project_id: int | None, values: PhaseValues
) -> Phase:
    """Change the visible phase `phase_id`, or add one to the visible project `project_id`."""
    before = None
    if phase_id is not None:
        phase = await Phase.get_or_none(pk=phase_id)
        if phase is None or not await access.can_see_project(phase.project_id):
            raise Refused("NOT_FOUND", "No such phase.", ("input", "phaseId"))
        before = audit.snapshot(phase)
    elif project_id is not None:
        phase = Phase(project=await access.project(project_id, ("input", "projectId")))
    else:
        raise Refused("INVALID", "Give the project of a new phase.", ("input", "projectId"))
    problems = Problems()
    name = values.name.strip()
    if not name:
        problems.add("INVALID", "Must not be empty.", "input", "name")
    check_text_lengths(Phase, {"name": name}, problems, "input")
    if values.sequence < 1:
        problems.add("INVALID", "The sequence starts at 1.", "input", "sequence")
    start, finish = values.planned_start, values.planned_finish
    if start is not None and finish is not None and finish < start:
        problems.add("INVALID", "The finish is before the start.", "input", "plannedFinish")
    problems.raise_if_any()
    phase.name = name
    phase.sequence = values.sequence
    phase.planned_start = start
    phase.planned_finish = finish
    await phase.save()
    await audit.record(access.user, "phase.save", phase, before=before)
    return phase


async def _predecessors(
    project_id: int, dependencies: Sequence[Dependency], problems: Problems
) -> list[tuple[Milestone, int]]:
    """The predecessors with their lags: same project, no repeats, lag from 0 to
    MAX_LAG_DAYS, at most MAX_ITEMS of them."""
    found: list[tuple[Milestone, int]] = []
    seen: set[int] = set()
    if not check_item_count(dependencies, problems, "input", "dependencies"):
        return found
    for dependency in dependencies:
        pk, lag, path = dependency.milestone_id, dependency.lag_days, dependency.field
        pred = await Milestone.get_or_none(pk=pk) if pk is not None else None
        if not 0 <= lag <= MAX_LAG_DAYS:
            message = f"A lag is 0 to {MAX_LAG_DAYS} days."
            problems.add("INVALID", message, *path[:-1], "lagDays")
        if pred is None:
            problems.add("NOT_FOUND", "No such milestone.", *path)
        elif pred.project_id != project_id:
            problems.add("INVALID", "A dependency must stay within the project.", *path)
        elif pred.id in seen:
            problems.add("INVALID", "Milestone listed twice.", *path)
        else:
            seen.add(pred.id)
            found.append((pred, lag))
    return found


async def _project_links(project_id: int) -> list[Link]:
    """Every dependency between the project's milestones."""
    rows = await MilestoneDependency.filter(successor__project_id=project_id).values_list(
        "predecessor_id", "successor_id", "lag_days"
    )
    return [Link(*row) for row in rows]


async def create_milestone(
    access: Access,
    project_id: int | None,
    phase_id: int | None,
    title: str,
    planned_date: dt.date,
    dependencies: Sequence[Dependency] = (),
) -> Milestone:
    """Add a milestone to a visible project's timetable (in one of its phases, when given),
    with its predecessors; its planned date becomes its baseline."""
    project = await access.project(project_id, ("input", "projectId"))
    problems = Problems()
    title = title.strip()
    if not title:
        problems.add("INVALID", "Must not be empty.", "input", "title")
    check_text_lengths(Milestone, {"title": title}, problems, "input")
    phase = None
    if phase_id is not None:
        phase = await Phase.get_or_none(pk=phase_id)
        if phase is None or phase.project_id != project.id:
            problems.add("NOT_FOUND", "No such phase in this project.", "input", "phaseId")
            phase = None
        elif phase.planned_start is not None and planned_date < phase.planned_start:
            problems.add("INVALID", "Planned before its phase begins.", "input", "plannedDate")
    predecessors = await _predecessors(project.id, dependencies, problems)
    problems.raise_if_any()
    milestone = await Milestone.create(
        project=project,
        phase=phase,
        title=title,
        baseline_date=planned_date,
        planned_date=planned_date,
    )
    for pred, lag in predecessors:
        await MilestoneDependency.create(predecessor=pred, successor=milestone, lag_days=lag)
    after = audit.snapshot(milestone) or {}
    after["depends_on"] = [[pred.id, lag] for pred, lag in predecessors]
    await audit.record(access.user, "milestone.create", milestone, after=after)
    return milestone


async def set_milestone_dependencies(
    access: Access, milestone_id: int | None, dependencies: Sequence[Dependency]
) -> Milestone:
    """Replace a visible milestone's predecessors; one that closes a cycle is refused."""
    milestone = await access.milestone(milestone_id, ("input", "milestoneId"))
    problems = Problems()
    predecessors = await _predecessors(milestone.project_id, dependencies, problems)
    existing = await _project_links(milestone.project_id)
    links = [link for link in existing if link.successor != milestone.id]
    for index, (pred, lag) in enumerate(predecessors):
        if would_close_cycle(links, pred.id, milestone.id):
            path = ("input", "dependencies", str(index), "milestoneId")
            problems.add("INVALID", "This dependency would close a cycle.", *path)
        else:
            links.append(Link(pred.id, milestone.id, lag))
    problems.raise_if_any()
    before = [[k.predecessor, k.lag_days] for k in existing if k.successor == milestone.id]
    await MilestoneDependency.filter(successor_id=milestone.id).delete()
    for pred, lag in predecessors:
        await MilestoneDependency.create(predecessor=pred, successor=milestone, lag_days=lag)
    await audit.record(
        access.user,
        "milestone.dependencies",
        milestone,
        before={"depends_on": before},
        after={"depends_on": [[pred.id, lag] for pred, lag in predecessors]},
    )
    return milestone


async def rebaseline_milestone(
    access: Access, milestone_id: int | None, planned_date: dt.date, reason: str
) -> Milestone:
    """Move an open, visible milestone's planned date and record why; the baseline stays."""
    milestone = await access.milestone(milestone_id, ("input", "milestoneId"))
    problems = Problems()
    if milestone.status == MilestoneStatus.DONE:
        message = "A milestone already done keeps its dates."
        problems.add("INVALID_TRANSITION", message, "input", "milestoneId")
    reason = reason.strip()
    if not reason:
        problems.add("INVALID", "Give the reason for the move.", "input", "reason")
    if planned_date == milestone.planned_date:
        problems.add("INVALID", "The milestone is already planned then.", "input", "plannedDate")
    problems.raise_if_any()
    before = audit.snapshot(milestone)
    await Rebaseline.create(
        milestone=milestone,
        old_date=milestone.planned_date,
        new_date=planned_date,
        reason=reason,
        actor=access.user,
    )
    milestone.planned_date = planned_date
    await milestone.save(update_fields=["planned_date"])
    after = audit.snapshot(milestone) or {}
    after["reason"] = reason
    await audit.record(access.user, "milestone.rebaseline", milestone, before=before, after=after)
    return milestone


async def complete_milestone(
    access: Access,
    milestone_id: int | None,
    actual_date: dt.date,
    today: dt.date,
    photo_ids: Sequence[int | None] = (),
    note: str | None = None,
) -> Milestone:
    """Record a visible open milestone as reached on `actual_date` (not after `today`), with
    photos of its project as proof."""
    milestone = await access.milestone(milestone_id, ("input", "milestoneId"))
    problems = Problems()
    if milestone.status == MilestoneStatus.DONE:
        problems.add("INVALID_TRANSITION", "The milestone is already done.", "input", "milestoneId")
    if actual_date > today:
        problems.add("INVALID", "The date is in the future.", "input", "actualDate")
    photo_ids = list(photo_ids)
    if not check_item_count(photo_ids, problems, "input", "photoIds"):
        photo_ids = []
    proof, refused = await photo_rules.proof_photos(photo_ids, milestone)
    for position, reason in refused:
        problems.add("INVALID", reason, "input", "photoIds", str(position))
    problems.raise_if_any()
    before = audit.snapshot(milestone)
    milestone.status = MilestoneStatus.DONE
    milestone.actual_date = actual_date
    milestone.completion_note = (note or "").strip() or None
    await milestone.save(update_fields=["status", "actual_date", "completion_note"])
    await photo_rules.link_proof_photos(proof, milestone)
    after = audit.snapshot(milestone) or {}
    after["photo_ids"] = [photo.id for photo in proof]
    await audit.record(access.user, "milestone.complete", milestone, before=before, after=after)
    return milestone
