"""User administration: accounts made, changed, disabled and given new passwords.

Administrators do all of it (the schema declares USER_ADMINS); the command line does the
recovery part for the first admin. The rules:

- a username is unique without regard to case, 1–64 plain characters without spaces;
- a new account and a reset password must be changed at the next sign-in;
- disabling a user ends their sessions at once, and their history stays;
- the last active administrator can be neither disabled nor demoted, and nobody disables
  their own account or resets their own password through the admin path (`changePassword`).

Passwords are hashed before the transaction by the caller (hashing is slow); these functions
take the hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from server.domain import audit, sessions
from server.domain.errors import Problem, Refused
from server.domain.models import Role, User

CREATE_USER = "createUser"
UPDATE_USER = "updateUser"
RESET_PASSWORD = "resetPassword"
CHANGE_PASSWORD = "changePassword"

USERNAME_PATTERN = re.compile(r"[\w.@+-]{1,64}")
"""Letters (any script), digits and . @ + - _, 1 to 64 of them."""
PHONE_PATTERN = re.compile(r"\+?[0-9][0-9 -]{2,30}")
"""Digits with spaces or dashes, an optional leading +: 3 to 32 characters."""
_NAME_LENGTH = 128  # User.display_name and User.unit
_SEARCH_LENGTH = 64

_PROFILE_FIELDS = ("display_name", "role", "unit", "phone", "is_active")


@dataclass(frozen=True)
class NewUser:
    """What an administrator gives for a new account (the password already hashed)."""

    username: str
    display_name: str
    role: Role
    unit: str | None
    phone: str | None
    password_hash: str


@dataclass(frozen=True)
class UserChanges:
    """The profile fields an administrator changes; None leaves a field as it is, and an
    empty `unit` or `phone` clears it."""

    display_name: str | None = None
    role: Role | None = None
    unit: str | None = None
    phone: str | None = None
    is_active: bool | None = None


@dataclass(frozen=True)
class UserFilter:
    """Which users a list shows: any of these roles, in this unit, (in)active, matching a
    text in the username or the display name."""

    roles: frozenset[Role] | None = None
    unit: str | None = None
    active: bool | None = None
    search: str | None = None


async def username_taken(username: str, except_id: int | None = None) -> bool:
    """True when another user has this username, without regard to case."""
    others = User.filter(username__iexact=username)
    if except_id is not None:
        others = others.exclude(id=except_id)
    return await others.exists()


async def create_user(actor: User | None, new: NewUser) -> User:
    """Create an active account that must change its password at first sign-in, audited.

    Refused INVALID for a bad or taken username, display name, unit or phone.
    """
    problems = _profile_problems(
        display_name=new.display_name, unit=new.unit, phone=new.phone, required_name=True
    )
    if not USERNAME_PATTERN.fullmatch(new.username):
        problems.insert(
            0,
            Problem(
                "INVALID",
                "A username has 1 to 64 letters, digits or . @ + - _ (no spaces).",
                ("input", "username"),
            ),
        )
    elif await username_taken(new.username):
        problems.insert(
            0, Problem("INVALID", "This username is taken (case aside).", ("input", "username"))
        )
    if problems:
        raise Refused.all(problems)
    user = await User.create(
        username=new.username,
        display_name=new.display_name.strip(),
        role=new.role,
        unit=_blank_to_none(new.unit),
        phone=_blank_to_none(new.phone),
        password_hash=new.password_hash,
        must_change_password=True,
    )
    await audit.record(actor, CREATE_USER, user)
    return user


async def update_user(actor: User | None, user_id: int | None, changes: UserChanges) -> User:
    """Change a user's profile, role or activity, audited with the fields that changed.

    `actor` None is the command line (`disable-user`).
    Disabling ends the user's sessions. Refused NOT_FOUND for an unknown user, INVALID for a
    bad field, for disabling oneself, or for disabling or demoting the last active admin.
    """
    user = None if user_id is None else await User.get_or_none(id=user_id)
    if user is None:
        raise Refused("NOT_FOUND", "No such user.", ("input", "userId"))
    problems = _profile_problems(
        display_name=changes.display_name, unit=changes.unit, phone=changes.phone
    )
    if problems:
        raise Refused.all(problems)
    if changes.is_active is False and actor is not None and user.id == actor.id:
        raise Refused(
            "INVALID",
            "You cannot disable your own account: ask another administrator.",
            ("input", "active"),
        )
    leaves_admins = (
        user.role == Role.ADMIN
        and user.is_active
        and (
            changes.is_active is False or (changes.role is not None and changes.role != Role.ADMIN)
        )
    )
    if leaves_admins:
        await _keep_an_admin(user, "active" if changes.is_active is False else "role")
    before = audit.snapshot(user, _PROFILE_FIELDS)
    if changes.display_name is not None:
        user.display_name = changes.display_name.strip()
    if changes.role is not None:
        user.role = changes.role
    if changes.unit is not None:
        user.unit = _blank_to_none(changes.unit)
    if changes.phone is not None:
        user.phone = _blank_to_none(changes.phone)
    if changes.is_active is not None:
        user.is_active = changes.is_active
    after = audit.snapshot(user, _PROFILE_FIELDS)
    changed = audit.changed(before, after)
    if not changed:
        return user
    await user.save(update_fields=[*changed])
    ended = 0 if user.is_active else await sessions.revoke_all(user.id)
    old = {name: (before or {})[name] for name in changed}
    new = {name: (after or {})[name] for name in changed}
    if ended:
        new["sessions_ended"] = ended
    await audit.record(actor, UPDATE_USER, user, before=old, after=new)
    return user


async def reset_password(actor: User | None, user_id: int | None, password_hash: str) -> User:
    """Give a user a temporary password (already hashed), to be changed at the next
    sign-in, and end all their sessions; audited without the password.

    `actor` None is the command line. Refused NOT_FOUND for an unknown user, INVALID for
    an administrator resetting their own password (they use `changePassword`).
    """
    user = None if user_id is None else await User.get_or_none(id=user_id)
    if user is None:
        raise Refused("NOT_FOUND", "No such user.", ("input", "userId"))
    if actor is not None and actor.id == user.id:
        raise Refused(
            "INVALID",
            "Change your own password with changePassword, not by resetting it.",
            ("input", "userId"),
        )
    before = {"must_change_password": user.must_change_password}
    user.password_hash = password_hash
    user.must_change_password = True
    await user.save(update_fields=["password_hash", "must_change_password"])
    ended = await sessions.revoke_all(user.id)
    await audit.record(
        actor,
        RESET_PASSWORD,
        user,
        before=before,
        after={"must_change_password": True, "sessions_ended": ended},
    )
    return user


async def change_password(
    user: User, old_hash: str, new_hash: str, keep_sessions: bool, current_digest: str | None
) -> int:
    """Put the user's own new password (already hashed) in place of the one they proved
    (`old_hash`), audited without either; how many sessions were ended.

    Every other session of the user ends unless `keep_sessions`; the one in use
    (`current_digest`) stays. Refused CONFLICT when the password changed since it was checked.
    """
    updated = await User.filter(id=user.id, password_hash=old_hash).update(
        password_hash=new_hash, must_change_password=False
    )
    if not updated:
        raise Refused("CONFLICT", "Your password was changed meanwhile; sign in again.")
    before = {"must_change_password": user.must_change_password}
    user.password_hash, user.must_change_password = new_hash, False
    ended = 0 if keep_sessions else await sessions.revoke_all(user.id, current_digest)
    await audit.record(
        user,
        CHANGE_PASSWORD,
        user,
        before=before,
        after={"must_change_password": False, "sessions_ended": ended},
    )
    return ended


def user_list(flt: UserFilter) -> QuerySet[User]:
    """The users a filter selects, by username. Refused INVALID for an over-long unit or
    search."""
    found = User.all()
    if flt.roles is not None:
        found = found.filter(role__in=sorted(flt.roles))
    if flt.unit is not None:
        if len(flt.unit) > _NAME_LENGTH or "\x00" in flt.unit:
            raise Refused(
                "INVALID",
                f"A unit has at most {_NAME_LENGTH} characters, without NUL.",
                ("filter", "unit"),
            )
        found = found.filter(unit=flt.unit)
    if flt.active is not None:
        found = found.filter(is_active=flt.active)
    if flt.search:
        if len(flt.search) > _SEARCH_LENGTH or "\x00" in flt.search:
            raise Refused(
                "INVALID",
                f"A search has at most {_SEARCH_LENGTH} characters, without NUL.",
                ("filter", "search"),
            )
        found = found.filter(
            Q(username__icontains=flt.search) | Q(display_name__icontains=flt.search)
        )
    return found.order_by("username", "id")


async def _keep_an_admin(user: User, field: str) -> None:
    """Refuse INVALID at `field` a change that would leave no active administrator.

    The other active admins are read FOR UPDATE on PostgreSQL, so two admins demoting each
    other at once cannot both pass.
    """
    others = (
        await User.filter(role=Role.ADMIN, is_active=True)
        .exclude(id=user.id)
        .select_for_update()
        .values_list("id", flat=True)
    )
    if not others:
        raise Refused(
            "INVALID",
            "This is the last active administrator: make another one first.",
            ("input", field),
        )


def _profile_problems(
    *,
    display_name: str | None,
    unit: str | None,
    phone: str | None,
    required_name: bool = False,
) -> list[Problem]:
    """What is wrong with the given profile fields (None: not given)."""
    problems = []
    if display_name is not None or required_name:
        name = (display_name or "").strip()
        if not name or len(name) > _NAME_LENGTH or not name.isprintable():
            problems.append(
                Problem(
                    "INVALID",
                    f"A display name has 1 to {_NAME_LENGTH} printable characters.",
                    ("input", "displayName"),
                )
            )
    if unit is not None and (len(unit) > _NAME_LENGTH or not unit.isprintable()):
        problems.append(
            Problem(
                "INVALID",
                f"A unit has at most {_NAME_LENGTH} printable characters.",
                ("input", "unit"),
            )
        )
    if phone and not PHONE_PATTERN.fullmatch(phone):
        problems.append(
            Problem(
                "INVALID",
                "A phone number has 3 to 32 digits, spaces or dashes, with an optional +.",
                ("input", "phone"),
            )
        )
    return problems


def _blank_to_none(text: str | None) -> str | None:
    """Text stripped; None for nothing or blanks."""
    if text is None:
        return None
    return text.strip() or None
