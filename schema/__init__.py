"""The graphene schema of wallchart, assembled from one module per domain."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import graphene
from graphene import ResolveInfo

from schema import (
    accounts,
    board,
    daily_reports,
    people,
    photos,
    programmes,
    projects,
    schedule,
    supervision,
    sync,
    tickets,
)
from schema.errors import ApiError
from schema.relay import MAX_PAGE_SIZE, Node

DOMAINS = (
    accounts,
    programmes,
    projects,
    schedule,
    photos,
    tickets,
    supervision,
    daily_reports,
    people,
    board,
    sync,
)


SCHEMA_DESCRIPTION = (
    "wallchart: the development zone's major projects on the wall chart (挂图作战): programmes, "
    "projects, task sheets, roadmaps and milestones, site photos, shortage tickets, supervision, "
    "daily reports, people and the audit log. Relay global IDs and connections; every mutation "
    "answers `errors: [UserError!]!`. Deprecated fields stay for at least one release before "
    "they are removed."
)


class NodeQueries:
    """Relay object identification."""

    node = Node.Field(description="The object with this global ID, or null if not visible.")
    nodes = graphene.List(
        Node,
        required=True,
        ids=graphene.List(
            graphene.NonNull(graphene.ID),
            required=True,
            description=f"Global IDs, at most {MAX_PAGE_SIZE}.",
        ),
        description="The objects with these global IDs; null where not visible.",
    )

    @staticmethod
    async def resolve_nodes(root: Any, info: ResolveInfo, ids: list[str]) -> list[Any]:
        if len(ids) > MAX_PAGE_SIZE:
            raise ApiError("INVALID", f"At most {MAX_PAGE_SIZE} ids per request.")
        # Resolved together, so the per-type DataLoaders batch them into a few statements.
        return list(await asyncio.gather(*(_resolved(info, gid) for gid in ids)))


async def _resolved(info: ResolveInfo, gid: str) -> Any:
    node = Node.get_node_from_global_id(info, gid)
    return await node if inspect.isawaitable(node) else node


class Query(NodeQueries, *(domain.Queries for domain in DOMAINS), graphene.ObjectType):
    """Everything that can be read."""


class Mutation(*(domain.Mutations for domain in DOMAINS), graphene.ObjectType):
    """Everything that can be changed."""


def build_schema() -> graphene.Schema:
    """The schema with every domain's queries, mutations and node types."""
    types = [t for domain in DOMAINS for t in getattr(domain, "TYPES", ())]
    schema = graphene.Schema(query=Query, mutation=Mutation, types=types)
    # graphene.Schema takes no description; graphql-core's schema has the public attribute.
    schema.graphql_schema.description = SCHEMA_DESCRIPTION
    return schema
