"""Relay pieces: the Node interface with global IDs, and countable connections."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import graphene
from graphene import ResolveInfo
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionNode,
    SelectionSetNode,
)
from graphql.execution import get_directive_values
from graphql_relay import from_global_id, to_global_id
from tortoise.queryset import QuerySet

from schema.errors import ApiError
from server.domain.rows import Row, queryset_rows
from server.domain.schedule import MAX_ID

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Offset cursors point at most this far into a list: far past any real list, and well inside
# what the databases take as an OFFSET.
MAX_CURSOR_OFFSET = 10_000_000


class Node(graphene.relay.Node):
    """An object with a global ID; objects the viewer may not see resolve to null."""

    class Meta:
        name = "Node"

    @classmethod
    def get_node_from_global_id(
        cls, info: ResolveInfo, global_id: str, only_type: Any = None
    ) -> Any:
        type_name, pk = split_global_id(global_id)
        if type_name is None:
            return None
        graphql_type = info.schema.get_type(type_name)
        if not isinstance(graphql_type, GraphQLObjectType) or not any(
            interface.name == "Node" for interface in graphql_type.interfaces
        ):
            return None
        graphene_type = getattr(graphql_type, "graphene_type", None)
        if graphene_type is None:
            return None
        # Node.Field passes False as `only_type` for the generic `node(id:)` field.
        if only_type and graphene_type is not only_type:
            return None
        return graphene_type.get_node(info, pk)


def split_global_id(global_id: str) -> tuple[str | None, int | None]:
    """(type name, integer pk) of a global ID, or (None, None) when it is malformed or its pk
    is outside the range of the primary key columns (1 to MAX_ID)."""
    try:
        resolved = from_global_id(global_id)
        pk = int(resolved.id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None, None
    if not 1 <= pk <= MAX_ID:
        return None, None
    return resolved.type, pk


def decode_id(global_id: str | None, type_name: str) -> int | None:
    """The pk in a global ID of `type_name`, or None when it is malformed or of another type."""
    if global_id is None:
        return None
    found_type, pk = split_global_id(global_id)
    return pk if found_type == type_name else None


def input_id(global_id: str | None, type_name: str) -> int | None:
    """The pk of a global ID sent in a mutation's input, for the domain to look up.

    None when it was not given; 0 (which no row has) when it is malformed or of another type,
    so the domain answers NOT_FOUND exactly as for a missing row.
    """
    if global_id is None:
        return None
    return decode_id(global_id, type_name) or 0


def global_id(type_name: str, pk: int) -> str:
    """The global ID of an object."""
    return to_global_id(type_name, str(pk))


class CountableConnection(graphene.relay.Connection):
    """A Relay connection with `totalCount`, counted only when asked for."""

    class Meta:
        abstract = True

    total_count = graphene.Int(required=True, description="Items in the whole list, all pages.")

    @staticmethod
    async def resolve_total_count(root: Any, info: ResolveInfo) -> int:
        count = root.count
        return count if isinstance(count, int) else await count()


def page_size(first: int | None) -> int:
    """The page size for `first`: 20 by default, at most 100; a clear error otherwise."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0:
        raise ApiError("INVALID", "`first` must not be negative.")
    if first > MAX_PAGE_SIZE:
        raise ApiError("INVALID", f"`first` may be at most {MAX_PAGE_SIZE}.")
    return first


def check_list_length(values: Sequence[Any] | None, name: str, limit: int = MAX_PAGE_SIZE) -> None:
    """A top-level INVALID error when the list argument `name` has more than `limit` items."""
    if values is not None and len(values) > limit:
        raise ApiError("INVALID", f"{name} may have at most {limit} items.")


