"""Declared permissions: the check of a declared role set (the sets live in the access module)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from graphene import ResolveInfo

from schema.errors import ApiError
from server.domain.models import Role, User

ResultT = TypeVar("ResultT")


def check_permission(user: User | None, roles: Iterable[Role] | None) -> str | None:
    """The error code that refuses `user` an operation declared for `roles`, or None.

    `roles=None` declares a public operation; anything else needs a signed-in user of one of
    the roles (UNAUTHENTICATED without a user, FORBIDDEN with the wrong role).
    """
    if roles is None:
        return None
    if user is None:
        return "UNAUTHENTICATED"
    if user.role not in frozenset(roles):
        return "FORBIDDEN"
    return None


def viewer(info: ResolveInfo) -> User:
    """The signed-in user of the request; a top-level UNAUTHENTICATED error otherwise."""
    user = info.context.user
    if user is None:
        raise ApiError("UNAUTHENTICATED", "Sign in first: send Authorization: Bearer <token>.")
    return user


def requires(
    roles: Iterable[Role],
) -> Callable[[Callable[..., Awaitable[ResultT]]], Callable[..., Awaitable[ResultT]]]:
    """Declare the roles that may call a query resolver; others get a top-level error."""
    allowed = frozenset(roles)

    def decorate(resolver: Callable[..., Awaitable[ResultT]]) -> Callable[..., Awaitable[ResultT]]:
        @functools.wraps(resolver)
        async def guarded(root: Any, info: ResolveInfo, **kwargs: Any) -> ResultT:
            code = check_permission(info.context.user, allowed)
            if code == "UNAUTHENTICATED":
                viewer(info)
            if code is not None:
                raise ApiError(code, "Your role may not do this.")
            return await resolver(root, info, **kwargs)

        guarded.allowed_roles = allowed  # type: ignore[attr-defined]
        return guarded

    return decorate
