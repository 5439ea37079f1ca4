"""The short completion of leaf fields answers exactly what graphql-core's own path answers."""

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
from server.api.execution import ExecutionContext


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
    fails_later = graphene.String(required=True)
    hands_back_a_coroutine = graphene.String()
    hands_back_an_error = graphene.String(required=True)

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
    async def resolve_fails_later(root: Any, info: Any) -> str:
        raise ValueError("not now")

    @staticmethod
    def resolve_hands_back_an_error(root: Any, info: Any) -> Exception:
        return ValueError("handed back")

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
        "{ thing { __typename title } things { __typename } }",  # meta fields: graphql-core's
        "{ things { title handsBackAnError } }",  # an exception returned, not raised
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


async def test_awaitable_errors_are_located_as_graphql_core_locates_them() -> None:
    query = parse("{ thing { failsLater } things { failsLater } }")
    answers = []
    for context_class in (ExecutionContext, CoreExecutionContext):
        result = execute(SCHEMA, query, execution_context_class=context_class)
        done = await result  # type: ignore[misc]
        answers.append((done.data, [e.formatted for e in done.errors or []]))
    assert answers[0] == answers[1]
    assert answers[0][1][0]["path"] == ["thing", "failsLater"]


def test_leaves_skip_the_generic_completion() -> None:
    completed: list[str] = []

    class Recording(ExecutionContext):
        def complete_value(self, return_type: Any, field_nodes: Any, info: Any, *args: Any) -> Any:
            completed.append(info.field_name)
            return super().complete_value(return_type, field_nodes, info, *args)

    run("{ things { id title note count due colour shout } }", Recording)
    assert sorted(set(completed)) == ["things"]
