"""List sizes from arguments and variables: pages, declared bounds, ids, variable defaults."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLList, get_nullable_type, parse

from schema.cost import LIST_BOUNDS, NARROWED_LIST_BOUNDS
from server.api.query_budget import DocumentMeasure, measure_document, operation_variables
from tests.server.api.query_budget.measuring import OPEN, SCHEMA, measure


def test_a_connection_without_first_counts_its_default_page() -> None:
    assert measure("{ projects { edges { node { id } } } }").cost == 1 + 20 * 3


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
