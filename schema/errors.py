"""How refusals reach clients: typed mutation errors (UserError) and coded top-level errors.

The domain refuses with `server.domain.errors.Refused`; the mutation wrapper turns it into
UserErrors, and query resolvers raise ApiError for the top-level `errors`.
"""

from __future__ import annotations

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
    PASSWORD_CHANGE_REQUIRED = "PASSWORD_CHANGE_REQUIRED"


class UserError(graphene.ObjectType):
    """Mutation problems the user can fix. Programming errors and auth failures on queries stay
    in top-level errors."""

    field = graphene.List(
        graphene.NonNull(graphene.String), description="Path of the input field at fault."
    )
    code = graphene.Field(ErrorCode, required=True, description="Kind of problem.")
    message = graphene.String(required=True, description="What is wrong, for people.")


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
