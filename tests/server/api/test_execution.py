"""The short path for plain leaf fields answers exactly what graphql-core's own path answers."""

from __future__ import annotations

import datetime as dt
import enum
import gc
import inspect
import warnings
from types import SimpleNamespace
from typing import Any

import graphene
import pytest
from graphql import ExecutionContext as CoreExecutionContext
from graphql import execute, parse

from schema.relay import Node
from schema.scalars import Date
from server.api.execution import ExecutionContext, leaf_plan


class Colour(enum.Enum):
    RED = "RED"
    GREEN = "GREEN"


class Thing(graphene.ObjectType):
    class Meta:
        interfaces = (Node,)

    title = graphene.String(required=True)
    note = graphene.String()
    count = graphene.Int()
    due = Date()
    colour = graphene.Enum.from_enum(Colour)()
    must = graphene.String(required=True)
    shout = graphene.String()
    fails = graphene.String()
    never = graphene.String(required=True)
    later = graphene.String()
    hands_back_a_coroutine = graphene.String()

    @staticmethod
    def resolve_shout(root: Any, info: Any) -> str:
        return root.title.upper()

    @staticmethod
    def resolve_fails(root: Any, info: Any) -> str:
        raise ValueError("no such thing")

    @staticmethod
    def resolve_never(root: Any, info: Any) -> None:
        return None

    @staticmethod
    async def resolve_later(root: Any, info: Any) -> str:
        return "later"

    @staticmethod
    def resolve_hands_back_a_coroutine(root: Any, info: Any) -> Any:
        return Thing.resolve_later(root, info)


class Query(graphene.ObjectType):
    things = graphene.List(graphene.NonNull(Thing))
    thing = graphene.Field(Thing)

    @staticmethod
    def resolve_things(root: Any, info: Any) -> list[Any]:
        return [
            SimpleNamespace(
                id=1, title="桩基", note=None, count=3, due=dt.date(2020, 3, 1), colour=Colour.RED
            ),
            {"id": 2, "title": "主体", "note": "封顶", "count": 0, "colour": Colour.GREEN},
        ]

    @staticmethod
    def resolve_thing(root: Any, info: Any) -> Any:
        return SimpleNamespace(id=3, title="x", count="many", must=None)


SCHEMA = graphene.Schema(query=Query, types=[Thing]).graphql_schema


def run(query: str, context_class: type[CoreExecutionContext]) -> tuple[Any, list[Any]]:
    result = execute(SCHEMA, parse(query), execution_context_class=context_class)
    assert not isinstance(result, dict) and hasattr(result, "data")
    return result.data, [e.formatted for e in result.errors or []]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "query",
    [
        "{ things { id title note count due colour shout } }",
        "{ things { ...F title } } fragment F on Thing { title note }",
        "{ thing { id title } }",
        "{ thing { count } }",  # an Int that cannot be serialised: the same error, same path
        "{ thing { must } }",  # null in a non-null field: the same error, parent nulled
        "{ things { due } }",  # a missing attribute falls back to the field's default (null)
        "{ things { title fails } }",  # a resolver's exception: the same error, same path
        "{ thing { title never } }",  # a resolver's null in a non-null field
    ],
)
def test_answers_and_errors_match_graphql_core(query: str) -> None:
    assert run(query, ExecutionContext) == run(query, CoreExecutionContext)


async def test_awaitable_answers_go_the_long_way() -> None:
    query = parse("{ things { later handsBackACoroutine } }")
    for context_class in (ExecutionContext, CoreExecutionContext):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = execute(SCHEMA, query, execution_context_class=context_class)
            assert inspect.isawaitable(result)
            done = await result  # type: ignore[misc]
            gc.collect()  # a coroutine dropped unawaited would warn here
        assert done.errors is None
        assert done.data == {"things": [{"later": "later", "handsBackACoroutine": "later"}] * 2}
        assert not [w for w in caught if "never awaited" in str(w.message)]


def test_plans_cover_plain_leaves_and_global_ids_only() -> None:
    thing = SCHEMA.type_map["Thing"]
    query = SCHEMA.type_map["Query"]
    title = leaf_plan(thing, "title")  # type: ignore[arg-type]
    assert title is not None and (title.attname, title.nullable) == ("title", False)
    global_id = leaf_plan(thing, "id")  # type: ignore[arg-type]
    assert global_id is not None and global_id.global_type_name == "Thing"
    shout = leaf_plan(thing, "shout")  # its own synchronous resolver
    assert shout is not None and shout.resolve is not None
    assert leaf_plan(thing, "later") is None  # an async resolver
    assert leaf_plan(query, "things") is None  # not a leaf
    assert leaf_plan(thing, "nope") is None


def test_plain_leaves_skip_the_long_path() -> None:
    long_path: list[str] = []

    class Recording(ExecutionContext):
        def build_resolve_info(self, field_def: Any, field_nodes: Any, *args: Any) -> Any:
            long_path.append(field_nodes[0].name.value)
            return super().build_resolve_info(field_def, field_nodes, *args)

    run("{ things { id title note count due colour } }", Recording)
    assert sorted(set(long_path)) == ["things"]
