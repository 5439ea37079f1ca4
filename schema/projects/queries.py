"""Project queries: `projects`."""

from __future__ import annotations

from typing import Any

from graphene import ResolveInfo

from schema.permissions import requires
from schema.projects.pages import project_list_field, project_page
from schema.relay import CountableConnection
from server.domain.access import READERS


class Queries:
    """Project queries."""

    projects = project_list_field("The projects the viewer may see.")

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
