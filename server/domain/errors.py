"""The domain's one refusal: every rule that says no raises `Refused`, and nothing is written.

A refusal carries one or more problems, each with a code (INVALID, NOT_FOUND, FORBIDDEN,
CONFLICT, INVALID_TRANSITION, …), a message for people and the path of the input field at
fault (camelCase, as the client sent it). The schema's mutation wrapper turns it into the
payload's `errors` in one place; the command line prints it.

A CONFLICT over an object's version (optimistic concurrency: the client named the version it
saw, and the object has moved on) carries the object as it now stands in `current`, read
inside the refused transaction; the wrapper returns it in the payload next to the error, so
a phone that was offline can show what changed instead of overwriting it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

FieldPath = tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, at the input path `field` (None: the whole request)."""

    code: str
    message: str
    field: FieldPath | None = None


def field_path(field: Sequence[str] | str | None) -> FieldPath | None:
    """`field` as a path: a single name becomes a one-part path, empty becomes None."""
    if isinstance(field, str):
        return (field,)
    return tuple(field) if field else None


class Refused(Exception):
    """A change or a read was refused; nothing was written.

    `Refused(code, message, field)` reports one problem; `Refused.all(problems)` several.
    `current`, when given, is the object refused as it now stands (a row the schema can
    show, visible to the actor), for a CONFLICT over its version.
    """

    def __init__(
        self,
        code: str,
        message: str,
        field: Sequence[str] | str | None = None,
        *,
        current: object | None = None,
    ) -> None:
        super().__init__(message)
        self.problems: list[Problem] = [Problem(code, message, field_path(field))]
        self.current = current

    @classmethod
    def all(cls, problems: Sequence[Problem]) -> Refused:
        """One refusal reporting every problem in `problems` (at least one)."""
        first, *rest = problems
        refused = cls(first.code, first.message, first.field)
        refused.problems.extend(rest)
        refused.args = ("; ".join(p.message for p in problems),)
        return refused

    @property
    def code(self) -> str:
        """The first problem's code."""
        return self.problems[0].code

    @property
    def message(self) -> str:
        """Every problem's message, joined."""
        return str(self)

    @property
    def field(self) -> FieldPath | None:
        """The first problem's input path."""
        return self.problems[0].field


VERSION_FIELD: FieldPath = ("input", "expectedVersion")
"""Where writes under optimistic concurrency take the version the client saw."""


def stale_version(what: str, expected: int, actual: int, current: object) -> Refused:
    """CONFLICT: the client saw version `expected` of `what`, which is now at `actual`.

    Carries `current`, the object as it now stands, for the client to show.
    """
    return Refused(
        "CONFLICT",
        f"Someone changed the {what} since you saw it (your version {expected}, now "
        f"{actual}): here it is as it now stands; look and try again.",
        VERSION_FIELD,
        current=current,
    )


class Problems:
    """Collects field-by-field problems of one request, then refuses them all at once."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, code: str, message: str, *field: str) -> None:
        """Record one problem at the input path `field`."""
        self.found.append(Problem(code, message, tuple(field) or None))

    def extend(self, problems: Sequence[Problem]) -> None:
        """Record problems found elsewhere."""
        self.found.extend(problems)

    def raise_if_any(self) -> None:
        """Raise Refused with every recorded problem, if any."""
        if self.found:
            raise Refused.all(self.found)
