"""Introspection counted exactly by walking the schema, its work capped by the cost limit."""

from __future__ import annotations

import pytest
from graphql import get_introspection_query, parse

from server.api.query_budget import BudgetExceeded, DocumentMeasure, Limits, measure_document
from tests.server.api.query_budget.measuring import OPEN, SCHEMA, fragment_bomb, measure


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
