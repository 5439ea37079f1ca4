"""The supervisor's desk types: the overdue board, supervision reviews, programme progress."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.enums import described_enum
from schema.loaders.accounts import UserLoader
from schema.loaders.projects import ProjectLoader
from schema.loaders.schedule import MilestoneLoader
from schema.loaders.supervision import ProgrammeProgressLoader, ReviewLoader
from schema.relay import CountableConnection, Node, global_id
from schema.scalars import Date, DateTime, Decimal
from server.domain import overdue, progress, supervision
from server.domain.rows.accounts import UserRow
from server.domain.rows.plans import MilestoneRow, ProjectRow
from server.domain.rows.supervision import ReviewRow

# --- overdue board -------------------------------------------------------------------------


class OverdueFilter(graphene.InputObjectType):
    """Which overdue milestones to consider; every field narrows the set."""

    programme_codes = graphene.List(
        graphene.NonNull(graphene.String),
        description="Projects in a programme with one of these codes; unknown codes match none.",
    )
    year = graphene.Int(description="Projects in a programme of this year (with the codes).")
    responsible_unit = graphene.String(description="Projects of this responsible unit.")
    town = graphene.String(description="Projects in this town or street.")
    project_ids = graphene.List(graphene.NonNull(graphene.ID), description="Only these projects.")
    min_days_overdue = graphene.Int(description="At least this many days overdue (0 or more).")
    as_of = graphene.Field(
        Date,
        description="The date to judge against, for the list and for its milestones' "
        "isOverdue and daysOverdue; today by default.",
    )


OverdueGroupBy = described_enum(
    overdue.OverdueGroupBy,
    "What the overdue summary groups by.",
    {
        "PROGRAMME": "One group per programme.",
        "RESPONSIBLE_UNIT": "One group per responsible unit (责任单位).",
        "TOWN": "One group per town (镇街).",
        "PROJECT": "One group per project.",
    },
)


class OverdueGroup(graphene.ObjectType):
    """Overdue milestones of one programme, unit, town or project."""

    key = graphene.String(
        required=True,
        description="Programme or Project global ID, or the unit or town name ('' for no town).",
    )
    label = graphene.String(required=True, description="What to show for the group.")
    overdue_count = graphene.Int(required=True, description="Overdue milestones in the group.")
    project_count = graphene.Int(required=True, description="Projects with one or more.")
    max_days_overdue = graphene.Int(required=True, description="The worst delay, in days.")


# --- supervision reviews -------------------------------------------------------------------


class SupervisionReview(graphene.ObjectType):
    """A supervision instruction (督办) on a milestone, and the answer from the project."""

    class Meta:
        interfaces = (Node,)

    milestone = graphene.Field(
        "schema.schedule.types.Milestone", required=True, description="What is supervised."
    )
    project = graphene.Field(
        "schema.projects.types.Project", required=True, description="The milestone's project."
    )
    reviewer = graphene.Field(
        "schema.accounts.types.User", required=True, description="Who gave the instruction."
    )
    instruction = graphene.String(required=True, description="What is to be done.")
    respond_by = graphene.Field(Date, description="When the answer is due.")
    created_at = graphene.Field(DateTime, required=True, description="When it was given.")
    response = graphene.String(description="The answer, once given.")
    responded_at = graphene.Field(DateTime, description="When it was answered.")
    responded_by = graphene.Field("schema.accounts.types.User", description="Who answered.")
    is_overdue = graphene.Boolean(
        required=True, description="Unanswered and the respond-by date is before today."
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> ReviewRow | None:
        review = await info.context.loaders.get(ReviewLoader).load(pk)
        if review is None or not await info.context.access.can_see_project(review.project_id):
            return None
        return review

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, ReviewRow)

    @staticmethod
    async def resolve_milestone(root: ReviewRow, info: ResolveInfo) -> MilestoneRow:
        return await info.context.loaders.get(MilestoneLoader).load(root.milestone_id)

    @staticmethod
    async def resolve_project(root: ReviewRow, info: ResolveInfo) -> ProjectRow:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    async def resolve_reviewer(root: ReviewRow, info: ResolveInfo) -> UserRow:
        return await info.context.loaders.get(UserLoader).load(root.reviewer_id)

    @staticmethod
    async def resolve_responded_by(root: ReviewRow, info: ResolveInfo) -> UserRow | None:
        if root.responded_by_id is None:
            return None
        return await info.context.loaders.get(UserLoader).load(root.responded_by_id)

    @staticmethod
    def resolve_is_overdue(root: ReviewRow, info: ResolveInfo) -> bool:
        return supervision.is_overdue(root, info.context.today)


class SupervisionReviewConnection(CountableConnection):
    """A page of supervision reviews."""

    class Meta:
        node = SupervisionReview
        description = "A page of supervision reviews."


class ReviewFilter(graphene.InputObjectType):
    """Which open reviews to list."""

    project_ids = graphene.List(graphene.NonNull(graphene.ID), description="Only these projects.")
    overdue_only = graphene.Boolean(description="Only those past their respond-by date.")


# --- programme progress (the progress fields of ProgrammeStats) ---------------------------


class ExecutionIndex(graphene.ObjectType):
    """Baseline execution index: milestones finished by the status date ÷ milestones
    baselined to finish by it; the target is 0.95 or more."""

    key = graphene.String(
        required=True, description="Programme or Project global ID, or the unit's name."
    )
    label = graphene.String(required=True, description="What to show for it.")
    finished_count = graphene.Int(
        required=True, description="Milestones finished on or before the status date."
    )
    baselined_count = graphene.Int(
        required=True, description="Milestones baselined to finish on or before it."
    )
    index = graphene.Float(
        description="The index: finishedCount ÷ baselinedCount; null when none due."
    )
    meets_target = graphene.Boolean(description="Index ≥ 0.95; null when the index is null.")


def _execution(item: progress.Execution, type_name: str | None) -> ExecutionIndex:
    return ExecutionIndex(
        key=global_id(type_name, int(item.key)) if type_name else item.key,
        label=item.label,
        finished_count=item.finished,
        baselined_count=item.baselined,
        index=item.index,
        meets_target=item.meets_target,
    )


async def _progress(root: Any, info: ResolveInfo) -> progress.Progress:
    return await info.context.loaders.get(ProgrammeProgressLoader).load(root.programme_id)


class ProgrammeProgressFields:
    """The progress fields of ProgrammeStats (its root carries `programme_id`)."""

    status_date = graphene.Field(
        Date, required=True, description="The date execution is judged on: today."
    )
    investment_target = graphene.Field(
        Decimal,
        description="Annual investment targets summed over the programme's task sheets for "
        "its year (newest revision of each), 万元; null when no sheet gives one.",
    )
    completed_investment = graphene.Field(
        Decimal, description="Completed investment summed the same way, 万元."
    )
    baseline_execution = graphene.Field(
        ExecutionIndex, required=True, description="The programme's baseline execution index."
    )
    project_execution = graphene.List(
        graphene.NonNull(ExecutionIndex),
        required=True,
        description="The index of each project with milestones, worst first.",
    )
    unit_execution = graphene.List(
        graphene.NonNull(ExecutionIndex),
        required=True,
        description="The index of each responsible unit, worst first.",
    )

    @staticmethod
    def resolve_status_date(root: Any, info: ResolveInfo) -> Any:
        return info.context.today

    @staticmethod
    async def resolve_investment_target(root: Any, info: ResolveInfo) -> Any:
        return (await _progress(root, info)).investment_target

    @staticmethod
    async def resolve_completed_investment(root: Any, info: ResolveInfo) -> Any:
        return (await _progress(root, info)).completed_investment

    @staticmethod
    async def resolve_baseline_execution(root: Any, info: ResolveInfo) -> ExecutionIndex:
        return _execution((await _progress(root, info)).execution, "Programme")

    @staticmethod
    async def resolve_project_execution(root: Any, info: ResolveInfo) -> list[ExecutionIndex]:
        return [_execution(e, "Project") for e in (await _progress(root, info)).by_project]

    @staticmethod
    async def resolve_unit_execution(root: Any, info: ResolveInfo) -> list[ExecutionIndex]:
        return [_execution(e, None) for e in (await _progress(root, info)).by_unit]
