"""Timetables and roadmaps: the Milestone and Phase types and their mutations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import graphene
from aiodataloader import DataLoader
from graphene import ResolveInfo

from schema.accounts import User
from schema.context import RequestContext
from schema.errors import errors_field
from schema.loaders import may_see_project, then
from schema.loaders.accounts import UserLoader
from schema.loaders.projects import ProjectLoader
from schema.loaders.schedule import MilestoneLoader, PhaseLoader
from schema.mutations import mutation
from schema.projects import (
    Project,
    ProjectScheduleLoader,
    check_item_count,
    check_text_lengths,
    visible_project_or_error,
)
from schema.relay import CountableConnection, Node, decode_id
from schema.scalars import Date, DateTime
from server.domain import audit, models
from server.domain import photos as photo_rules
from server.domain.access import PLANNERS
from server.domain.errors import Problems, Refused
from server.domain.schedule import (
    MAX_LAG_DAYS,
    Link,
    ProjectSchedule,
    days_overdue,
    would_close_cycle,
)

MilestoneStatus = graphene.Enum.from_enum(
    models.MilestoneStatus, description="A milestone is open until recorded as done."
)


class ProjectPhasesLoader(DataLoader):
    """The roadmap of each project (key: project id), ordered by sequence."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[list[models.Phase]]:
        project_ids = list(project_ids)
        phases = await models.Phase.filter(project_id__in=project_ids).order_by("sequence", "id")
        found: dict[int, list[models.Phase]] = defaultdict(list)
        for phase in phases:
            found[phase.project_id].append(phase)
        return [found[pid] for pid in project_ids]


class RebaselinesLoader(DataLoader):
    """The re-baseline history of each milestone (key: milestone id), oldest first."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, milestone_ids: Iterable[int]) -> list[list[models.Rebaseline]]:
        milestone_ids = list(milestone_ids)
        rows = await models.Rebaseline.filter(milestone_id__in=milestone_ids).order_by("at", "id")
        found: dict[int, list[models.Rebaseline]] = defaultdict(list)
        for row in rows:
            found[row.milestone_id].append(row)
        return [found[mid] for mid in milestone_ids]


class Phase(graphene.ObjectType):
    """A phase of a project's roadmap (路线图)."""

    class Meta:
        interfaces = (Node,)

    name = graphene.String(required=True, description="e.g. 立项, 施工许可, 竣工验收.")
    sequence = graphene.Int(required=True, description="Position in the roadmap.")
    planned_start = graphene.Field(Date, description="When the phase is planned to begin.")
    planned_finish = graphene.Field(Date, description="When the phase is planned to end.")
    milestones = graphene.List(
        graphene.NonNull(lambda: Milestone),
        required=True,
        description="The milestones of this phase, by planned date.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> models.Phase | None:
        phase = await info.context.loaders.get(PhaseLoader).load(pk)
        if phase is None or not await may_see_project(info.context, phase.project_id):
            return None
        return phase

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, models.Phase)

    @staticmethod
    def resolve_milestones(root: models.Phase, info: ResolveInfo) -> Any:
        schedule = info.context.loaders.get(ProjectScheduleLoader).load_now(root.project_id)
        return then(schedule, lambda s: [m for m in s.milestones if m.phase_id == root.id])


class Rebaseline(graphene.ObjectType):
    """One move of a milestone's planned date."""

    old_date = graphene.Field(Date, required=True, description="The planned date before.")
    new_date = graphene.Field(Date, required=True, description="The planned date after.")
    reason = graphene.String(required=True, description="Why it moved.")
    actor = graphene.Field(User, description="Who moved it.")
    at = graphene.Field(DateTime, required=True, description="When it moved.")

    @staticmethod
    async def resolve_actor(root: models.Rebaseline, info: ResolveInfo) -> models.User | None:
        if root.actor_id is None:
            return None
        return await info.context.loaders.get(UserLoader).load(root.actor_id)


class MilestoneLink(graphene.ObjectType):
    """A predecessor of a milestone, with the days that must pass after it."""

    milestone = graphene.Field(
        lambda: Milestone, required=True, description="The predecessor milestone."
    )
    lag_days = graphene.Int(required=True, description="Days after the predecessor, at least 0.")


