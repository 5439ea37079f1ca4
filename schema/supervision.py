"""The supervisor's desk: overdue board, summaries, supervision reviews."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import graphene
from aiodataloader import DataLoader
from graphene import ResolveInfo

from schema.accounts import User
from schema.context import RequestContext
from schema.errors import ApiError, errors_field
from schema.loaders import may_see_project
from schema.loaders.accounts import UserLoader
from schema.loaders.projects import ProjectLoader
from schema.loaders.schedule import MilestoneLoader
from schema.loaders.supervision import ReviewLoader
from schema.mutations import mutation
from schema.permissions import requires, viewer
from schema.projects import Project
from schema.relay import (
    CountableConnection,
    Node,
    build_connection,
    check_list_length,
    decode_id,
    global_id,
    page_size,
    paginate_queryset,
)
from schema.scalars import Date, DateTime, Decimal, quoted
from schema.schedule import Milestone, MilestoneConnection, visible_milestone_or_error
from server.domain import audit, models, overdue, progress, supervision
from server.domain.access import READERS, sees_every_project, visible_projects
from server.domain.errors import Problems

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
    as_of = graphene.Field(Date, description="The date to judge against; today by default.")


OverdueGroupBy = graphene.Enum.from_enum(
    overdue.OverdueGroupBy, description="What the overdue summary groups by."
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


async def _visible_project_ids(info: ResolveInfo, gids: list[str]) -> tuple[int, ...]:
    """The pks of these Project IDs; INVALID for a malformed or foreign ID or too many of
    them, NOT_FOUND for a project the viewer may not see (one query)."""
    check_list_length(gids, "filter.projectIds")
    pks = []
    for index, gid in enumerate(gids):
        pk = decode_id(gid, "Project")
        if pk is None:
            raise ApiError(
                "INVALID", f"filter.projectIds[{index}] is not a Project ID: {quoted(gid)}."
            )
        pks.append(pk)
    found = set(
        await visible_projects(viewer(info)).filter(id__in=pks).values_list("id", flat=True)
    )
    for gid, pk in zip(gids, pks, strict=True):
        if pk not in found:
            raise ApiError("NOT_FOUND", f"No such project: {quoted(gid)}.")
    return tuple(dict.fromkeys(pks))


async def overdue_filter(info: ResolveInfo, given: Any) -> overdue.OverdueFilter:
    """The server-side filter for an OverdueFilter argument; top-level INVALID errors for
    values out of range, NOT_FOUND for projects the viewer may not see."""
    given = given or {}
    codes = given.get("programme_codes")
    check_list_length(codes, "filter.programmeCodes")
    try:
        flt = overdue.OverdueFilter(
            as_of=given.get("as_of") or info.context.today,
            programme_codes=tuple(codes) if codes is not None else None,
            year=given.get("year"),
            responsible_unit=given.get("responsible_unit"),
            town=given.get("town"),
            min_days_overdue=given.get("min_days_overdue") or 0,
        )
    except ValueError as exc:
        raise ApiError("INVALID", f"filter.{exc}") from None
    project_gids = given.get("project_ids")
    if project_gids is None:
        return flt
    return dataclasses.replace(flt, project_ids=await _visible_project_ids(info, project_gids))


def _group_key(group_by: overdue.OverdueGroupBy, key: str) -> str:
    if group_by is overdue.OverdueGroupBy.PROGRAMME:
        return global_id("Programme", int(key))
    if group_by is overdue.OverdueGroupBy.PROJECT:
        return global_id("Project", int(key))
    return key


# --- supervision reviews -------------------------------------------------------------------


class MilestoneReviewsLoader(DataLoader):
    """The reviews of each milestone (key: milestone id), oldest first."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(
        self, milestone_ids: Iterable[int]
    ) -> list[list[models.SupervisionReview]]:
        milestone_ids = list(milestone_ids)
        rows = await models.SupervisionReview.filter(milestone_id__in=milestone_ids).order_by(
            "created_at", "id"
        )
        found: dict[int, list[models.SupervisionReview]] = defaultdict(list)
        for row in rows:
            found[row.milestone_id].append(row)
        return [found[mid] for mid in milestone_ids]


async def reviews_of(info: ResolveInfo, milestone: models.Milestone) -> list[Any]:
    """The reviews of a milestone, batched per request (for Milestone.reviews)."""
    return await info.context.loaders.get(MilestoneReviewsLoader).load(milestone.id)


