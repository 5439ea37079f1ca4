"""Project queries: `projects`, and the projects missing a day's report."""

from __future__ import annotations

import datetime as dt
from typing import Any

import graphene
from graphene import ResolveInfo

from schema.daily_reports.types import LabourAlertConnection, LabourGroupBy, LabourSeries
from schema.errors import ApiError
from schema.permissions import requires, viewer
from schema.projects.history import past_day
from schema.projects.pages import decoded_filter, project_list_field, project_page
from schema.projects.types import ProjectConnection, ProjectFilter, enum_value
from schema.relay import CountableConnection, paginate_list
from schema.scalars import Date
from server.domain import daily_reports, labour, project_lists
from server.domain.access import READERS, project_scope
from server.domain.health import Cutoffs


async def _chosen_projects(info: ResolveInfo, filter: Any) -> list[int] | None:
    """The ids of the visible projects that pass the filter; None for every project (no
    filter, and the viewer sees them all)."""
    settings = info.context.settings
    scope = project_scope(viewer(info))
    flt = decoded_filter(filter, settings.max_search_length)
    if flt is None and scope.everything:
        return None
    cutoffs = Cutoffs.of(info.context.today, settings)
    projects = await project_lists.project_list(scope, cutoffs, flt)
    return list(await projects.values_list("id", flat=True))


class Queries:
    """Project queries."""

    projects = project_list_field("The projects the viewer may see.", as_of=True)

    missing_daily_reports = graphene.Field(
        ProjectConnection,
        required=True,
        date=graphene.Argument(Date, required=True, description="The day (not after today)."),
        filter=graphene.Argument(ProjectFilter, description="Which projects to consider."),
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        description="Projects under construction that have not filed the day's report "
        "(施工日报), by code: whom the office chases before the morning meeting.",
    )

    @staticmethod
    @requires(READERS)
    async def resolve_missing_daily_reports(
        root: Any,
        info: ResolveInfo,
        date: dt.date,
        filter: Any = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CountableConnection:
        if date > info.context.today:
            raise ApiError("INVALID", "`date` is after today: no report is missing yet.")
        return await project_page(
            info,
            first,
            after,
            filter,
            narrow=lambda found: daily_reports.without_report(found, date),
        )

    labour_series = graphene.List(
        graphene.NonNull(LabourSeries),
        required=True,
        from_=graphene.Argument(Date, name="from", required=True, description="First day."),
        to=graphene.Argument(Date, required=True, description="Last day."),
        group_by=graphene.Argument(LabourGroupBy, required=True, description="Grouped by."),
        filter=graphene.Argument(ProjectFilter, description="Which projects to count."),
        description="The zone's labour picture from the daily reports, per group and day: "
        "workers needed and on site (到岗率), projects reporting, expected and resumed (复工率).",
    )

    labour_alerts = graphene.Field(
        LabourAlertConnection,
        required=True,
        filter=graphene.Argument(ProjectFilter, description="Which projects to consider."),
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        description="Projects short of workers for several reports in a row with no open "
        "LABOUR ticket, the longest-standing first.",
    )

    @staticmethod
    @requires(READERS)
    async def resolve_labour_alerts(
        root: Any,
        info: ResolveInfo,
        filter: Any = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CountableConnection:
        settings = info.context.settings
        found = await labour.labour_alerts(
            await _chosen_projects(info, filter),
            settings.labour_alert_percent,
            settings.labour_alert_days,
        )
        return paginate_list(LabourAlertConnection, found, first, after)

    @staticmethod
    @requires(READERS)
    async def resolve_labour_series(
        root: Any,
        info: ResolveInfo,
        from_: dt.date,
        to: dt.date,
        group_by: Any,
        filter: Any = None,
    ) -> list[labour.LabourSeries]:
        settings = info.context.settings
        project_ids = await _chosen_projects(info, filter)
        try:
            return await labour.labour_series(
                project_ids,
                from_,
                to,
                labour.LabourGroupBy(enum_value(group_by)),
                settings.resumption_gap_days,
            )
        except ValueError as exc:
            raise ApiError("INVALID", str(exc)) from None

    @staticmethod
    @requires(READERS)
    async def resolve_projects(
        root: Any,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        filter: Any = None,
        order_by: Any = None,
        as_of: dt.date | None = None,
    ) -> CountableConnection:
        day = past_day(info, as_of)
        return await project_page(info, first, after, filter, order_by, as_of=day)
