"""The document cache and its limits, on a small recursive schema."""

from __future__ import annotations

import graphene
from graphql import OperationDefinitionNode, get_introspection_query

from schema import build_schema
from server.api.documents import DocumentCache
from server.settings import Settings


class Folder(graphene.ObjectType):
    """A folder that holds folders, to nest queries at will."""

    name = graphene.String()
    child = graphene.Field(lambda: Folder)


class Query(graphene.ObjectType):
    """Root of the test schema."""

    root = graphene.Field(Folder)


def make_cache(**overrides: int) -> DocumentCache:
    settings = Settings.from_env({}, secret_key="k", **overrides)
    return DocumentCache(graphene.Schema(query=Query).graphql_schema, settings)


def nested(levels: int) -> str:
    """A query whose selection sets nest `levels` deep."""
    return "{ root " + "{ child " * (levels - 2) + "{ name }" + " }" * (levels - 2) + " }"


def test_depth_at_the_limit_passes_and_past_it_fails() -> None:
    cache = make_cache(max_query_depth=12)
    assert cache.prepare(nested(12)).errors == ()
    errors = cache.prepare(nested(13)).errors
    assert "depth limit" in errors[0].message


def test_depth_counts_through_fragments() -> None:
    cache = make_cache(max_query_depth=4)
    query = "{ root { ...F } } fragment F on Folder { child { child { child { name } } } }"
    assert "depth limit" in cache.prepare(query).errors[0].message


def test_introspection_is_not_held_to_the_depth_limit() -> None:
    cache = make_cache(max_query_depth=5)
    assert cache.prepare(get_introspection_query()).errors == ()


def test_aliases_are_counted_inside_introspection_too() -> None:
    cache = make_cache(max_aliases=2)
    query = "{ __schema { a: types { name } b: types { name } c: types { name } } }"
    assert "alias limit" in cache.prepare(query).errors[0].message


def test_a_document_is_validated_once_and_evicted_least_recently_used() -> None:
    cache = make_cache(document_cache_size=2)
    for source in ("{ root { name } }", "{ root { name } }", "{ r: root { name } }"):
        cache.prepare(source)
    assert cache.validations == 2
    cache.prepare("{ root { child { name } } }")  # evicts the oldest entry
    cache.prepare("{ root { name } }")
    assert cache.validations == 4


def test_syntax_errors_are_reported_not_raised() -> None:
    errors = make_cache().prepare("{ root {").errors
    assert errors and "Syntax Error" in errors[0].message


def test_variable_sized_figures_are_measured_once_per_variable_values() -> None:
    settings = Settings.from_env({}, secret_key="k")
    cache = DocumentCache(build_schema().graphql_schema, settings)
    source = (
        "query($n: Int, $ids: [ID!]!) { projects(first: $n) { edges { node { code } } }"
        " nodes(ids: $ids) { id } }"
    )
    prepared = cache.prepare(source)
    operation = prepared.document.definitions[0]  # type: ignore[union-attr]
    assert isinstance(operation, OperationDefinitionNode)

    five = cache.budget(prepared, operation, {"n": 5, "ids": "x"})
    measured = cache.measured_nodes
    assert cache.budget(prepared, operation, {"n": 5, "ids": "x"}) == five
    assert cache.measured_nodes == measured  # the same values: not measured again

    fifty = cache.budget(prepared, operation, {"n": 50, "ids": "x"})
    assert fifty.cost > five.cost and cache.measured_nodes > measured
    measured = cache.measured_nodes
    one = cache.budget(prepared, operation, {"n": 5, "ids": ["a"]})
    measured = cache.measured_nodes
    three = cache.budget(prepared, operation, {"n": 5, "ids": ["a", "b", "c"]})
    assert three.cost > one.cost  # `nodes(ids:)` counts its ids
    assert cache.measured_nodes > measured  # a list value is not kept as a key: measured again
