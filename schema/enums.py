"""GraphQL enums made from the domain's Python enums, with a description on every value."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

import graphene


def described_enum(
    enum: type[Enum],
    description: str,
    values: Mapping[str, str],
    deprecated: Mapping[str, str] | None = None,
) -> type[graphene.Enum]:
    """The graphene enum of `enum`, described as a whole and value by value.

    `values` maps every member's name to its description; a member left out (or a name that
    is not a member) fails at import, so a value added to the domain cannot reach the schema
    undescribed. `deprecated` maps the names of deprecated members to the reason, which
    should name the replacement (see the README's deprecation policy).
    """
    names = set(enum.__members__)
    if names != set(values):
        raise ValueError(
            f"{enum.__name__}: describe exactly its members; "
            f"missing {sorted(names - set(values))}, unknown {sorted(set(values) - names)}"
        )

    reasons = dict(deprecated or {})
    if not set(reasons) <= names:
        raise ValueError(f"{enum.__name__}: cannot deprecate {sorted(set(reasons) - names)}")

    def describe(member: Enum | None) -> str:
        return description if member is None else values[member.name]

    def deprecation(member: Enum) -> str | None:
        return reasons.get(member.name)

    return graphene.Enum.from_enum(enum, description=describe, deprecation_reason=deprecation)