class SupervisionReview(graphene.ObjectType):
    """A supervision instruction (督办) on a milestone, and the answer from the project."""

    class Meta:
        interfaces = (Node,)

    milestone = graphene.Field(Milestone, required=True, description="What is supervised.")
    project = graphene.Field(Project, required=True, description="The milestone's project.")
    reviewer = graphene.Field(User, required=True, description="Who gave the instruction.")
    instruction = graphene.String(required=True, description="What is to be done.")
    respond_by = graphene.Field(Date, description="When the answer is due.")
    created_at = graphene.Field(DateTime, required=True, description="When it was given.")
    response = graphene.String(description="The answer, once given.")
    responded_at = graphene.Field(DateTime, description="When it was answered.")
    responded_by = graphene.Field(User, description="Who answered.")
    is_overdue = graphene.Boolean(
        required=True, description="Unanswered and the respond-by date is before today."
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> models.SupervisionReview | None:
        review = await info.context.loaders.get(ReviewLoader).load(pk)
        if review is None or not await may_see_project(info.context, review.project_id):
            return None
        return review

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, models.SupervisionReview)

    @staticmethod
    async def resolve_milestone(
        root: models.SupervisionReview, info: ResolveInfo
    ) -> models.Milestone:
        return await info.context.loaders.get(MilestoneLoader).load(root.milestone_id)

    @staticmethod
    async def resolve_project(root: models.SupervisionReview, info: ResolveInfo) -> models.Project:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    async def resolve_reviewer(root: models.SupervisionReview, info: ResolveInfo) -> models.User:
        return await info.context.loaders.get(UserLoader).load(root.reviewer_id)

    @staticmethod
    async def resolve_responded_by(
        root: models.SupervisionReview, info: ResolveInfo
    ) -> models.User | None:
        if root.responded_by_id is None:
            return None
        return await info.context.loaders.get(UserLoader).load(root.responded_by_id)

    @staticmethod
    def resolve_is_overdue(root: models.SupervisionReview, info: ResolveInfo) -> bool:
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


# --- programme progress (wired into ProgrammeStats in schema/programmes.py) ---------------


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
    index = graphene.Float(description="finishedCount ÷ baselinedCount; null when none due.")
    meets_target = graphene.Boolean(description="Index ≥ 0.95; null when the index is null.")


