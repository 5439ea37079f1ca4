"""Per-request DataLoaders: the generic kinds here, one module per domain beside them.

Loaders import only the domain (`server.domain`) and this package, never a schema type,
so every domain's types can use every domain's loaders without an import cycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from aiodataloader import DataLoader
from graphql import FieldNode, GraphQLObjectType
from graphql.pyutils import is_awaitable

from schema.context import RequestContext
from server.domain.reads import children_of, linked_rows, rows_by_id
from server.domain.rows import Row

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
R = TypeVar("R")


class ReadyLoader(DataLoader):
    """A request's DataLoader whose finished values can be read without awaiting.

    A resolver that awaits a loader is a coroutine, and graphql-core runs every such field in
    a task of its own: on a page of 20 projects asking for health, ticket count, next
    milestone and milestones, that is most of the execution time. When a page prefetches
    those values (`load_many` on its ids before returning), `load_now` hands them back as
    plain values and the whole page completes synchronously.
    """

    def __init__(self, context: RequestContext) -> None:
        self.results: dict[Any, asyncio.Future[Any]] = {}
        super().__init__(cache_map=self.results)
        self.context = context

    def load_now(self, key: Any) -> Any:
        """The value for `key` when it is already loaded, otherwise the awaitable `load(key)`."""
        future = self.results.get(key)
        finished = future is not None and future.done() and not future.cancelled()
        if finished and future.exception() is None:  # type: ignore[union-attr]
            return future.result()  # type: ignore[union-attr]
        return self.load(key)


@dataclass(frozen=True, slots=True)
class PageLoad:
    """A ReadyLoader a field's resolver reads by its parent's id (see `page_loaded`)."""

    loader: type[ReadyLoader]
    applies: Callable[[FieldNode], bool] | None = None
    """Whether the field, as asked (its arguments), reads the loader; None: always."""


def page_loaded(
    loader: type[ReadyLoader], applies: Callable[[FieldNode], bool] | None = None
) -> Callable[[F], F]:
    """Declare, on a resolver, the loader it reads with `load_now(parent id)`.

    A page of parents asked for that field loads the loader for every parent at once before
    it returns (`page_loads`), so each parent's field completes without awaiting. The
    declaration sits on the resolver itself, so it cannot drift from what the resolver reads.
    """

    def declare(resolver: F) -> F:
        resolver.page_load = PageLoad(loader, applies)  # type: ignore[attr-defined]
        return resolver

    return declare


def page_loads(node_type: GraphQLObjectType, asked: Iterable[FieldNode]) -> set[type[ReadyLoader]]:
    """The loaders the resolvers of the `asked` fields of `node_type` declared (`page_loaded`)."""
    wanted: set[type[ReadyLoader]] = set()
    for node in asked:
        field = node_type.fields.get(node.name.value)
        declared = getattr(field.resolve, "page_load", None) if field is not None else None
        if declared is not None and (declared.applies is None or declared.applies(node)):
            wanted.add(declared.loader)
    return wanted


class ByLinkLoader(DataLoader):
    """The rows each project is linked to through a many-to-many table (key: project id).

    A subclass names the `through` table, its `column` holding the linked row's id, the
    `row` type and the `order_by` of each list; one statement per batch.
    """

    through: ClassVar[str]
    column: ClassVar[str]
    row: ClassVar[type[Row]]
    order_by: ClassVar[tuple[str, ...]] = ("id",)

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[list[Any]]:
        project_ids = list(project_ids)
        found = await linked_rows(project_ids, self.through, self.column, self.row, self.order_by)
        return [found.get(pid, []) for pid in project_ids]


def then(value_or_awaitable: T | Any, use: Callable[[T], R]) -> R | Any:
    """`use(value)` now when `value_or_awaitable` is a value, or an awaitable of it later."""
    if not is_awaitable(value_or_awaitable):
        return use(value_or_awaitable)

    async def later() -> R:
        return use(await value_or_awaitable)

    return later()


class ByIdLoader(DataLoader):
    """Rows of the `row` type by primary key, in one statement per batch."""

    row: ClassVar[type[Row]]

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, keys: Iterable[int]) -> list[Any]:
        keys = list(keys)
        by_id = await rows_by_id(self.row, keys)
        return [by_id.get(key) for key in keys]


class ByParentLoader(DataLoader):
    """The children of each parent (key: parent id), in one statement per batch.

    A subclass names the child `row` type, its `parent_field` (a column holding the parent's
    id, such as "project_id") and the `order_by` of each parent's list.
    """

    row: ClassVar[type[Row]]
    parent_field: ClassVar[str]
    order_by: ClassVar[tuple[str, ...]] = ("id",)

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, parent_ids: Iterable[int]) -> list[list[Any]]:
        parent_ids = list(parent_ids)
        found = await children_of(self.row, self.parent_field, parent_ids, self.order_by)
        return [found.get(pid, []) for pid in parent_ids]
