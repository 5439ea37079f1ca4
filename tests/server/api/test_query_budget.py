"""Depth, aliases and worst-case cost of documents against the real schema."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLList, get_introspection_query, get_nullable_type, parse

from schema import build_schema
from schema.cost import LIST_BOUNDS, NARROWED_LIST_BOUNDS
from server.api.query_budget import (
    MAX_FRAGMENT_CHAIN,
    SATURATED,
    BudgetExceeded,
    DocumentMeasure,
    Limits,
    measure_document,
    operation_variables,
)

SCHEMA = build_schema().graphql_schema
OPEN = Limits(max_depth=100, max_aliases=10**9, max_cost=10**12)


def measure(query: str, variables: dict[str, Any] | None = None, limits: Limits = OPEN) -> Any:
    measured = DocumentMeasure(SCHEMA, parse(query), limits, variables)
    return measured.operation(measured.operations[0])


def fragment_bomb(levels: int, width: int, leaf: str = "__typename") -> str:
    """`levels` fragments, each spreading the next `width` times: width**levels at full size."""
    parts = ["query { ...F0 }"]
    for level in range(levels - 1):
        parts.append(f"fragment F{level} on Query {{ " + f"...F{level + 1} " * width + "}")
    parts.append(f"fragment F{levels - 1} on Query {{ {leaf} }}")
    return "\n".join(parts)


def test_each_field_counts_one_and_a_connection_multiplies_its_items() -> None:
    assert measure("{ me { id } }").cost == 2
    # projects(first: 5): the connection, its totalCount, then 5 × (edges, node, id, code).
    assert measure("{ projects(first: 5) { totalCount edges { node { id code } } } }").cost == (
        1 + 1 + 5 * 4
    )


def test_a_connection_without_first_counts_its_default_page() -> None:
    assert measure("{ projects { edges { node { id } } } }").cost == 1 + 20 * 3


def test_nested_connections_multiply() -> None:
    query = """{ projects(first: 100) { edges { node {
        milestones(first: 100) { edges { node { id title plannedDate } } } } } } }"""
    assert measure(query).cost == 1 + 100 * (2 + 1 + 100 * 5)


def test_plain_lists_count_at_their_declared_bound() -> None:
    query = "{ programmes { code } }"
    assert measure(query).cost == 1 + LIST_BOUNDS["Query.programmes"] * 1


def test_every_declared_bound_names_a_list_field_of_the_schema() -> None:
    for name in LIST_BOUNDS:
        type_name, field_name = name.split(".")
        field = SCHEMA.get_type(type_name).fields[field_name]
        assert isinstance(get_nullable_type(field.type), GraphQLList), name


def test_nodes_counts_its_ids() -> None:
    assert measure('{ nodes(ids: ["a", "b", "c"]) { id } }').cost == 1 + 3 * 1
    query = "query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    assert measure(query, {"ids": ["a"] * 7}).cost == 1 + 7


def test_variable_page_sizes_use_the_request_and_the_worst_case_without_it() -> None:
    query = "query Q($n: Int) { projects(first: $n) { edges { node { id } } } }"
    assert measure(query, {"n": 5}).cost == 1 + 5 * 3
    assert measure(query, {}).cost == 1 + 20 * 3
    assert measure(query, {"n": 10**9}).cost == 1 + 100 * 3
    assert measure(query, {"n": -4}).cost == 1
    worst = DocumentMeasure(SCHEMA, parse(query), OPEN)
    assert worst.operation(worst.operations[0]).cost == 1 + 100 * 3
    assert worst.variable_sized


def test_a_fragment_counts_at_every_spread_and_is_measured_once() -> None:
    query = fragment_bomb(levels=10, width=6)
    measured = DocumentMeasure(SCHEMA, parse(query), OPEN)
    figures = measured.operation(measured.operations[0])
    assert figures.cost == 6**9
    # Each selection node is visited once whatever the spreads multiply.
    selections = query.count("...") + query.count("__typename")
    assert measured.nodes_visited <= 2 * selections


def test_the_fragment_bomb_is_refused_with_its_cost() -> None:
    with pytest.raises(BudgetExceeded) as refused:
        measure(fragment_bomb(10, 6), limits=Limits(12, 30, 50_000))
    assert refused.value.code == "TOO_COMPLEX"
    assert refused.value.extensions == {"code": "TOO_COMPLEX", "cost": 6**9, "limit": 50_000}


def test_figures_saturate_instead_of_growing_without_bound() -> None:
    with pytest.raises(BudgetExceeded) as refused:
        measure(fragment_bomb(levels=30, width=9))
    assert refused.value.extensions["cost"] == SATURATED
    assert "more than 1000000000000" in refused.value.message


def test_aliases_count_at_every_spread() -> None:
    query = fragment_bomb(levels=3, width=4, leaf="a: __typename")
    assert measure(query).aliases == 4**2
    with pytest.raises(BudgetExceeded) as refused:
        measure(query, limits=Limits(12, 10, 10**9))
    assert refused.value.code == "LIMIT"


def test_fragment_cycles_are_refused_before_any_walk() -> None:
    query = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
    with pytest.raises(BudgetExceeded, match="within itself"):
        measure(query)


def test_long_fragment_chains_are_refused() -> None:
    chain = MAX_FRAGMENT_CHAIN + 2
    with pytest.raises(BudgetExceeded, match="more than"):
        measure(fragment_bomb(levels=chain, width=1))
    assert measure(fragment_bomb(levels=MAX_FRAGMENT_CHAIN, width=1)).cost == 1


def test_depth_counts_selection_levels_through_fragments() -> None:
    assert measure("{ me { id } }").depth == 2
    query = "{ me { ...P } } fragment P on User { projects { edges { node { id } } } }"
    assert measure(query).depth == 5
    with pytest.raises(BudgetExceeded, match="depth limit"):
        measure(query, limits=Limits(4, 30, 10**9))


def test_introspection_counts_the_fields_it_answers() -> None:
    named = sum(1 for _ in SCHEMA.type_map)
    assert measure("{ __schema { types { name } } }").cost == 1 + 1 + named
    graphiql = measure(get_introspection_query(descriptions=True)).cost
    assert 1_000 < graphiql < 50_000


def test_thirty_deep_schema_walks_are_refused() -> None:
    walk = "types { fields { type { fields { type { fields { name } } } } } }"
    query = "{ " + " ".join(f"s{i}: __schema {{ {walk} }}" for i in range(30)) + " }"
    with pytest.raises(BudgetExceeded) as refused:
        measure(query, limits=Limits(12, 30, 50_000))
    assert refused.value.code == "TOO_COMPLEX"


def test_introspection_work_stops_at_the_limit() -> None:
    walk = "types { fields { type { fields { type { fields { type { name } } } } } } }"
    document = parse(f"{{ __schema {{ {walk} }} }}")
    measured = DocumentMeasure(SCHEMA, document, Limits(12, 30, 1_000))
    with pytest.raises(BudgetExceeded):
        measured.operation(measured.operations[0])
    assert measured.introspection.steps <= 1_001


def test_introspection_work_counts_every_field_visited_not_only_new_pairs() -> None:
    repeated = " ".join(["fields { name }"] * 1_200)
    document = parse(f"{{ __schema {{ types {{ {repeated} }} }} }}")
    measured = measure_document(SCHEMA, document, Limits(12, 30, 50_000))
    with pytest.raises(BudgetExceeded) as refused:
        measured.operation(measured.operations[0])
    assert refused.value.code == "TOO_COMPLEX"
    assert "more than 50000" in refused.value.message


def test_a_document_past_the_limit_without_introspection_is_refused_before_walking_it() -> None:
    walk = "__schema { types { fields { type { fields { name } } } } }"
    document = parse(fragment_bomb(levels=8, width=6, leaf=walk))
    cheap = DocumentMeasure(SCHEMA, document, Limits(12, 30, 50_000), exact_introspection=False)
    with pytest.raises(BudgetExceeded):
        cheap.operation(cheap.operations[0])
    assert cheap.introspection.memo == {}
    with pytest.raises(BudgetExceeded):
        measure_document(SCHEMA, document, Limits(12, 30, 50_000))


def test_copies_of_one_introspection_selection_are_walked_once() -> None:
    walk = "types { name fields { name type { name } } }"
    one = measure_document(SCHEMA, parse(f"{{ __schema {{ {walk} }} }}"), OPEN)
    query = "{ " + " ".join(f"s{i}: __schema {{ {walk} }}" for i in range(3)) + " }"
    three = measure_document(SCHEMA, parse(query), OPEN)
    single = one.operation(one.operations[0]).cost
    assert three.operation(three.operations[0]).cost == 3 * single
    assert len(three.introspection.memo) == len(one.introspection.memo)


def measure_operation(query: str, name: str | None, variables: dict[str, Any]) -> int:
    """The cost of the named operation with the values its variables will run with."""
    document = parse(query)
    operation = next(
        d
        for d in document.definitions
        if getattr(d, "operation", None) and (d.name.value if d.name else None) == name
    )
    measured = measure_document(SCHEMA, document, OPEN, operation_variables(operation, variables))
    return measured.operation(operation).cost


PAGE = "projects(first: $n) { edges { node { id } } }"


def test_an_explicit_null_costs_the_default_page_not_the_variables_default() -> None:
    query = f"query A($n: Int = 0) {{ {PAGE} }}"
    assert measure_operation(query, "A", {"n": None}) == 1 + 20 * 3
    assert measure_operation(query, "A", {}) == 1


def test_each_operation_is_costed_with_its_own_variable_defaults() -> None:
    query = f"query A($n: Int = 100) {{ {PAGE} }} query B($n: Int = 0) {{ {PAGE} }}"
    assert measure_operation(query, "A", {}) == 1 + 100 * 3
    assert measure_operation(query, "B", {}) == 1


def test_a_narrowing_argument_counts_the_smaller_bound() -> None:
    assert measure("{ programmes { code } }").cost == 1 + LIST_BOUNDS["Query.programmes"]
    year = NARROWED_LIST_BOUNDS["Query.programmes"]
    assert measure("{ programmes(year: 2020) { code } }").cost == 1 + year[1]
    assert (
        measure("{ programmes(year: null) { code } }").cost == 1 + LIST_BOUNDS["Query.programmes"]
    )
    query = "query Q($y: Int) { programmes(year: $y) { code } }"
    assert measure(query, {"y": 2020}).cost == 1 + year[1]
    assert measure(query, {"y": None}).cost == 1 + LIST_BOUNDS["Query.programmes"]
