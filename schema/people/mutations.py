"""The people mutations: accounts (createUser, updateUser, resetPassword), one's own password
(changePassword) and sessions (revokeSession).

Passwords are checked and hashed in each mutation's `prepare` step, before its transaction:
hashing is slow on purpose and must not hold a database connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import graphene
from graphene import ResolveInfo

from schema.accounts.types import Role, User
from schema.errors import errors_field
from schema.mutations import OkPayload, mutation
from schema.projects.types import enum_value
from schema.relay import input_id
from server.domain import accounts, models, passwords, people, sessions
from server.domain.access import EVERYONE_SIGNED_IN, USER_ADMINS
from server.domain.errors import Refused
from server.domain.rows.accounts import UserRow


class CreateUserInput(graphene.InputObjectType):
    """A new account; its first sign-in must change the temporary password."""

    username = graphene.String(
        required=True, description="Sign-in name: 1–64 letters, digits or . @ + - _."
    )
    display_name = graphene.String(required=True, description="Name shown to others.")
    role = graphene.InputField(Role, required=True, description="What the user does.")
    unit = graphene.String(description="Organisation or department.")
    phone = graphene.String(description="Phone number.")
    temporary_password = graphene.String(
        required=True, description="Initial password (the password rules apply)."
    )


class UpdateUserInput(graphene.InputObjectType):
    """Changes to an account; a field left out stays as it is, an empty unit or phone clears."""

    user_id = graphene.ID(required=True, description="The user.")
    display_name = graphene.String(description="Name shown to others.")
    role = graphene.InputField(Role, description="What the user does.")
    unit = graphene.String(description="Organisation or department.")
    phone = graphene.String(description="Phone number.")
    active = graphene.Boolean(description="False disables the account and ends its sessions.")


class ResetPasswordInput(graphene.InputObjectType):
    """Whose password to reset."""

    user_id = graphene.ID(required=True, description="The user (not oneself).")


class ChangePasswordInput(graphene.InputObjectType):
    """The caller's current password and the new one."""

    old_password = graphene.String(required=True, description="The current password.")
    new_password = graphene.String(required=True, description="The new password.")
    keep_other_sessions = graphene.Boolean(
        default_value=False,
        description="Keep the caller's other sessions (by default they end).",
    )


class RevokeSessionInput(graphene.InputObjectType):
    """The session to end."""

    session_id = graphene.ID(required=True, description="The session.")


class UserPayload(graphene.ObjectType):
    """Result of createUser and updateUser."""

    user = graphene.Field(User, description="The account as it now is.")
    errors = errors_field()


class ResetPasswordPayload(graphene.ObjectType):
    """Result of resetPassword."""

    user = graphene.Field(User, description="The account.")
    temporary_password = graphene.String(
        description="The temporary password, shown this once: hand it to the user."
    )
    errors = errors_field()


class ChangePasswordPayload(OkPayload):
    """Result of changePassword: `ok` once the password is changed."""


class RevokeSessionPayload(OkPayload):
    """Result of revokeSession: `ok` once the session has ended."""


@dataclass(frozen=True)
class _NewPassword:
    """A checked and hashed password, with the input it came with."""

    input: Any
    password: str
    password_hash: str


async def _hash_new_user_password(
    info: ResolveInfo, user: models.User | None, input: Any
) -> _NewPassword:
    passwords.check_new_password(
        input.temporary_password, input.username, ("input", "temporaryPassword")
    )
    hashed = await accounts.hash_password_off_loop(info.context.settings, input.temporary_password)
    return _NewPassword(input, input.temporary_password, hashed)


@mutation(
    UserPayload,
    CreateUserInput,
    roles=USER_ADMINS,
    description="Create an account; it must change its password at first sign-in.",
    prepare=_hash_new_user_password,
)
async def create_user(
    info: ResolveInfo, user: models.User | None, input: _NewPassword
) -> dict[str, Any]:
    given = input.input
    created = await people.create_user(
        user,
        people.NewUser(
            username=given.username,
            display_name=given.display_name,
            role=models.Role(enum_value(given.role)),
            unit=given.unit,
            phone=given.phone,
            password_hash=input.password_hash,
        ),
    )
    return {"user": UserRow.of(created)}


