"""Errors: typed mutation errors (UserError) and coded top-level errors (ApiError)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import graphene
from graphql import GraphQLError


class ErrorCode(graphene.Enum):
    """What kind of problem a UserError reports."""

    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    CONFLICT = "CONFLICT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    TOO_LARGE = "TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    RATE_LIMITED = "RATE_LIMITED"
    TOO_COMPLEX = "TOO_COMPLEX"
    UNAVAILABLE = "UNAVAILABLE"


class UserError(graphene.ObjectType):
    """Mutation problems the user can fix. Programming errors and auth failures on queries stay
    in top-level errors."""

    field = graphene.List(
        graphene.NonNull(graphene.String), description="Path of the input field at fault."
    )
    code = graphene.Field(ErrorCode, required=True, description="Kind of problem.")
    message = graphene.String(required=True, description="What is wrong, for people.")


@dataclass(frozen=True)
class Problem:
    """One user-fixable problem with a mutation's input."""

    code: str
    message: str
    field: tuple[str, ...] | None = None


class UserInputError(Exception):
    """Raised inside a mutation to roll it back and report problems as UserErrors."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)

    @classmethod
    def one(
        cls, code: str, message: str, field: Sequence[str] | str | None = None
    ) -> UserInputError:
        """A UserInputError with a single problem; `field` is the input path."""
        path = (field,) if isinstance(field, str) else (tuple(field) if field else None)
        return cls([Problem(code, message, path)])


class ProblemList:
    """Collects field-by-field problems, then raises them all at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, *field: str) -> None:
        """Record one problem at the input path `field`."""
        self.problems.append(Problem(code, message, tuple(field) or None))

    def raise_if_any(self) -> None:
        """Raise UserInputError when any problem was recorded."""
        if self.problems:
            raise UserInputError(self.problems)


class ApiError(GraphQLError):
    """A top-level GraphQL error carrying `extensions.code`, shown to clients as is."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, extensions={"code": code})


def errors_field() -> graphene.List:
    """The `errors` field every mutation payload has."""
    return graphene.List(
        graphene.NonNull(UserError),
        required=True,
        description="Problems that stopped the change; empty when it succeeded.",
    )
