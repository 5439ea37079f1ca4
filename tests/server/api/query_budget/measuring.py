"""Measuring documents against the real schema, for the budget tests (and the hostile ones)."""

from __future__ import annotations

from typing import Any

from graphql import parse

from schema import build_schema
from server.api.query_budget import DocumentMeasure, Limits, OperationBudget

SCHEMA = build_schema().graphql_schema
OPEN = Limits(max_depth=100, max_aliases=10**9, max_cost=10**12)


def measure(
    query: str, variables: dict[str, Any] | None = None, limits: Limits = OPEN
) -> OperationBudget:
    """The figures of the document's first operation."""
    measured = DocumentMeasure(SCHEMA, parse(query), limits, variables)
    return measured.operation(measured.operations[0])


def fragment_bomb(levels: int, width: int, leaf: str = "__typename") -> str:
    """`levels` fragments, each spreading the next `width` times: width**levels at full size."""
    parts = ["query { ...F0 }"]
    for level in range(levels - 1):
        parts.append(f"fragment F{level} on Query {{ " + f"...F{level + 1} " * width + "}")
    parts.append(f"fragment F{levels - 1} on Query {{ {leaf} }}")
    return "\n".join(parts)