def offset_cursor(offset: int) -> str:
    """Opaque cursor for the item at `offset`."""
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def cursor_offset(cursor: str | None) -> int:
    """The offset after the item the cursor points to (0 without a cursor); INVALID for a
    cursor this list did not give out, or one pointing before the start or past
    MAX_CURSOR_OFFSET."""
    if cursor is None:
        return 0
    try:
        kind, _, value = base64.b64decode(cursor, validate=True).decode().partition(":")
        offset = int(value) if kind == "offset" else -1
    except (binascii.Error, ValueError, UnicodeDecodeError):
        offset = -1
    if not 0 <= offset < MAX_CURSOR_OFFSET:
        raise ApiError("INVALID", "`after` is not a cursor this list gave out.")
    return offset + 1


def build_connection(
    connection_type: type[CountableConnection],
    items: Sequence[Any],
    *,
    start: int,
    has_next: bool,
    count: int | Callable[[], Awaitable[int]],
    cursors: Sequence[str] | None = None,
) -> CountableConnection:
    """A connection page of `items` that begin at offset `start`, with offset cursors unless
    the list has its own `cursors` (one per item)."""
    if cursors is None:
        cursors = [offset_cursor(start + index) for index in range(len(items))]
    edges = [
        connection_type.Edge(node=item, cursor=cursor)
        for item, cursor in zip(items, cursors, strict=True)
    ]
    connection = connection_type(
        edges=edges,
        page_info=graphene.relay.PageInfo(
            has_next_page=has_next,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
    connection.count = count
    return connection


async def paginate_queryset(
    connection_type: type[CountableConnection],
    queryset: QuerySet,
    row_type: type[Row],
    first: int | None,
    after: str | None,
) -> CountableConnection:
    """One page of an ordered queryset as plain rows of `row_type` (one statement; the count
    statement only if asked)."""
    limit = page_size(first)
    start = cursor_offset(after)
    rows = await queryset_rows(row_type, queryset.offset(start).limit(limit + 1))
    return build_connection(
        connection_type,
        rows[:limit],
        start=start,
        has_next=len(rows) > limit,
        count=queryset.count,
    )


def paginate_list(
    connection_type: type[CountableConnection],
    items: Sequence[Any],
    first: int | None,
    after: str | None,
) -> CountableConnection:
    """One page of an already loaded list (e.g. from a DataLoader)."""
    limit = page_size(first)
    start = cursor_offset(after)
    page = items[start : start + limit]
    return build_connection(
        connection_type,
        page,
        start=start,
        has_next=start + limit < len(items),
        count=len(items),
    )


def _included(selection: SelectionNode, info: ResolveInfo) -> bool:
    """False when `@skip(if: true)` or `@include(if: false)` leaves the selection out."""
    if not selection.directives:
        return True
    variables = info.variable_values
    skip = get_directive_values(GraphQLSkipDirective, selection, variables)
    if skip is not None and skip["if"]:
        return False
    include = get_directive_values(GraphQLIncludeDirective, selection, variables)
    return include is None or bool(include["if"])


def fields_of(selection_set: SelectionSetNode | None, info: ResolveInfo) -> list[FieldNode]:
    """The fields a selection set asks for, fragments spread out and `@skip`/`@include`
    honoured (every fragment counts, whatever its type condition)."""
    found: list[FieldNode] = []
    for selection in selection_set.selections if selection_set else ():
        if not _included(selection, info):
            continue
        if isinstance(selection, FieldNode):
            found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            found.extend(fields_of(selection.selection_set, info))
        elif isinstance(selection, FragmentSpreadNode):
            fragment = info.fragments.get(selection.name.value)
            if fragment is not None:
                found.extend(fields_of(fragment.selection_set, info))
    return found


def node_fields(info: ResolveInfo) -> list[FieldNode]:
    """The fields a connection's query asks of each `edges { node { … } }`."""
    found: list[FieldNode] = []
    for connection in info.field_nodes:
        for edges in fields_of(connection.selection_set, info):
            if edges.name.value == "edges":
                for node in fields_of(edges.selection_set, info):
                    if node.name.value == "node":
                        found.extend(fields_of(node.selection_set, info))
    return found
