"""The documents of the budget rows: hostile fragment bombs, their baseline, a huge JSON body.

Every request's text differs (the letters of its fragment names spell the request's number,
at the attack's length) so the server's document cache answers none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

FRAGMENTS = 10
SPREADS = 6
PROBE = "{ __typename }"
# A deep introspection walk: what GraphiQL's own query does, nested further through types.
SCHEMA_WALK = (
    "__schema { types { name fields { name args { name type { name ofType { name ofType"
    " { name } } } } type { name fields { name type { name ofType { name } } } } } } }"
)
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def tag(number: int, width: int = 3) -> str:
    """A GraphQL name of letters only, distinct for every number below 52**width."""
    letters = []
    for _ in range(width):
        number, digit = divmod(number, len(_LETTERS))
        letters.append(_LETTERS[digit])
    if number:
        raise ValueError("tag number out of range")
    return "".join(reversed(letters))


def fragment_names(number: int, count: int = FRAGMENTS) -> list[str]:
    """Two-character names `<letter><level>`, the letters spelling `number` in base 52.

    Every number below 52**count gives different names at the length of `F0` ... `F9`, so
    each request's document is new to the server's cache and no longer than the attack's.
    """
    names = []
    for level in range(count):
        number, digit = divmod(number, len(_LETTERS))
        names.append(f"{_LETTERS[digit]}{level}")
    if number:
        raise ValueError("document number out of range")
    return names


def fragment_bomb(
    number: int = 0,
    *,
    leaf: str = "__typename",
    alias: bool = False,
    fragments: int = FRAGMENTS,
    spreads: int = SPREADS,
) -> str:
    """An anonymous query whose fragments each spread the next `spreads` times.

    `number` picks the fragment names (see fragment_names), so the text differs per number
    while the shape stays; with `alias`, every fragment selects `a: __typename` too. Expanded
    naively it holds spreads**(fragments - 1) copies of the leaf.
    """
    names = fragment_names(number, fragments)
    lines = [f"query {{ ...{names[0]} }}"]
    for level, name in enumerate(names):
        parts = ["a: __typename"] if alias else []
        if level + 1 < fragments:
            parts += [f"...{names[level + 1]}"] * spreads
        elif not alias or leaf != "__typename":
            parts.append(leaf)
        lines.append(f"fragment {name} on Query {{ {' '.join(parts)} }}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Variant:
    """One hostile document shape; `document(n)` is its n-th distinct text."""

    name: str
    document: Callable[[int], str]


VARIANTS = (
    Variant("spreads", fragment_bomb),
    Variant("aliases", lambda number: fragment_bomb(number, alias=True)),
    Variant("__schema", lambda number: fragment_bomb(number, leaf=SCHEMA_WALK)),
)


def baseline_document(number: int) -> str:
    """`{ __typename }` under an alias of its own, so it is parsed and validated every time."""
    return f"{{ a{tag(number)}: __typename }}"


def json_body_chunks(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A valid JSON GraphQL body of exactly `total` bytes, in chunks (one block reused)."""
    head = b'{"query": "{ __typename }", "variables": {"pad": "'
    tail = b'"}}'
    pad = total - len(head) - len(tail)
    if pad < 0:
        raise ValueError("body too small")
    yield head
    block = b"x" * chunk
    full, rest = divmod(pad, chunk)
    for _ in range(full):
        yield block
    if rest:
        yield block[:rest]
    yield tail
