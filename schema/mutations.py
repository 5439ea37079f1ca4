"""The one wrapper every mutation goes through: permission, transaction, typed errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import graphene
from graphene import ResolveInfo
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schema.errors import UserError, errors_field
from schema.permissions import check_permission
from server.domain.errors import Problem, Refused
from server.domain.models import Role, User

MutationBody = Callable[[ResolveInfo, User | None, Any], Awaitable[dict[str, Any]]]
PrepareStep = Callable[[ResolveInfo, User | None, Any], Awaitable[Any]]

INPUT_DESCRIPTION = "What to do: see the input type's fields."

_REFUSALS = {
    "UNAUTHENTICATED": "Sign in first: send Authorization: Bearer <token>.",
    "FORBIDDEN": "Your role may not do this.",
}


def user_errors(problems: Iterable[Problem]) -> list[UserError]:
    """UserError objects for the payload's `errors` list."""
    return [
        UserError(code=p.code, message=p.message, field=list(p.field) if p.field else None)
        for p in problems
    ]


async def _run_in_transaction(
    body: MutationBody, info: ResolveInfo, user: User | None, input: Any
) -> dict[str, Any]:
    """Run the body in a transaction, once more if a concurrent request won a unique key.

    Two phones retrying the same upload or create at the same moment both look for the
    earlier result, find none, and insert; the database's unique constraint lets one commit.
    Run again, the loser finds the winner's row and answers with it. A second collision is
    reported as CONFLICT.
    """
    for attempt in range(2):
        try:
            async with in_transaction():
                return await body(info, user, input)
        except IntegrityError:
            if attempt == 1:
                raise Refused(
                    "CONFLICT", "Someone else made the same change at the same moment; retry."
                ) from None
    raise AssertionError("unreachable")


def mutation(
    payload: type[graphene.ObjectType],
    input_type: type[graphene.InputObjectType] | None,
    *,
    roles: Iterable[Role] | None,
    description: str,
    prepare: PrepareStep | None = None,
    current_field: str | None = None,
) -> Callable[[MutationBody], graphene.Field]:
    """Turn `body(info, user, input) -> payload fields` into a mutation field.

    `roles` declares who may call it (None: anyone). The body runs in one database
    transaction; raising Refused rolls it back and answers `errors` instead. When the
    refusal carries the object as it now stands (`Refused.current`: a CONFLICT over its
    version), the payload's `current_field` answers it beside the errors.

    `prepare(info, user, input) -> input`, when given, runs after the role check and before
    the transaction, for slow work that must not hold a database connection (decoding an
    uploaded photo, checking a password); it may raise Refused too, and what it
    wrote stays (the login throttle's count of failures).
    """
    allowed = None if roles is None else frozenset(roles)

    def decorate(body: MutationBody) -> graphene.Field:
        async def resolve(root: Any, info: ResolveInfo, input: Any = None) -> Any:
            user = info.context.user
            refusal = check_permission(user, allowed)
            if refusal is not None:
                return payload(errors=[UserError(code=refusal, message=_REFUSALS[refusal])])
            try:
                if prepare is not None:
                    input = await prepare(info, user, input)
                values = await _run_in_transaction(body, info, user, input)
            except Refused as exc:
                shown: dict[str, object] = {}
                if current_field is not None and exc.current is not None:
                    shown[current_field] = exc.current
                return payload(errors=user_errors(exc.problems), **shown)
            return payload(errors=[], **values)

        arguments = (
            {"input": graphene.Argument(input_type, required=True, description=INPUT_DESCRIPTION)}
            if input_type
            else {}
        )
        field = graphene.Field(
            payload, required=True, args=arguments, resolver=resolve, description=description
        )
        field.allowed_roles = allowed  # type: ignore[attr-defined]
        return field

    return decorate


class OkPayload(graphene.ObjectType):
    """Base of the payloads that only say whether the change was made (`ok`) or why not."""

    class Meta:
        abstract = True

    ok = graphene.Boolean(required=True, description="True when the change was made.")
    errors = errors_field()

    @staticmethod
    def resolve_ok(root: OkPayload, info: ResolveInfo) -> bool:
        return bool(root.ok)
