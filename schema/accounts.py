"""Accounts: the User type, `me`, `login` and `logout`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import graphene
from graphene import ResolveInfo

from schema.errors import errors_field
from schema.mutations import mutation
from schema.relay import Node
from schema.scalars import DateTime
from server.domain import accounts, audit, models
from server.domain.access import EVERYONE_SIGNED_IN
from server.domain.errors import Refused

Role = graphene.Enum.from_enum(models.Role, description="What a user does in the zone.")


class User(graphene.ObjectType):
    """A person who signs in."""

    class Meta:
        interfaces = (Node,)

    username = graphene.String(required=True, description="Sign-in name.")
    display_name = graphene.String(required=True, description="Name shown to others.")
    role = graphene.Field(Role, required=True, description="What the user does.")
    unit = graphene.String(description="The user's organisation or department.")
    projects = graphene.Field(
        "schema.projects.ProjectConnection",
        required=True,
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        description="The projects this user works on (runs the site of), by code.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> models.User | None:
        if info.context.user is None:
            return None
        return await models.User.get_or_none(pk=pk)

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, models.User)

    @staticmethod
    async def resolve_projects(
        root: models.User, info: ResolveInfo, first: int | None = None, after: str | None = None
    ) -> Any:
        from schema.projects import user_projects

        return await user_projects(info, root, first, after)


class LoginInput(graphene.InputObjectType):
    """Credentials of a sign-in."""

    username = graphene.String(required=True, description="Sign-in name.")
    password = graphene.String(required=True, description="Password.")
    device_name = graphene.String(description="Label for the token, e.g. the phone's name.")


class LoginPayload(graphene.ObjectType):
    """Result of `login`: a bearer token for `Authorization: Bearer <token>`."""

    token = graphene.String(description="The bearer token; shown only once.")
    expires_at = graphene.Field(DateTime, description="When the token stops working.")
    user = graphene.Field(User, description="Who signed in.")
    errors = errors_field()


class LogoutPayload(graphene.ObjectType):
    """Result of `logout`."""

    ok = graphene.Boolean(required=True, description="True when the token was revoked.")
    errors = errors_field()

    @staticmethod
    def resolve_ok(root: LogoutPayload, info: ResolveInfo) -> bool:
        return bool(root.ok)


class Queries:
    """Account queries."""

    me = graphene.Field(User, description="The signed-in user; null without a valid token.")

    @staticmethod
    def resolve_me(root: Any, info: ResolveInfo) -> models.User | None:
        return info.context.user


@dataclass(frozen=True)
class _CheckedLogin:
    """What `login` hands from its password check to its transaction."""

    user: models.User
    device_name: str | None


async def _check_credentials(info: ResolveInfo, user: models.User | None, input: Any) -> Any:
    """Throttle and verify before the transaction: hashing must not hold a connection.

    A refusal raised here keeps the failure it recorded (nothing is rolled back).
    """
    try:
        signed_in = await accounts.check_credentials(
            info.context.settings, input.username, input.password, info.context.client_address
        )
    except accounts.LoginRefused as refused:
        raise Refused(refused.code, refused.message) from None
    return _CheckedLogin(signed_in, input.device_name)


@mutation(
    LoginPayload,
    LoginInput,
    roles=None,
    description="Sign in and get a bearer token.",
    prepare=_check_credentials,
)
async def login(info: ResolveInfo, user: models.User | None, input: Any) -> dict[str, Any]:
    try:
        issued = await accounts.issue_token(info.context.settings, input.user, input.device_name)
    except accounts.LoginRefused as refused:
        raise Refused(refused.code, refused.message, ("input", "deviceName")) from None
    await audit.record(issued.user, "login", issued.user, after={"device_name": input.device_name})
    return {"token": issued.token, "expires_at": issued.expires_at, "user": issued.user}


@mutation(LogoutPayload, None, roles=EVERYONE_SIGNED_IN, description="Revoke the current token.")
async def logout(info: ResolveInfo, user: models.User | None, input: Any) -> dict[str, Any]:
    token = info.context.token
    if token is None or not await accounts.revoke(token):
        raise Refused("UNAUTHENTICATED", "No live token to revoke.")
    await audit.record(user, "logout", user, after={})
    return {"ok": True}


class Mutations:
    """Account mutations."""

    login = login
    logout = logout
