"""Pages of projects: `projects(filter, orderBy)`, a programme's projects and a user's,
with what the query asks of each project loaded for the whole page at once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

import graphene
from graphene import ResolveInfo
from graphql import GraphQLObjectType
from tortoise.queryset import QuerySet

from schema.compiled import answer_by_resolvers, connection_compiles
from schema.errors import ApiError
from schema.loaders import page_loads
from schema.loaders.projects import ProjectLoader
from schema.permissions import viewer
from schema.projects.history import AS_OF_DESCRIPTION, project_on
from schema.projects.types import (
    ProjectConnection,
    ProjectFilter,
    ProjectOrder,
    enum_value,
)
from schema.relay import (
    CountableConnection,
    build_connection,
    cursor_offset,
    node_fields,
    page_size,
    paginate_queryset,
)
from schema.scalars import Date
from server.domain import models, project_lists
from server.domain.access import project_scope
from server.domain.health import Cutoffs, Health
from server.domain.rows.accounts import UserRow
from server.domain.rows.plans import ProjectRow

EnumT = TypeVar("EnumT", bound=StrEnum)
PROJECT = "Project"
"""The GraphQL name of the nodes of a page of projects."""


def project_list_field(description: str, *, as_of: bool = False) -> graphene.Field:
    """A paged, filterable, orderable list of projects (served by `project_page`); with
    `as_of`, it takes the `asOf` argument too (the board of a past day)."""
    arguments: dict[str, Any] = {}
    if as_of:
        arguments["as_of"] = graphene.Argument(Date, description=AS_OF_DESCRIPTION)
    return graphene.Field(
        ProjectConnection,
        required=True,
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        filter=graphene.Argument(ProjectFilter, description="Which projects to list."),
        order_by=graphene.Argument(ProjectOrder, description="Order of the list; CODE if omitted."),
        description=description,
        **arguments,
    )


def _enum_set(values: list[Any] | None, kind: type[EnumT]) -> frozenset[EnumT] | None:
    """The members of `kind` among GraphQL enum values (None stays None)."""
    return None if values is None else frozenset(kind(enum_value(v)) for v in values)


def decoded_filter(given: Any, max_search_length: int) -> project_lists.ProjectFilter | None:
    """The domain's filter for a ProjectFilter argument; a top-level INVALID error for one
    the database should not be asked."""
    if given is None:
        return None
    codes = given.programme_codes
    flt = project_lists.ProjectFilter(
        programme_codes=tuple(codes) if codes is not None else None,
        year=given.year,
        town=given.town,
        responsible_unit=given.responsible_unit,
        health=_enum_set(given.health, Health),
        status=_enum_set(given.status, models.ProjectStatus),
        search=given.search,
    )
    try:
        flt.check(max_search_length)
    except ValueError as exc:
        raise ApiError("INVALID", f"filter.{exc}") from None
    return flt


async def project_page(
    info: ResolveInfo,
    first: int | None,
    after: str | None,
    filter: Any,
    order_by: Any = None,
    programme_id: int | None = None,
    narrow: Callable[[QuerySet[models.Project]], QuerySet[models.Project]] | None = None,
    as_of: dt.date | None = None,
) -> CountableConnection:
    """A page of the projects the viewer may see (of one programme, when given), filtered,
    narrowed further by `narrow` when given, and ordered; with `as_of` a past day, the board
    of that day from its snapshots (see `project_lists.project_list`)."""
    user = viewer(info)
    settings = info.context.settings
    flt = decoded_filter(filter, settings.max_search_length)
    queryset = await project_lists.project_list(
        project_scope(user),
        Cutoffs.of(info.context.today, settings),
        flt,
        project_lists.ProjectOrder(enum_value(order_by) or "CODE"),
        programme_id,
        as_of,
    )
    if narrow is not None:
        queryset = narrow(queryset)
    connection = await paginate_queryset(ProjectConnection, queryset, ProjectRow, first, after)
    if as_of is not None:
        answer_by_resolvers(info)
        for edge in connection.edges:
            edge.node = project_on(edge.node, as_of)
    await prefetch_page(info, [edge.node for edge in connection.edges])
    return connection


async def prefetch_page(info: ResolveInfo, projects: list[ProjectRow]) -> None:
    """Load, for the whole page at once, what the asked fields of its projects read.

    Each Project resolver declares the loader it reads (`page_loaded`); with those loaded
    before the page is returned, the projects' fields read them with `load_now` and the page
    completes without a task per field (same statements: each loader still runs one batch).
    """
    if connection_compiles(info):
        return  # the page's JSON comes from one statement; nothing is read per project
    node_type = info.schema.get_type(PROJECT)
    assert isinstance(node_type, GraphQLObjectType)
    wanted = page_loads(node_type, node_fields(info))
    ids = [project.id for project in projects]
    if wanted and ids:
        loaders = info.context.loaders
        await asyncio.gather(*(loaders.get(loader).load_many(ids) for loader in wanted))


async def user_projects(
    info: ResolveInfo, user: UserRow, first: int | None, after: str | None
) -> CountableConnection:
    """The projects `user` works on, as far as the viewer may see them (only the page is loaded)."""
    limit = page_size(first)
    start = cursor_offset(after)
    scope = project_scope(viewer(info))
    page, has_next, count = await project_lists.managed_project_page(scope, user.id, start, limit)
    projects = info.context.loaders.get(ProjectLoader)
    for project in page:
        projects.prime(project.id, project)
    await prefetch_page(info, page)
    return build_connection(ProjectConnection, page, start=start, has_next=has_next, count=count)
