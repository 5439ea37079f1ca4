"""Depth, aliases and cost of documents: fields, connections, fragments and their limits."""

from __future__ import annotations

import pytest
from graphql import parse

from server.api.query_budget import (
    MAX_FRAGMENT_CHAIN,
    SATURATED,
    BudgetExceeded,
    DocumentMeasure,
    Limits,
)
from tests.server.api.query_budget.measuring import OPEN, SCHEMA, fragment_bomb, measure


def test_each_field_counts_one_and_a_connection_multiplies_its_items() -> None:
    assert measure("{ me { id } }").cost == 2
    # projects(first: 5): the connection, its totalCount, then 5 × (edges, node, id, code).
    assert measure("{ projects(first: 5) { totalCount edges { node { id code } } } }").cost == (
        1 + 1 + 5 * 4
    )


def test_nested_connections_multiply() -> None:
    query = """{ projects(first: 100) { edges { node {
        milestones(first: 100) { edges { node { id title plannedDate } } } } } } }"""
    assert measure(query).cost == 1 + 100 * (2 + 1 + 100 * 5)


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


def test_fragments_on_different_object_types_count_the_dearest_only() -> None:
    # nodes(ids: 2 ids): per node, `id` plus the dearest type's fragment (Project: 3 fields).
    both = """{ nodes(ids: ["a", "b"]) { id
        ... on Project { code name status }
        ... on Milestone { title } } }"""
    assert measure(both).cost == 1 + 2 * (1 + 3)
    # Two fragments on the same type both apply: they add up.
    same = """{ nodes(ids: ["a", "b"]) { id
        ... on Project { code } ... on Project { name status } } }"""
    assert measure(same).cost == 1 + 2 * (1 + 3)
    # A fragment on the interface itself applies to every node: it adds.
    common = """{ nodes(ids: ["a", "b"]) { ... on Node { id } ... on Milestone { title } } }"""
    assert measure(common).cost == 1 + 2 * (1 + 1)