class ProgrammeProgressLoader(DataLoader):
    """Investment and execution of each programme (key: programme id), in two statements."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, programme_ids: Iterable[int]) -> list[progress.Progress]:
        programme_ids = list(programme_ids)
        user = self.context.user
        manager = None if user is None or sees_every_project(user) else user.id
        found = await progress.progress_by_programme(programme_ids, self.context.today, manager)
        return [found[pid] for pid in programme_ids]


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


# --- queries -------------------------------------------------------------------------------


class Queries:
    """Supervision queries."""

    overdue_milestones = graphene.Field(
        MilestoneConnection,
        required=True,
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        filter=graphene.Argument(OverdueFilter, description="Which milestones to consider."),
        description="Open milestones past their planned date, most overdue first.",
    )
    overdue_summary = graphene.List(
        graphene.NonNull(OverdueGroup),
        required=True,
        group_by=graphene.Argument(OverdueGroupBy, required=True, description="How to group."),
        filter=graphene.Argument(OverdueFilter, description="Which milestones to consider."),
        description="Overdue milestones per programme, unit, town or project, most first; "
        "the counts agree with overdueMilestones under the same filter.",
    )
    open_reviews = graphene.Field(
        SupervisionReviewConnection,
        required=True,
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        filter=graphene.Argument(ReviewFilter, description="Which reviews to list."),
        description="Unanswered supervision reviews, earliest respond-by date first; "
        "site managers see those on their projects.",
    )

    @staticmethod
    @requires(READERS)
    async def resolve_overdue_milestones(
        root: Any,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        filter: Any = None,
    ) -> CountableConnection:
        user = viewer(info)
        limit = page_size(first)
        try:
            cursor = overdue.OverdueCursor.decode(after) if after is not None else None
        except ValueError as exc:
            raise ApiError("INVALID", str(exc)) from None
        flt = await overdue_filter(info, filter)
        rows, has_next = await overdue.overdue_page(flt, user, limit, cursor)
        connection = build_connection(
            MilestoneConnection,
            rows,
            start=0,
            has_next=has_next,
            count=overdue.overdue_queryset(flt, user).count,
        )
        for edge in connection.edges:
            edge.cursor = overdue.OverdueCursor.of(edge.node).encode()
        connection.page_info.has_previous_page = cursor is not None
        connection.page_info.start_cursor = connection.edges[0].cursor if rows else None
        connection.page_info.end_cursor = connection.edges[-1].cursor if rows else None
        return connection

    @staticmethod
    @requires(READERS)
    async def resolve_overdue_summary(
        root: Any, info: ResolveInfo, group_by: Any, filter: Any = None
    ) -> list[OverdueGroup]:
        user = viewer(info)
        grouping = overdue.OverdueGroupBy(getattr(group_by, "value", group_by))
        flt = await overdue_filter(info, filter)
        groups = await overdue.overdue_summary(flt, user, grouping)
        return [
            OverdueGroup(
                key=_group_key(grouping, g.key),
                label=g.label,
                overdue_count=g.overdue_count,
                project_count=g.project_count,
                max_days_overdue=g.max_days_overdue,
            )
            for g in groups
        ]

    @staticmethod
    @requires(READERS)
    async def resolve_open_reviews(
        root: Any,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        filter: Any = None,
    ) -> CountableConnection:
        user = viewer(info)
        given = filter or {}
        gids = given.get("project_ids")
        flt = supervision.ReviewFilter(
            today=info.context.today,
            project_ids=await _visible_project_ids(info, gids) if gids is not None else None,
            overdue_only=bool(given.get("overdue_only")),
        )
        return await paginate_queryset(
            SupervisionReviewConnection, supervision.open_reviews(flt, user), first, after
        )


# --- mutations -----------------------------------------------------------------------------


class ReviewMilestoneInput(graphene.InputObjectType):
    """A supervision instruction on a milestone."""

    milestone_id = graphene.ID(required=True, description="The milestone to push.")
    instruction = graphene.String(required=True, description="What is to be done.")
    respond_by = graphene.Field(Date, description="When the answer is due (today or later).")


class RespondToReviewInput(graphene.InputObjectType):
    """The answer to a supervision instruction."""

    review_id = graphene.ID(required=True, description="The review answered.")
    response = graphene.String(required=True, description="What was done, or will be.")


class SupervisionReviewPayload(graphene.ObjectType):
    """Result of a supervision mutation."""

    review = graphene.Field(SupervisionReview, description="The review as it now is.")
    errors = errors_field()


def _raise_refusals(refusals: Iterable[supervision.Refusal]) -> None:
    problems = Problems()
    for refusal in refusals:
        problems.add(refusal.code, refusal.message, "input", refusal.field)
    problems.raise_if_any()


@mutation(
    SupervisionReviewPayload,
    ReviewMilestoneInput,
    roles=(models.Role.SUPERVISOR, models.Role.ADMIN),
    description="Give a supervision instruction (督办) on an open milestone; the project's "
    "site managers are notified.",
)
async def review_milestone(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    milestone = await visible_milestone_or_error(info, input.milestone_id)
    respond_by = input.get("respond_by")
    _raise_refusals(
        supervision.review_refusals(milestone, input.instruction, respond_by, info.context.today)
    )
    assert user is not None
    review = await supervision.create_review(user, milestone, input.instruction, respond_by)
    await audit.record(user, "supervision.review", review)
    return {"review": review}


@mutation(
    SupervisionReviewPayload,
    RespondToReviewInput,
    roles=(models.Role.SITE_MANAGER, models.Role.OFFICE, models.Role.ADMIN),
    description="Answer a supervision instruction (site managers: on their own projects); "
    "a review is answered once.",
)
async def respond_to_review(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    pk = decode_id(input.review_id, "SupervisionReview")
    review = await models.SupervisionReview.get_or_none(pk=pk) if pk is not None else None
    if review is None or not await may_see_project(info.context, review.project_id):
        _raise_refusals([supervision.Refusal("NOT_FOUND", "No such review.", "reviewId")])
    assert review is not None and user is not None
    refusals = []
    if review.responded_at is not None:
        refusals.append(supervision.ALREADY_ANSWERED)
    refusal = supervision.text_refusal(input.response, "response")
    if refusal is not None:
        refusals.append(refusal)
    _raise_refusals(refusals)
    before = audit.snapshot(review)
    try:
        review = await supervision.respond(review, user, input.response)
    except supervision.ReviewRefused as refused:
        _raise_refusals([refused.refusal])
    await audit.record(user, "supervision.respond", review, before=before)
    return {"review": review}


class Mutations:
    """Supervision mutations."""

    review_milestone = review_milestone
    respond_to_review = respond_to_review


TYPES = (SupervisionReview,)
