"""The supervisor's desk queries: `overdueMilestones`, `overdueSummary`, `openReviews`."""

from __future__ import annotations

import dataclasses
from typing import Any

import graphene
from graphene import ResolveInfo

from schema.errors import ApiError
from schema.permissions import requires, viewer
from schema.relay import (
    CountableConnection,
    build_connection,
    check_list_length,
    decode_id,
    global_id,
    page_size,
    paginate_queryset,
)
from schema.scalars import quoted
from schema.schedule.as_of import MilestoneAsOf
from schema.schedule.types import MilestoneConnection
from schema.supervision.types import (
    OverdueFilter,
    OverdueGroup,
    OverdueGroupBy,
    ReviewFilter,
    SupervisionReviewConnection,
)
from server.domain import overdue, supervision
from server.domain.access import READERS, visible_projects
from server.domain.rows.supervision import ReviewRow


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
    """A summary group's key as the client sees it: global IDs for programmes and projects."""
    if group_by is overdue.OverdueGroupBy.PROGRAMME:
        return global_id("Programme", int(key))
    if group_by is overdue.OverdueGroupBy.PROJECT:
        return global_id("Project", int(key))
    return key


class Queries:
    """Supervision queries."""

    overdue_milestones = graphene.Field(
        MilestoneConnection,
        required=True,
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        filter=graphene.Argument(OverdueFilter, description="Which milestones to consider."),
        description="Open milestones past their planned date, most overdue first; their "
        "isOverdue and daysOverdue judge them as of the filter's asOf date.",
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
            [MilestoneAsOf.judged(row, flt.as_of) for row in rows],
            start=0,
            has_next=has_next,
            count=lambda: overdue.overdue_count(flt, user),
            cursors=[overdue.OverdueCursor.of(row).encode() for row in rows],
        )
        connection.page_info.has_previous_page = cursor is not None
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
            SupervisionReviewConnection,
            supervision.open_reviews(flt, user),
            ReviewRow,
            first,
            after,
        )