@mutation(
    UserPayload,
    UpdateUserInput,
    roles=USER_ADMINS,
    description="Change an account's name, role, unit, phone or activity.",
)
async def update_user(info: ResolveInfo, user: models.User | None, input: Any) -> dict[str, Any]:
    assert user is not None  # USER_ADMINS
    changes = people.UserChanges(
        display_name=input.display_name,
        role=None if input.role is None else models.Role(enum_value(input.role)),
        unit=input.unit,
        phone=input.phone,
        is_active=input.active,
    )
    updated = await people.update_user(user, input_id(input.user_id, "User"), changes)
    return {"user": UserRow.of(updated)}


async def _hash_temporary_password(
    info: ResolveInfo, user: models.User | None, input: Any
) -> _NewPassword:
    password = passwords.temporary_password()
    hashed = await accounts.hash_password_off_loop(info.context.settings, password)
    return _NewPassword(input, password, hashed)


@mutation(
    ResetPasswordPayload,
    ResetPasswordInput,
    roles=USER_ADMINS,
    description="Give a user a temporary password (shown once) and end their sessions.",
    prepare=_hash_temporary_password,
)
async def reset_password(
    info: ResolveInfo, user: models.User | None, input: _NewPassword
) -> dict[str, Any]:
    target = await people.reset_password(
        user, input_id(input.input.user_id, "User"), input.password_hash
    )
    return {"user": UserRow.of(target), "temporary_password": input.password}


@dataclass(frozen=True)
class _CheckedChange:
    """What changePassword hands from its checks to its transaction."""

    proven_hash: str
    new_hash: str
    keep_other_sessions: bool


async def _check_password_change(
    info: ResolveInfo, user: models.User | None, input: Any
) -> _CheckedChange:
    """Prove the current password (throttled like a sign-in), check and hash the new one."""
    assert user is not None  # EVERYONE_SIGNED_IN
    context = info.context
    try:
        proven = await accounts.check_credentials(
            context.settings, user.username, input.old_password, context.client_address
        )
    except Refused as exc:
        if exc.problems[0].code != "INVALID":
            raise
        raise Refused(
            "INVALID", "The current password is wrong.", ("input", "oldPassword")
        ) from None
    field = ("input", "newPassword")
    passwords.check_new_password(input.new_password, user.username, field)
    if input.new_password == input.old_password:
        raise Refused("INVALID", "Choose a password other than the current one.", field)
    new_hash = await accounts.hash_password_off_loop(context.settings, input.new_password)
    return _CheckedChange(proven.password_hash, new_hash, bool(input.keep_other_sessions))


@mutation(
    ChangePasswordPayload,
    ChangePasswordInput,
    roles=EVERYONE_SIGNED_IN,
    description="Change one's own password; one's other sessions end unless kept.",
    prepare=_check_password_change,
)
async def change_password(
    info: ResolveInfo, user: models.User | None, input: _CheckedChange
) -> dict[str, Any]:
    assert user is not None  # EVERYONE_SIGNED_IN
    token = info.context.token
    await people.change_password(
        user,
        input.proven_hash,
        input.new_hash,
        input.keep_other_sessions,
        None if token is None else accounts.token_digest(token),
    )
    return {"ok": True}


@mutation(
    RevokeSessionPayload,
    RevokeSessionInput,
    roles=EVERYONE_SIGNED_IN,
    description="End a session: one's own, or anyone's for an administrator.",
)
async def revoke_session(info: ResolveInfo, user: models.User | None, input: Any) -> dict[str, Any]:
    assert user is not None  # EVERYONE_SIGNED_IN
    await sessions.revoke_session(user, input_id(input.session_id, "Session"))
    return {"ok": True}


class Mutations:
    """People mutations."""

    create_user = create_user
    update_user = update_user
    reset_password = reset_password
    change_password = change_password
    revoke_session = revoke_session
