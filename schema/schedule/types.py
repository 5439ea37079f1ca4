"""The schedule types: roadmap phases, milestones with their links and re-baselines."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.enums import described_enum
from schema.loaders import then
from schema.loaders.accounts import UserLoader
from schema.loaders.projects import ProjectLoader
from schema.loaders.schedule import (
    MilestoneLoader,
    PhaseLoader,
    ProjectScheduleLoader,
    RebaselinesLoader,
)
from schema.loaders.supervision import MilestoneReviewsLoader
from schema.photos.types import milestone_photos
from schema.relay import CountableConnection, Node
from schema.scalars import Date, DateTime
from schema.schedule.as_of import judged_on
from server.domain import models
from server.domain.rows.accounts import UserRow
from server.domain.rows.plans import MilestoneRow, PhaseRow, ProjectRow, RebaselineRow
from server.domain.rows.supervision import ReviewRow
from server.domain.schedule import ProjectSchedule, days_overdue

MilestoneStatus = described_enum(
    models.MilestoneStatus,
    "A milestone is open until recorded as done.",
    {
        "PENDING": "Open: not recorded as done yet.",
        "DONE": "Recorded as done, with its actual date.",
    },
)


class Phase(graphene.ObjectType):
    """A phase of a project's roadmap (路线图)."""

    class Meta:
        interfaces = (Node,)

    project = graphene.Field(
        "schema.projects.types.Project", required=True, description="The project it belongs to."
    )
    name = graphene.String(
        required=True, description="The phase's name, e.g. 立项, 施工许可, 竣工验收."
    )
    sequence = graphene.Int(required=True, description="Position in the roadmap.")
    planned_start = graphene.Field(Date, description="When the phase is planned to begin.")
    planned_finish = graphene.Field(Date, description="When the phase is planned to end.")
    milestones = graphene.List(
        graphene.NonNull(lambda: Milestone),
        required=True,
        description="The milestones of this phase, by planned date.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> PhaseRow | None:
        phase = await info.context.loaders.get(PhaseLoader).load(pk)
        if phase is None or not await info.context.access.can_see_project(phase.project_id):
            return None
        return phase

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, PhaseRow)

    @staticmethod
    async def resolve_project(root: PhaseRow, info: ResolveInfo) -> ProjectRow:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    def resolve_milestones(root: PhaseRow, info: ResolveInfo) -> Any:
        schedule = info.context.loaders.get(ProjectScheduleLoader).load_now(root.project_id)
        return then(schedule, lambda s: [m for m in s.milestones if m.phase_id == root.id])


class Rebaseline(graphene.ObjectType):
    """One move of a milestone's planned date."""

    old_date = graphene.Field(Date, required=True, description="The planned date before.")
    new_date = graphene.Field(Date, required=True, description="The planned date after.")
    reason = graphene.String(required=True, description="Why it moved.")
    actor = graphene.Field("schema.accounts.types.User", description="Who moved it.")
    at = graphene.Field(DateTime, required=True, description="When it moved.")

    @staticmethod
    async def resolve_actor(root: RebaselineRow, info: ResolveInfo) -> UserRow | None:
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

    project = graphene.Field(
        "schema.projects.types.Project", required=True, description="The project it belongs to."
    )
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
        required=True,
        description="PENDING and planned before today (the zone's time zone); for the "
        "milestones of overdueMilestones, before its filter's asOf date.",
    )
    days_overdue = graphene.Int(
        required=True,
        description="Days past the planned date as of the date isOverdue judges against; "
        "0 when not overdue.",
    )
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
    reviews = graphene.List(
        graphene.NonNull("schema.supervision.types.SupervisionReview"),
        required=True,
        description="Supervision instructions (督办) on this milestone, oldest first.",
    )
    photos = graphene.Field(
        "schema.photos.types.PhotoConnection",
        required=True,
        first=graphene.Int(description="Page size (default 20, at most 100)."),
        after=graphene.String(description="Cursor of the item before the page."),
        description="Photos linked as proof, newest first.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> MilestoneRow | None:
        milestone = await info.context.loaders.get(MilestoneLoader).load(pk)
        if milestone is None or not await info.context.access.can_see_project(milestone.project_id):
            return None
        return milestone

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, MilestoneRow)

    @staticmethod
    async def resolve_project(root: MilestoneRow, info: ResolveInfo) -> ProjectRow:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    async def resolve_photos(
        root: MilestoneRow,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        return await milestone_photos(root.id, info, first, after)

    @staticmethod
    async def resolve_phase(root: MilestoneRow, info: ResolveInfo) -> PhaseRow | None:
        if root.phase_id is None:
            return None
        return await info.context.loaders.get(PhaseLoader).load(root.phase_id)

    @staticmethod
    def resolve_forecast_date(root: MilestoneRow, info: ResolveInfo) -> Any:
        schedule = info.context.loaders.get(ProjectScheduleLoader).load_now(root.project_id)
        return then(schedule, lambda s: s.forecast.get(root.id, root.planned_date))

    @staticmethod
    def resolve_is_overdue(root: MilestoneRow, info: ResolveInfo) -> bool:
        return days_overdue(root.status, root.planned_date, judged_on(root, info.context.today)) > 0

    @staticmethod
    def resolve_days_overdue(root: MilestoneRow, info: ResolveInfo) -> int:
        return days_overdue(root.status, root.planned_date, judged_on(root, info.context.today))

    @staticmethod
    def resolve_slip_days(root: MilestoneRow, info: ResolveInfo) -> int:
        return (root.planned_date - root.baseline_date).days

    @staticmethod
    def resolve_depends_on(root: MilestoneRow, info: ResolveInfo) -> Any:
        schedule = info.context.loaders.get(ProjectScheduleLoader).load_now(root.project_id)
        return then(schedule, lambda s: s.predecessors(root.id))

    @staticmethod
    def resolve_dependencies(root: MilestoneRow, info: ResolveInfo) -> Any:
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
    async def resolve_rebaselines(root: MilestoneRow, info: ResolveInfo) -> list[RebaselineRow]:
        return await info.context.loaders.get(RebaselinesLoader).load(root.id)

    @staticmethod
    async def resolve_reviews(root: MilestoneRow, info: ResolveInfo) -> list[ReviewRow]:
        return await info.context.loaders.get(MilestoneReviewsLoader).load(root.id)


class MilestoneConnection(CountableConnection):
    """A page of milestones."""

    class Meta:
        node = Milestone
        description = "A page of milestones."
