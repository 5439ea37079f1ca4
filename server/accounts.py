"""Sign-in rules: password hashing, bearer tokens, the login throttle."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.clock import utc_now
from server.models import AuthToken, LoginFailure, Role, User
from server.rawsql import fetch
from server.settings import Settings

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("wallchart-no-such-user")


class LoginRefused(Exception):
    """Sign-in failed; `code` is INVALID for bad credentials, RATE_LIMITED when throttled."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued bearer token: the secret is shown to the client once."""

    token: str
    expires_at: datetime
    user: User


def hash_password(password: str) -> str:
    """Argon2 hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored Argon2 hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(
    username: str,
    password: str,
    role: Role,
    *,
    display_name: str | None = None,
    unit: str | None = None,
) -> User:
    """Create an active user with a hashed password."""
    return await User.create(
        username=username,
        display_name=display_name or username,
        role=role,
        unit=unit,
        password_hash=hash_password(password),
    )


async def login(
    settings: Settings, username: str, password: str, device_name: str | None = None
) -> IssuedToken:
    """Check credentials and issue a token; raise LoginRefused when refused or throttled."""
    window_start = utc_now() - timedelta(minutes=settings.login_window_minutes)
    failures = await LoginFailure.filter(username=username, at__gte=window_start).count()
    if failures >= settings.login_max_failures:
        raise LoginRefused(
            "RATE_LIMITED",
            f"Too many failed sign-ins; try again within {settings.login_window_minutes} minutes.",
        )
    user = await User.get_or_none(username=username)
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.is_active:
        await LoginFailure.create(username=username)
        raise LoginRefused("INVALID", "Wrong username or password.")
    token = secrets.token_urlsafe(32)
    expires_at = utc_now() + timedelta(hours=settings.token_ttl_hours)
    await AuthToken.create(
        user=user, token_hash=token_digest(token), device_name=device_name, expires_at=expires_at
    )
    return IssuedToken(token=token, expires_at=expires_at, user=user)


# Hand-written: building this query with the ORM cost more than running it (issue 7).
_LIVE_TOKEN_USER_SQL = (
    'SELECT u.* FROM auth_token t JOIN "user" u ON u.id = t.user_id'
    " WHERE t.token_hash = :digest AND t.revoked_at IS NULL AND t.expires_at > :now"
    " AND u.is_active = :active LIMIT 1"
)


async def authenticate(token: str) -> User | None:
    """The active user a live token belongs to, or None (one SQL statement)."""
    rows = await fetch(
        _LIVE_TOKEN_USER_SQL, {"digest": token_digest(token), "now": utc_now(), "active": True}
    )
    # The row is the user's own columns, so it is built the way the ORM builds fetched rows.
    return User._init_from_db(**rows[0]) if rows else None


async def revoke(token: str) -> bool:
    """Revoke a token; True when a live token was revoked."""
    updated = await AuthToken.filter(
        token_hash=token_digest(token), revoked_at__isnull=True
    ).update(revoked_at=utc_now())
    return updated > 0
