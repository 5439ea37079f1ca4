"""The limits a document is measured against, the refusals past them, and saturating sums."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SATURATED = 1 << 62
"""Figures stop growing here: a document past every limit needs no exact count."""

MAX_FRAGMENT_CHAIN = 32
"""Deepest chain of fragments spreading fragments (GraphiQL's own query nests three)."""

MAX_INTROSPECTION_DEPTH = 32
"""Deepest nesting counting introspection (GraphiQL's own query nests about 15)."""


@dataclass(frozen=True)
class Limits:
    """The most a document may ask for."""

    max_depth: int
    max_aliases: int
    max_cost: int


class BudgetExceeded(Exception):
    """A document goes past a limit; `code` and `extensions` say which and by how much."""

    def __init__(self, code: str, message: str, **figures: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extensions: dict[str, Any] = {"code": code, **figures}


def add(a: int, b: int) -> int:
    """a + b, saturating."""
    return min(a + b, SATURATED)


def times(a: int, b: int) -> int:
    """a * b, saturating."""
    return min(a * b, SATURATED)


def too_deep(what: str, depth: int, limit: int = MAX_INTROSPECTION_DEPTH) -> BudgetExceeded:
    """The refusal of a selection nested `depth` levels, past `limit`."""
    return BudgetExceeded(
        "LIMIT",
        f"{what} is nested deeper than {limit} levels (depth limit).",
        depth=depth,
        limit=limit,
    )


def too_many_aliases(aliases: int, limit: int) -> BudgetExceeded:
    """The refusal of an operation with more aliases than the limit."""
    return BudgetExceeded(
        "LIMIT",
        f"Query uses more than {limit} aliases (alias limit).",
        aliases=aliases,
        limit=limit,
    )


def too_long_a_chain() -> BudgetExceeded:
    """The refusal of fragments spreading fragments past MAX_FRAGMENT_CHAIN."""
    return BudgetExceeded(
        "LIMIT", f"Fragments spread fragments more than {MAX_FRAGMENT_CHAIN} deep."
    )


def too_complex(cost: int, limit: int) -> BudgetExceeded:
    """The refusal of a document whose worst-case answer is larger than the limit."""
    shown = f"more than {limit}" if cost >= SATURATED else str(cost)
    return BudgetExceeded(
        "TOO_COMPLEX",
        f"Query could answer {shown} fields; the limit is {limit}. Ask for fewer items per "
        "page (`first`) or fewer nested lists.",
        cost=min(cost, SATURATED),
        limit=limit,
    )
