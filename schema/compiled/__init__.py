"""Pages answered by one PostgreSQL statement that builds their JSON, as PostGraphile does.

The resolvers still decide *which* rows a page holds (visibility, filters, order, cursors,
counts); when every field the page asks of its nodes is covered (`schema.compiled.objects`),
the nodes' JSON, nested lists and pages included, comes from one statement, and each edge is
handed to the response as ready JSON (`orjson.Fragment`) instead of being completed field by
field. Only the edges of a page outside any list are compiled, so one page is one statement
whatever its size. On SQLite, with `WALLCHART_COMPILED_READS=false`, or for a selection not
covered, the resolvers answer as before: `tests/schema/test_compiled.py` runs a corpus of
documents both ways and compares data and errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    FieldNode,
    GraphQLList,
    GraphQLObjectType,
    GraphQLResolveInfo,
    get_named_type,
    get_nullable_type,
)
from graphql.pyutils import Path

from schema.compiled.objects import AS_OF, FORECAST_SQL, MAX_CHAIN, PAGE_ROW, Compiler, NotCompiled
from schema.compiled.selection import Request, collect
from schema.schedule.as_of import judged_on
from server.domain.health import Cutoffs
from server.domain.rawsql import fetch
from server.domain.rows import dialect

TABLES = {"Project": "project", "Milestone": "milestone"}
"""The node types whose pages are compiled, and their tables."""
PROJECTS_OF = {
    "project": ":compiled_ids",
    "milestone": "SELECT project_id FROM milestone WHERE id IN (:compiled_ids)",
}
"""The projects a page's nodes belong to, whose milestones' forecasts it may read."""


@dataclass(frozen=True, slots=True)
class EdgesPlan:
    """How to write a page's edges: each response key's part, and the nodes' statement."""

    parts: tuple[tuple[str, str], ...]
    """(response key, "cursor" | "node" | a JSON literal) in response order."""
    table: str
    node_sql: str | None
    forecasts: bool
    """The node SQL reads each milestone's forecast (FORECAST_SQL leads the statement)."""
    params: dict[str, Any]


def _inside_a_list(path: Path) -> bool:
    return any(isinstance(key, int) for key in path.as_list())


def edges_plan(
    info: GraphQLResolveInfo, list_type: GraphQLList, field_nodes: Sequence[FieldNode], path: Path
) -> EdgesPlan | None:
    """The plan for a list of edges at `path`, or None when the resolvers must answer it
    (planned once per request and field)."""
    settings = getattr(info.context, "settings", None)  # None: not the service's context
    if settings is None or not settings.compiled_reads or _inside_a_list(path):
        return None
    key = tuple(id(node) for node in field_nodes)
    plans = info.context.plans
    if key not in plans:
        plans[key] = _plan(info, list_type, field_nodes)
    return plans[key]


def _plan(
    info: GraphQLResolveInfo, list_type: GraphQLList, field_nodes: Sequence[FieldNode]
) -> EdgesPlan | None:
    settings = info.context.settings
    edge = get_nullable_type(list_type.of_type)
    if not isinstance(edge, GraphQLObjectType) or set(edge.fields) != {"node", "cursor"}:
        return None
    node_type = get_named_type(edge.fields["node"].type)
    if node_type.name not in TABLES or dialect() != "postgres":
        return None
    request = Request(info.fragments, info.variable_values)
    compiler = Compiler(info.schema, request, Cutoffs.of(info.context.today, settings))
    parts: list[tuple[str, str]] = []
    node_sql = None
    try:
        for asked in collect(edge, [node.selection_set for node in field_nodes], request):
            if asked.name == "__typename":
                parts.append((asked.key, orjson.dumps(edge.name).decode()))
            elif asked.name == "cursor":
                parts.append((asked.key, "cursor"))
            else:  # node
                assert isinstance(node_type, GraphQLObjectType)
                node_sql = compiler.object_json(node_type, PAGE_ROW, asked.selection_sets())
                parts.append((asked.key, "node"))
    except NotCompiled:
        return None
    table = TABLES[node_type.name]
    return EdgesPlan(tuple(parts), table, node_sql, compiler.forecasts, compiler.params)


def connection_compiles(info: GraphQLResolveInfo) -> bool:
    """True when the edges of the connection `info` resolves will be compiled (so what its
    resolvers would read need not be loaded)."""
    connection = get_named_type(info.return_type)
    if not isinstance(connection, GraphQLObjectType) or "edges" not in connection.fields:
        return False
    request = Request(info.fragments, info.variable_values)
    asked = [
        item
        for item in collect(connection, [node.selection_set for node in info.field_nodes], request)
        if item.name == "edges"
    ]
    edges_type = get_nullable_type(connection.fields["edges"].type)
    if not asked or not isinstance(edges_type, GraphQLList):
        return False
    return all(
        edges_plan(info, edges_type, item.nodes, info.path.add_key(item.key)) is not None
        for item in asked
    )


async def compiled_edges(plan: EdgesPlan, edges: Sequence[Any]) -> list[orjson.Fragment]:
    """The page's edges as ready JSON: one statement for every node of the page."""
    nodes: dict[int, str] = {}
    ids = [edge.node.id for edge in edges]
    if plan.node_sql is not None and ids:
        lead = ""
        if plan.forecasts:
            projects = PROJECTS_OF[plan.table]
            lead = FORECAST_SQL.format(projects=projects, max_depth=MAX_CHAIN)
        params = {**plan.params, "compiled_ids": ids}
        if AS_OF in params:  # the page's milestones, judged as of their list's date
            params[AS_OF] = judged_on(edges[0].node, params[AS_OF])
        rows = await fetch(
            f"{lead}SELECT {PAGE_ROW}.id AS id, ({plan.node_sql})::text AS json"
            f' FROM "{plan.table}" {PAGE_ROW} WHERE {PAGE_ROW}.id IN (:compiled_ids)',
            params,
        )
        nodes = {row["id"]: row["json"] for row in rows}
    answer = []
    for edge in edges:
        written = []
        for key, part in plan.parts:
            if part == "cursor":
                value = orjson.dumps(edge.cursor).decode()
            elif part == "node":
                value = nodes[edge.node.id]
            else:
                value = part
            written.append(f'"{key}":{value}')
        answer.append(orjson.Fragment("{" + ",".join(written) + "}"))
    return answer


def answer_by_resolvers(info: GraphQLResolveInfo) -> None:
    """Have the resolvers answer the edges of the connection `info` resolves (a page whose
    fields read something the compiler does not, such as a past day's snapshots)."""
    connection = get_named_type(info.return_type)
    if not isinstance(connection, GraphQLObjectType) or "edges" not in connection.fields:
        return
    request = Request(info.fragments, info.variable_values)
    for item in collect(connection, [node.selection_set for node in info.field_nodes], request):
        if item.name == "edges":
            info.context.plans[tuple(id(node) for node in item.nodes)] = None
