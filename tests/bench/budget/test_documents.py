"""The hostile documents, their baseline and the streamed body of the budget rows."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
from graphql import FragmentDefinitionNode, FragmentSpreadNode, parse, validate

from bench.budget.documents import (
    SCHEMA_WALK,
    VARIANTS,
    baseline_document,
    fragment_bomb,
    fragment_names,
    json_body_chunks,
    tag,
)
from schema import build_schema


def _expanded_leaves(document: str) -> int:
    """How many times a naive walk reaches a fragment without spreads."""
    definitions = parse(document).definitions
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}

    @cache
    def leaves(name: str) -> int:
        spreads = [
            s.name.value
            for s in fragments[name].selection_set.selections
            if isinstance(s, FragmentSpreadNode)
        ]
        return sum(leaves(s) for s in spreads) if spreads else 1

    root = re.match(r"query \{ \.\.\.(\w+) \}", document)
    assert root is not None
    return leaves(root.group(1))


def test_the_attack_is_600_characters_of_ten_fragments_spread_six_times() -> None:
    document = fragment_bomb()
    lines = document.splitlines()
    assert len(document) == 600
    assert lines[0] == "query { ...a0 }"
    assert lines[1] == "fragment a0 on Query { " + "...a1 " * 6 + "}"
    assert lines[-1] == "fragment a9 on Query { __typename }"
    assert _expanded_leaves(document) == 6**9


def test_every_variant_is_valid_graphql_so_only_a_budget_can_refuse_it() -> None:
    schema = build_schema().graphql_schema
    for variant in VARIANTS:
        document = variant.document(1234)
        assert validate(schema, parse(document)) == [], variant.name
        assert _expanded_leaves(document) == 6**9
        assert len(document) < 800
    assert validate(schema, parse(baseline_document(77))) == []


def test_the_variants_have_aliases_and_a_schema_walk() -> None:
    spreads, aliases, walk = (variant.document(5) for variant in VARIANTS)
    assert "a:" not in spreads and "__schema" not in spreads
    fragments = aliases.splitlines()[1:]
    assert all(line.count("a: __typename") == 1 for line in fragments)
    assert walk.splitlines()[-1].endswith(f"{{ {SCHEMA_WALK} }}")


def test_each_request_sends_a_new_text_of_the_same_length() -> None:
    for variant in VARIANTS:
        texts = {variant.document(n) for n in range(0, 3000, 7)}
        assert len(texts) == len(range(0, 3000, 7))
        assert len({len(text) for text in texts}) == 1
    baselines = {baseline_document(n) for n in range(3000)}
    assert len(baselines) == 3000
    assert baseline_document(0) == "{ aaaa: __typename }"


def test_names_are_graphql_names_and_run_out_loudly() -> None:
    assert fragment_names(0) == [f"a{level}" for level in range(10)]
    assert fragment_names(53, 3) == ["b0", "b1", "a2"]
    assert all(re.fullmatch(r"[A-Za-z]+", tag(n)) for n in (0, 51, 52, 52**3 - 1))
    with pytest.raises(ValueError):
        tag(52**3)
    with pytest.raises(ValueError):
        fragment_names(52**2, 2)


@pytest.mark.parametrize("total", [60, 64 * 1024, 3 * 64 * 1024 + 17])
def test_the_streamed_body_is_exact_valid_json(total: int) -> None:
    chunks = list(json_body_chunks(total, chunk=64 * 1024))
    body = b"".join(chunks)
    assert len(body) == total
    assert max(len(chunk) for chunk in chunks) <= 64 * 1024
    assert json.loads(body)["query"] == "{ __typename }"
    with pytest.raises(ValueError):
        list(json_body_chunks(10))
