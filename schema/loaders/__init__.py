"""Per-request DataLoaders: the generic kinds here, one module per domain beside them.

Loaders import only the domain (`server.domain`) and this package, never a schema type,
so every domain's types can use every domain's loaders without an import cycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from aiodataloader import DataLoader
from graphql.pyutils import is_awaitable
from tortoise.models import Model

from schema.context import RequestContext
from server.domain.rawsql import rows_by_id
from server.domain.reads import children_of, linked_rows

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


class ByLinkLoader(DataLoader):
    """The rows each project is linked to through a many-to-many relation (key: project id).

    A subclass names the project's `relation` (such as "programmes"), the `target` model and
    the `order_by` of each list; two statements per batch.
    """

    relation: ClassVar[str]
    target: ClassVar[type[Model]]
    order_by: ClassVar[tuple[str, ...]] = ("id",)

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[list[Any]]:
        project_ids = list(project_ids)
        found = await linked_rows(project_ids, self.relation, self.target, self.order_by)
        return [found.get(pid, []) for pid in project_ids]


def then(value_or_awaitable: T | Any, use: Callable[[T], R]) -> R | Any:
    """`use(value)` now when `value_or_awaitable` is a value, or an awaitable of it later."""
    if not is_awaitable(value_or_awaitable):
        return use(value_or_awaitable)

    async def later() -> R:
        return use(await value_or_awaitable)

    return later()


class ByIdLoader(DataLoader):
    """Loads rows of `model` by primary key in one query per batch."""

    model: ClassVar[type[Model]]

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, keys: Iterable[int]) -> list[Any]:
        keys = list(keys)
        rows = await rows_by_id(self.model, keys)
        by_id = {row.pk: row for row in rows}
        return [by_id.get(key) for key in keys]


class ByParentLoader(DataLoader):
    """The children of each parent (key: parent id), in one statement per batch.

    A subclass names the child `model`, its `parent_field` (a column holding the parent's
    id, such as "project_id") and the `order_by` of each parent's list.
    """

    model: ClassVar[type[Model]]
    parent_field: ClassVar[str]
    order_by: ClassVar[tuple[str, ...]] = ("id",)

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, parent_ids: Iterable[int]) -> list[list[Any]]:
        parent_ids = list(parent_ids)
        found = await children_of(self.model, self.parent_field, parent_ids, self.order_by)
        return [found.get(pid, []) for pid in parent_ids]