class Milestone(graphene.ObjectType):
    """A dated point of a project's timetable (时间表)."""

    class Meta:
        interfaces = (Node,)

    project = graphene.Field(Project, required=True, description="The project it belongs to.")
    phase = graphene.Field(Phase, description="The roadmap phase it belongs to.")
    title = graphene.String(required=True, description="What is reached.")
    baseline_date = graphene.Field(Date, required=True, description="The first approved plan.")
    planned_date = graphene.Field(
        Date, required=True, description="The current plan, after any re-baselining."
    )
    forecast_date = graphene.Field(
        Date,
        required=True,
        description="The planned date pushed later by late or overdue predecessors; "
        "the actual date once done.",
    )
    actual_date = graphene.Field(Date, description="When it was reached.")
    status = graphene.Field(MilestoneStatus, required=True, description="Open or done.")
    is_overdue = graphene.Boolean(
        required=True, description="PENDING and planned before today (the zone's time zone)."
    )
    days_overdue = graphene.Int(required=True, description="0 when not overdue.")
    slip_days = graphene.Int(required=True, description="Planned date minus baseline date.")
    depends_on = graphene.List(
        graphene.NonNull(lambda: Milestone),
        required=True,
        description="The milestones that must be reached first.",
    )
    dependencies = graphene.List(
        graphene.NonNull(MilestoneLink),
        required=True,
        description="The predecessors with their lags.",
    )
    rebaselines = graphene.List(
        graphene.NonNull(Rebaseline),
        required=True,
        description="Every move of the planned date, oldest first.",
    )
    completion_note = graphene.String(description="What the site said when recording it done.")
    # Supervision (schema/supervision.py owns the type and its loader).
    reviews = graphene.List(
        graphene.NonNull("schema.supervision.SupervisionReview"),
        required=True,
        description="Supervision instructions (督办) on this milestone, oldest first.",
    )

    # Photos (issue 4): the field and its resolver live with the photo types.
    photos = graphene.Field(
        "schema.photos.PhotoConnection",
        required=True,
        first=graphene.Int(description="Page size (default 20, at most 100)."),
        after=graphene.String(description="Cursor of the item before the page."),
        description="Photos linked as proof, newest first.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> models.Milestone | None:
        milestone = await info.context.loaders.get(MilestoneLoader).load(pk)
        if milestone is None or not await may_see_project(info.context, milestone.project_id):
            return None
        return milestone

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, models.Milestone)

    @staticmethod
    async def resolve_project(root: models.Milestone, info: ResolveInfo) -> models.Project:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    async def resolve_photos(
        root: models.Milestone,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        from schema.photos import milestone_photos  # schema.photos imports this module

        return await milestone_photos(root.id, info, first, after)

    @staticmethod
    async def resolve_phase(root: models.Milestone, info: ResolveInfo) -> models.Phase | None:
        if root.phase_id is None:
            return None
        return await info.context.loaders.get(PhaseLoader).load(root.phase_id)

    @staticmethod
    def resolve_forecast_date(root: models.Milestone, info: ResolveInfo) -> Any:
        schedule = info.context.loaders.get(ProjectScheduleLoader).load_now(root.project_id)
        return then(schedule, lambda s: s.forecast.get(root.id, root.planned_date))

    @staticmethod
    def resolve_is_overdue(root: models.Milestone, info: ResolveInfo) -> bool:
        return days_overdue(root.status, root.planned_date, info.context.today) > 0

    @staticmethod
    def resolve_days_overdue(root: models.Milestone, info: ResolveInfo) -> int:
        return days_overdue(root.status, root.planned_date, info.context.today)

    @staticmethod
    def resolve_slip_days(root: models.Milestone, info: ResolveInfo) -> int:
        return (root.planned_date - root.baseline_date).days

    @staticmethod
    def resolve_depends_on(root: models.Milestone, info: ResolveInfo) -> Any:
        schedule = info.context.loaders.get(ProjectScheduleLoader).load_now(root.project_id)
        return then(schedule, lambda s: s.predecessors(root.id))

    @staticmethod
    def resolve_dependencies(root: models.Milestone, info: ResolveInfo) -> Any:
        def links_of(schedule: ProjectSchedule) -> list[dict[str, Any]]:
            by_id = {m.id: m for m in schedule.milestones}
            return [
                {"milestone": by_id[link.predecessor], "lag_days": link.lag_days}
                for link in schedule.links
                if link.successor == root.id and link.predecessor in by_id
            ]

        schedule = info.context.loaders.get(ProjectScheduleLoader).load_now(root.project_id)
        return then(schedule, links_of)

    @staticmethod
    async def resolve_rebaselines(
        root: models.Milestone, info: ResolveInfo
    ) -> list[models.Rebaseline]:
        return await info.context.loaders.get(RebaselinesLoader).load(root.id)

    @staticmethod
    async def resolve_reviews(root: models.Milestone, info: ResolveInfo) -> list[Any]:
        from schema.supervision import reviews_of  # supervision imports this module

        return await reviews_of(info, root)


class MilestoneConnection(CountableConnection):
    """A page of milestones."""

    class Meta:
        node = Milestone
        description = "A page of milestones."


class Queries:
    """Schedule queries (milestones are reached through projects and `node`)."""


# --- mutations -----------------------------------------------------------------------------


class SavePhaseInput(graphene.InputObjectType):
    """A roadmap phase: a new one of `projectId`, or changes to `phaseId`."""

    phase_id = graphene.ID(description="The phase to change; omit to create one.")
    project_id = graphene.ID(description="The project of a new phase.")
    name = graphene.String(required=True, description="e.g. 立项, 施工许可, 竣工验收.")
    sequence = graphene.Int(required=True, description="Position in the roadmap, from 1.")
    planned_start = graphene.InputField(Date, description="When the phase is planned to begin.")
    planned_finish = graphene.InputField(Date, description="When it is planned to end.")


class PhasePayload(graphene.ObjectType):
    """Result of `savePhase`."""

    phase = graphene.Field(Phase, description="The phase as it now is.")
    errors = errors_field()


class MilestoneDependencyInput(graphene.InputObjectType):
    """A predecessor of a milestone, with a lag."""

    milestone_id = graphene.ID(required=True, description="The predecessor, in the same project.")
    lag_days = graphene.Int(description="Days after the predecessor, at least 0 (default 0).")


class CreateMilestoneInput(graphene.InputObjectType):
    """A new milestone; its planned date becomes its baseline."""

    project_id = graphene.ID(required=True, description="The project.")
    phase_id = graphene.ID(description="The roadmap phase, of the same project.")
    title = graphene.String(required=True, description="What is reached.")
    planned_date = graphene.InputField(Date, required=True, description="The planned date.")
    depends_on_ids = graphene.List(
        graphene.NonNull(graphene.ID), description="Predecessors with no lag."
    )
    dependencies = graphene.List(
        graphene.NonNull(MilestoneDependencyInput), description="Predecessors with lags."
    )


class SetMilestoneDependenciesInput(graphene.InputObjectType):
    """The whole list of a milestone's predecessors."""

    milestone_id = graphene.ID(required=True, description="The milestone.")
    dependencies = graphene.List(
        graphene.NonNull(MilestoneDependencyInput),
        required=True,
        description="Replaces the current predecessors; a cycle is refused.",
    )


class RebaselineMilestoneInput(graphene.InputObjectType):
    """A new planned date and the reason; the baseline never moves."""

    milestone_id = graphene.ID(required=True, description="The milestone.")
    planned_date = graphene.InputField(Date, required=True, description="The new planned date.")
    reason = graphene.String(required=True, description="Why the date moves.")


class CompleteMilestoneInput(graphene.InputObjectType):
    """Record a milestone as reached."""

    milestone_id = graphene.ID(required=True, description="The milestone.")
    actual_date = graphene.InputField(
        Date, required=True, description="When it was reached; not after today."
    )
    photo_ids = graphene.List(graphene.NonNull(graphene.ID), description="Photos as evidence.")
    note = graphene.String(description="A word from site.")


class MilestonePayload(graphene.ObjectType):
    """Result of a milestone mutation."""

    milestone = graphene.Field(Milestone, description="The milestone as it now is.")
    errors = errors_field()


async def visible_milestone_or_error(info: ResolveInfo, gid: str) -> models.Milestone:
    """The milestone with this global ID if the viewer may see it, else NOT_FOUND."""
    pk = decode_id(gid, "Milestone")
    milestone = await models.Milestone.get_or_none(pk=pk) if pk is not None else None
    if milestone is None or not await may_see_project(info.context, milestone.project_id):
        raise Refused("NOT_FOUND", "No such milestone.", ("input", "milestoneId"))
    return milestone


async def _predecessors(
    project_id: int,
    entries: list[tuple[str, int, tuple[str, ...]]],
    problems: Problems,
) -> list[tuple[models.Milestone, int]]:
    """Check (global id, lag, input path) entries: same project, no repeats, lag from 0 to
    MAX_LAG_DAYS, at most MAX_PAGE_SIZE of them."""
    found: list[tuple[models.Milestone, int]] = []
    seen: set[int] = set()
    if not check_item_count(entries, problems, "input", "dependencies"):
        return found
    for gid, lag, path in entries:
        pk = decode_id(gid, "Milestone")
        pred = await models.Milestone.get_or_none(pk=pk) if pk is not None else None
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


def _dependency_entries(input: Any) -> list[tuple[str, int, tuple[str, ...]]]:
    entries = [
        (gid, 0, ("input", "dependsOnIds", str(i)))
        for i, gid in enumerate(input.get("depends_on_ids") or [])
    ]
    for i, dep in enumerate(input.get("dependencies") or []):
        path = ("input", "dependencies", str(i), "milestoneId")
        entries.append((dep.milestone_id, dep.lag_days or 0, path))
    return entries


async def _project_links(project_id: int) -> list[Link]:
    rows = await models.MilestoneDependency.filter(successor__project_id=project_id).values_list(
        "predecessor_id", "successor_id", "lag_days"
    )
    return [Link(*row) for row in rows]


@mutation(
    PhasePayload,
    SavePhaseInput,
    roles=PLANNERS,
    description="Add a phase to a project's roadmap, or change one.",
)
async def save_phase(info: ResolveInfo, user: models.User | None, input: Any) -> dict[str, Any]:
    before = None
    if input.phase_id is not None:
        pk = decode_id(input.phase_id, "Phase")
        phase = await models.Phase.get_or_none(pk=pk) if pk is not None else None
        if phase is None or not await may_see_project(info.context, phase.project_id):
            raise Refused("NOT_FOUND", "No such phase.", ("input", "phaseId"))
        before = audit.snapshot(phase)
    elif input.project_id is not None:
        project = await visible_project_or_error(info, input.project_id, ("input", "projectId"))
        phase = models.Phase(project=project)
    else:
        raise Refused("INVALID", "Give the project of a new phase.", ("input", "projectId"))
    problems = Problems()
    if not input.name.strip():
        problems.add("INVALID", "Must not be empty.", "input", "name")
    check_text_lengths(models.Phase, {"name": input.name.strip()}, problems, "input")
    if input.sequence < 1:
        problems.add("INVALID", "The sequence starts at 1.", "input", "sequence")
    start, finish = input.planned_start, input.planned_finish
    if start is not None and finish is not None and finish < start:
        problems.add("INVALID", "The finish is before the start.", "input", "plannedFinish")
    problems.raise_if_any()
    phase.name = input.name.strip()
    phase.sequence = input.sequence
    phase.planned_start = start
    phase.planned_finish = finish
    await phase.save()
    await audit.record(user, "phase.save", phase, before=before)
    return {"phase": phase}


@mutation(
    MilestonePayload,
    CreateMilestoneInput,
    roles=PLANNERS,
    description="Add a milestone to a project's timetable, with its predecessors.",
)
async def create_milestone(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    project = await visible_project_or_error(info, input.project_id, ("input", "projectId"))
    problems = Problems()
    if not input.title.strip():
        problems.add("INVALID", "Must not be empty.", "input", "title")
    check_text_lengths(models.Milestone, {"title": input.title.strip()}, problems, "input")
    phase = None
    if input.phase_id is not None:
        pk = decode_id(input.phase_id, "Phase")
        phase = await models.Phase.get_or_none(pk=pk) if pk is not None else None
        if phase is None or phase.project_id != project.id:
            problems.add("NOT_FOUND", "No such phase in this project.", "input", "phaseId")
            phase = None
        elif phase.planned_start is not None and input.planned_date < phase.planned_start:
            problems.add("INVALID", "Planned before its phase begins.", "input", "plannedDate")
    predecessors = await _predecessors(project.id, _dependency_entries(input), problems)
    problems.raise_if_any()
    milestone = await models.Milestone.create(
        project=project,
        phase=phase,
        title=input.title.strip(),
        baseline_date=input.planned_date,
        planned_date=input.planned_date,
    )
    for pred, lag in predecessors:
        await models.MilestoneDependency.create(predecessor=pred, successor=milestone, lag_days=lag)
    after = audit.snapshot(milestone) or {}
    after["depends_on"] = [[pred.id, lag] for pred, lag in predecessors]
    await audit.record(user, "milestone.create", milestone, after=after)
    return {"milestone": milestone}


@mutation(
    MilestonePayload,
    SetMilestoneDependenciesInput,
    roles=PLANNERS,
    description="Replace a milestone's predecessors; a dependency that closes a cycle is refused.",
)
async def set_milestone_dependencies(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    milestone = await visible_milestone_or_error(info, input.milestone_id)
    problems = Problems()
    predecessors = await _predecessors(milestone.project_id, _dependency_entries(input), problems)
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
    await models.MilestoneDependency.filter(successor_id=milestone.id).delete()
    for pred, lag in predecessors:
        await models.MilestoneDependency.create(predecessor=pred, successor=milestone, lag_days=lag)
    await audit.record(
        user,
        "milestone.dependencies",
        milestone,
        before={"depends_on": before},
        after={"depends_on": [[pred.id, lag] for pred, lag in predecessors]},
    )
    return {"milestone": milestone}


@mutation(
    MilestonePayload,
    RebaselineMilestoneInput,
    roles=PLANNERS,
    description="Move a milestone's planned date and record why; the baseline never moves.",
)
async def rebaseline_milestone(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    milestone = await visible_milestone_or_error(info, input.milestone_id)
    problems = Problems()
    if milestone.status == models.MilestoneStatus.DONE:
        problems.add(
            "INVALID_TRANSITION",
            "A milestone already done keeps its dates.",
            "input",
            "milestoneId",
        )
    if not input.reason.strip():
        problems.add("INVALID", "Give the reason for the move.", "input", "reason")
    if input.planned_date == milestone.planned_date:
        problems.add("INVALID", "The milestone is already planned then.", "input", "plannedDate")
    problems.raise_if_any()
    before = audit.snapshot(milestone)
    await models.Rebaseline.create(
        milestone=milestone,
        old_date=milestone.planned_date,
        new_date=input.planned_date,
        reason=input.reason.strip(),
        actor=user,
    )
    milestone.planned_date = input.planned_date
    await milestone.save(update_fields=["planned_date"])
    after = audit.snapshot(milestone) or {}
    after["reason"] = input.reason.strip()
    await audit.record(user, "milestone.rebaseline", milestone, before=before, after=after)
    return {"milestone": milestone}


@mutation(
    MilestonePayload,
    CompleteMilestoneInput,
    roles=(models.Role.SITE_MANAGER, *PLANNERS),
    description="Record a milestone as reached (site managers: on their own projects).",
)
async def complete_milestone(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    milestone = await visible_milestone_or_error(info, input.milestone_id)
    problems = Problems()
    if milestone.status == models.MilestoneStatus.DONE:
        problems.add("INVALID_TRANSITION", "The milestone is already done.", "input", "milestoneId")
    if input.actual_date > info.context.today:
        problems.add("INVALID", "The date is in the future.", "input", "actualDate")
    photo_ids = [decode_id(gid, "Photo") for gid in input.photo_ids or []]
    if not check_item_count(photo_ids, problems, "input", "photoIds"):
        photo_ids = []
    proof, refused = await photo_rules.proof_photos(photo_ids, milestone)
    for position, reason in refused:
        problems.add("INVALID", reason, "input", "photoIds", str(position))
    problems.raise_if_any()
    before = audit.snapshot(milestone)
    milestone.status = models.MilestoneStatus.DONE
    milestone.actual_date = input.actual_date
    milestone.completion_note = (input.note or "").strip() or None
    await milestone.save(update_fields=["status", "actual_date", "completion_note"])
    await photo_rules.link_proof_photos(proof, milestone)
    after = audit.snapshot(milestone) or {}
    after["photo_ids"] = [photo.id for photo in proof]
    await audit.record(user, "milestone.complete", milestone, before=before, after=after)
    return {"milestone": milestone}


class Mutations:
    """Schedule mutations."""

    save_phase = save_phase
    create_milestone = create_milestone
    set_milestone_dependencies = set_milestone_dependencies
    rebaseline_milestone = rebaseline_milestone
    complete_milestone = complete_milestone


TYPES = (Milestone, Phase)
