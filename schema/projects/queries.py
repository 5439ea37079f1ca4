"""Project queries: `projects`, and the projects missing a day's report."""

from __future__ import annotations

import datetime as dt
from typing import Any

import graphene
from graphene import ResolveInfo

from schema.errors import ApiError
from schema.permissions import requires
from schema.projects.pages import project_list_field, project_page
from schema.projects.types import ProjectConnection, ProjectFilter
from schema.relay import CountableConnection
from schema.scalars import Date
from server.domain import daily_reports
from server.domain.access import READERS


class Queries:
    """Project queries."""

    projects = project_list_field("The projects the viewer may see.")

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

    @staticmethod
    @requires(READERS)
    async def resolve_projects(
        root: Any,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        filter: Any = None,
        order_by: Any = None,
    ) -> CountableConnection:
        return await project_page(info, first, after, filter, order_by)
