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
    SYNC_TOKEN_EXPIRED = "SYNC_TOKEN_EXPIRED"

    @property
    def description(self) -> str:
        """What the value means, for the printed schema."""
        return _ERROR_CODES[self.name]


_ERROR_CODES = {
    "INVALID": "The input is not acceptable; `field` points at the culprit.",
    "NOT_FOUND": "No such object, or one the viewer may not see.",
    "FORBIDDEN": "The viewer's role may not do this.",
    "UNAUTHENTICATED": "Not signed in: send Authorization: Bearer <token>.",
    "CONFLICT": "Someone else changed the same thing at the same moment; retry.",
    "INVALID_TRANSITION": "The object's status does not allow this step.",
    "TOO_LARGE": "A file or value over its size limit; nothing was stored.",
    "UNSUPPORTED_MEDIA_TYPE": "A file whose content is not an accepted kind.",
    "RATE_LIMITED": "Too many attempts; wait and retry.",
    "TOO_COMPLEX": "The request is over its cost budget.",
    "UNAVAILABLE": "The database or storage is unreachable for now; retry later.",
    "PASSWORD_CHANGE_REQUIRED": "Change the password first (changePassword).",
    "SYNC_TOKEN_EXPIRED": "The sync token can no longer be answered: sync again without one.",
}


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
