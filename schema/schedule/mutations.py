"""Schedule mutations: roadmap phases, and milestones with their links, dates and completion."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.errors import errors_field
from schema.mutations import mutation
from schema.relay import decode_id, input_id
from schema.scalars import Date
from schema.schedule.types import Milestone, Phase
from server.domain import models, timetable
from server.domain.access import PLANNERS, SITE_WRITERS
from server.domain.rows.plans import MilestoneRow, PhaseRow


class SavePhaseInput(graphene.InputObjectType):
    """A roadmap phase: a new one of `projectId`, or changes to `phaseId`."""

    phase_id = graphene.ID(description="The phase to change; omit to create one.")
    project_id = graphene.ID(description="The project of a new phase.")
    name = graphene.String(
        required=True, description="The phase's name, e.g. 立项, 施工许可, 竣工验收."
    )
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


def _dependencies(input: Any) -> list[timetable.Dependency]:
    """The predecessors of an input: `dependsOnIds` (no lag), then `dependencies`."""
    found = [
        timetable.Dependency(decode_id(gid, "Milestone"), 0, ("input", "dependsOnIds", str(i)))
        for i, gid in enumerate(input.get("depends_on_ids") or [])
    ]
    for i, dep in enumerate(input.get("dependencies") or []):
        pk = decode_id(dep.milestone_id, "Milestone")
        path = ("input", "dependencies", str(i), "milestoneId")
        found.append(timetable.Dependency(pk, dep.lag_days or 0, path))
    return found


@mutation(
    PhasePayload,
    SavePhaseInput,
    roles=PLANNERS,
    description="Add a phase to a project's roadmap, or change one.",
)
async def save_phase(info: ResolveInfo, user: models.User | None, input: Any) -> dict[str, Any]:
    values = timetable.PhaseValues(
        name=input.name,
        sequence=input.sequence,
        planned_start=input.planned_start,
        planned_finish=input.planned_finish,
    )
    phase = await timetable.save_phase(
        info.context.access,
        input_id(input.phase_id, "Phase"),
        input_id(input.project_id, "Project"),
        values,
    )
    return {"phase": PhaseRow.of(phase)}


@mutation(
    MilestonePayload,
    CreateMilestoneInput,
    roles=PLANNERS,
    description="Add a milestone to a project's timetable, with its predecessors.",
)
async def create_milestone(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    milestone = await timetable.create_milestone(
        info.context.access,
        decode_id(input.project_id, "Project"),
        input_id(input.phase_id, "Phase"),
        input.title,
        input.planned_date,
        _dependencies(input),
    )
    return {"milestone": MilestoneRow.of(milestone)}


@mutation(
    MilestonePayload,
    SetMilestoneDependenciesInput,
    roles=PLANNERS,
    description="Replace a milestone's predecessors; a dependency that closes a cycle is refused.",
)
async def set_milestone_dependencies(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    milestone = await timetable.set_milestone_dependencies(
        info.context.access, decode_id(input.milestone_id, "Milestone"), _dependencies(input)
    )
    return {"milestone": MilestoneRow.of(milestone)}


@mutation(
    MilestonePayload,
    RebaselineMilestoneInput,
    roles=PLANNERS,
    description="Move a milestone's planned date and record why; the baseline never moves.",
)
async def rebaseline_milestone(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    milestone = await timetable.rebaseline_milestone(
        info.context.access,
        decode_id(input.milestone_id, "Milestone"),
        input.planned_date,
        input.reason,
    )
    return {"milestone": MilestoneRow.of(milestone)}


@mutation(
    MilestonePayload,
    CompleteMilestoneInput,
    roles=SITE_WRITERS,
    description="Record a milestone as reached (site managers: on their own projects).",
)
async def complete_milestone(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    milestone = await timetable.complete_milestone(
        info.context.access,
        decode_id(input.milestone_id, "Milestone"),
        input.actual_date,
        info.context.today,
        [decode_id(gid, "Photo") for gid in input.photo_ids or []],
        input.note,
    )
    return {"milestone": MilestoneRow.of(milestone)}


class Mutations:
    """Schedule mutations."""

    save_phase = save_phase
    create_milestone = create_milestone
    set_milestone_dependencies = set_milestone_dependencies
    rebaseline_milestone = rebaseline_milestone
    complete_milestone = complete_milestone
