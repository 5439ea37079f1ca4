"""The account mutations: `login` and `logout`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import graphene
from graphene import ResolveInfo

from schema.accounts.types import User
from schema.errors import errors_field
from schema.mutations import OkPayload, mutation
from schema.scalars import DateTime
from server.domain import accounts, models
from server.domain.access import EVERYONE_SIGNED_IN
from server.domain.rows.accounts import UserRow


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
    must_change_password = graphene.Boolean(
        required=True,
        description="True when the password must be changed first: until then the token "
        "allows only changePassword, me and logout.",
    )
    errors = errors_field()

    @staticmethod
    def resolve_must_change_password(root: LoginPayload, info: ResolveInfo) -> bool:
        return bool(root.must_change_password)


class LogoutPayload(OkPayload):
    """Result of `logout`: `ok` once the token is revoked."""


@dataclass(frozen=True)
class _CheckedLogin:
    """What `login` hands from its password check to its transaction."""

    user: models.User
    device_name: str | None


async def _check_credentials(
    info: ResolveInfo, user: models.User | None, input: Any
) -> _CheckedLogin:
    """Throttle and verify before the transaction: hashing must not hold a connection.

    A refusal raised here keeps the failure it recorded (nothing is rolled back).
    """
    signed_in = await accounts.check_credentials(
        info.context.settings, input.username, input.password, info.context.client_address
    )
    return _CheckedLogin(signed_in, input.device_name)


@mutation(
    LoginPayload,
    LoginInput,
    roles=None,
    description="Sign in and get a bearer token.",
    prepare=_check_credentials,
)
async def login(
    info: ResolveInfo, user: models.User | None, input: _CheckedLogin
) -> dict[str, Any]:
    context = info.context
    issued = await accounts.sign_in(
        context.settings, input.user, input.device_name, context.client_address
    )
    user_row = UserRow.of(issued.user)
    return {
        "token": issued.token,
        "expires_at": issued.expires_at,
        "user": user_row,
        "must_change_password": user_row.must_change_password,
    }


@mutation(LogoutPayload, None, roles=EVERYONE_SIGNED_IN, description="Revoke the current token.")
async def logout(info: ResolveInfo, user: models.User | None, input: Any) -> dict[str, Any]:
    assert user is not None  # EVERYONE_SIGNED_IN
    await accounts.sign_out(user, info.context.token)
    return {"ok": True}


class Mutations:
    """Account mutations."""

    login = login
    logout = logout
