"""Sign-in rules: password hashing, bearer tokens, the login throttle.

Passwords are hashed with Argon2id at OWASP's current recommendation (Password Storage Cheat
Sheet): m=19456 KiB (19 MiB), t=2, p=1. That is a deliberate choice, not the library's default
(m=64 MiB, t=3, p=4): it costs an attacker as much per guess as the cheat sheet asks, and the
service little enough (about 18 ms a hash on the development machine) to sign in a whole shift
of phones at once. A stored hash made with other parameters is replaced at its owner's next
successful sign-in.

Hashing is slow on purpose, so it never runs on the event loop: the coroutines here hand it to
a worker thread (`asyncio.to_thread`), at most `password_hash_concurrency` at once, so a burst
of sign-ins neither stalls every other request nor takes every core and 19 MiB per hash.

The throttle counts failed sign-ins in a sliding window (`login_window_minutes`) twice: per
(username, client address), so that a stranger's wrong guesses slow the stranger and never the
real user signing in from elsewhere; and per client address across usernames, so that one
address spraying a password over many usernames, or flooding made-up ones, is slowed too. It is
checked before any hashing and before the user is looked up.

Every attempt is recorded as a failure first and counted after, its own row included, so that
parallel attempts cannot all pass the check before any of them is recorded: of any two, the one
that counts last sees the other. An attempt over a limit deletes its own row (a refused attempt
does not extend the lockout) and is refused unhashed; a correct password deletes it; a wrong
one keeps it.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import TypeVar
from weakref import WeakKeyDictionary

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.queryset import QuerySet

from server.domain import audit, sessions
from server.domain.clock import utc_now
from server.domain.errors import Refused
from server.domain.models import AuthToken, LoginFailure, Role, User
from server.domain.passwords import MAX_PASSWORD_LENGTH
from server.settings import Settings
from server.telemetry import metrics

T = TypeVar("T")

_USERNAME_LENGTH = 64  # User.username, LoginFailure.username and LoginFailure.address
_DEVICE_NAME_LENGTH = 128  # AuthToken.device_name
_PRUNE_INTERVAL_SECONDS = 60.0
LOGIN_OPERATION = "login"
LOGOUT_OPERATION = "logout"

# OWASP Password Storage Cheat Sheet, Argon2id: m=19456 KiB, t=2, p=1 (see the module doc).
_HASHER = PasswordHasher(
    time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
)
_gates: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = WeakKeyDictionary()


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued bearer token: the secret is shown to the client once."""

    token: str
    expires_at: datetime
    user: User


def hash_password(password: str) -> str:
    """Argon2id hash of a password, computed here and now (for the command line and tests).

    The service itself hashes through `hash_password_off_loop`.
    """
    return _HASHER.hash(_encoded(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored Argon2 hash (computed here and now)."""
    try:
        return _HASHER.verify(password_hash, _encoded(password))
    except (VerificationError, InvalidHashError):
        return False


def _encoded(password: str) -> bytes:
    """UTF-8 bytes of a password; a lone surrogate (never in a valid password) is kept as is
    rather than refused, so such input is simply wrong."""
    return password.encode("utf-8", "surrogatepass")


async def hash_password_off_loop(settings: Settings, password: str) -> str:
    """`hash_password` in a worker thread, within the service's hashing concurrency."""
    return await _off_loop(settings, hash_password, password)


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
    """Create an active user with a hashed password (command line and demo seeding).

    Hashed in a worker thread; these callers create users one at a time.
    """
    return await User.create(
        username=username,
        display_name=display_name or username,
        role=role,
        unit=unit,
        password_hash=await asyncio.to_thread(hash_password, password),
    )


async def check_credentials(settings: Settings, username: str, password: str, address: str) -> User:
    """The active user these credentials belong to; Refused otherwise.

    `address` is the client's (see `server.api.client_address`). Refused: RATE_LIMITED while the
    throttle holds (nothing is hashed then), INVALID for a wrong username or password or an
    over-long password; each INVALID stays recorded as a failure. A correct password whose
    hash was made with other parameters than today's is rehashed.
    """
    username_key, address_key = _storable(username), _storable(address)
    attempt = await _record_attempt(settings, username_key, address_key)
    try:
        await _refuse_if_throttled(settings, username_key, address_key)
    except Refused:
        metrics.record_throttled("sign_in")
        await attempt.delete()
        raise
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Refused("INVALID", f"Passwords have at most {MAX_PASSWORD_LENGTH} characters.")
    user = await User.get_or_none(username=username) if username == username_key else None
    valid = await _off_loop(settings, _verify_or_pretend, user and user.password_hash, password)
    if user is None or not valid or not user.is_active:
        await audit.record_failed_sign_in(user, username_key, address_key)
        metrics.record_sign_in_failure()
        raise Refused("INVALID", "Wrong username or password.")
    await attempt.delete()
    await _rehash_if_outdated(settings, user, password)
    return user


async def issue_token(
    settings: Settings, user: User, device_name: str | None, address: str | None = None
) -> IssuedToken:
    """Create a bearer token for a user whose credentials were checked, used now from
    `address` (the sign-in's).

    Refused INVALID (at `deviceName`) for a device name the token cannot store.
    """
    if device_name is not None and _storable(device_name, _DEVICE_NAME_LENGTH) != device_name:
        raise Refused(
            "INVALID",
            f"A device name has at most {_DEVICE_NAME_LENGTH} plain characters.",
            ("input", "deviceName"),
        )
    token = secrets.token_urlsafe(32)
    now = utc_now()
    expires_at = now + timedelta(hours=settings.token_ttl_hours)
    await AuthToken.create(
        user=user,
        token_hash=token_digest(token),
        device_name=device_name,
        expires_at=expires_at,
        last_used_at=now,
        last_address=None if address is None else _storable(address),
    )
    sessions.note_use(token_digest(token))
    return IssuedToken(token=token, expires_at=expires_at, user=user)


def _storable(text: str, length: int = _USERNAME_LENGTH) -> str:
    """`text` as both databases can store it in a column of `length` characters.

    NUL (which PostgreSQL cannot hold) becomes U+FFFD, a lone surrogate (which UTF-8 cannot)
    `?`, and the text is cut to the column's length; plain text of that length comes back unchanged.
    """
    plain = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    return plain[:length]


def _gate(settings: Settings) -> asyncio.Semaphore:
    """The running loop's hashing semaphore, created on first use so it binds to that loop."""
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(max(1, settings.password_hash_concurrency))
    return gate


async def _off_loop(settings: Settings, function: Callable[..., T], *args: object) -> T:
    """Run `function(*args)` in a worker thread, at most `password_hash_concurrency` at once.

    The slot is freed when the thread finishes, not when the caller gives up waiting: a
    cancelled sign-in cannot start more hashing threads than the limit.
    """
    gate = _gate(settings)
    await gate.acquire()
    work = asyncio.ensure_future(asyncio.to_thread(function, *args))
    work.add_done_callback(lambda _: gate.release())
    return await asyncio.shield(work)


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the username is unknown, so that both failures cost the
    same time; computed once, on first need, in a worker thread."""
    return hash_password("wallchart-no-such-user")


def _verify_or_pretend(password_hash: str | None, password: str) -> bool:
    """Verify against the stored hash, or against the dummy one (then always False)."""
    if password_hash is None:
        verify_password(_dummy_hash(), password)
        return False
    return verify_password(password_hash, password)


async def _rehash_if_outdated(settings: Settings, user: User, password: str) -> None:
    """Replace a hash made with other Argon2 parameters, unless the password changed meanwhile."""
    if not _HASHER.check_needs_rehash(user.password_hash):
        return
    new_hash = await hash_password_off_loop(settings, password)
    updated = await User.filter(id=user.id, password_hash=user.password_hash).update(
        password_hash=new_hash
    )
    if updated:
        user.password_hash = new_hash


async def _refuse_if_throttled(settings: Settings, username: str, address: str) -> None:
    """Raise RATE_LIMITED when the (username, address) pair or the address is over its limit.

    The attempt being decided is already recorded, so it is counted too.
    """
    since = utc_now() - timedelta(minutes=settings.login_window_minutes)
    recent = LoginFailure.filter(address=address, at__gte=since)
    await _refuse_past_limit(
        settings, recent.filter(username=username), settings.login_max_failures
    )
    await _refuse_past_limit(settings, recent, settings.login_max_failures_per_address)


async def _refuse_past_limit(
    settings: Settings, failures: QuerySet[LoginFailure], limit: int
) -> None:
    """Raise RATE_LIMITED when `failures`, the attempt being decided among them, holds more
    than `limit` rows: `limit` earlier failures (a limit of 0 is off).

    The (limit + 1)-th newest row, the limit-th newest but for this attempt's own, decides:
    once it leaves the window, fewer than `limit` earlier failures remain, so that is when to
    retry. One indexed query reading at most `limit + 1` rows.
    """
    if limit <= 0:
        return
    decisive = await failures.order_by("-at").offset(limit).limit(1).values_list("at", flat=True)
    if not decisive:
        return
    retry_at = decisive[0] + timedelta(minutes=settings.login_window_minutes)
    minutes = max(1, math.ceil((retry_at - utc_now()).total_seconds() / 60))
    raise Refused(
        "RATE_LIMITED",
        f"Too many failed sign-ins; try again in {minutes} minute{'s' if minutes > 1 else ''}.",
    )


class _Pruner:
    """Says when to delete expired failures: at most once a minute per process.

    That delete reads the whole (small) table, so it is not run at every failure; between
    runs the table holds at most the failures of one window and one minute.
    """

    def __init__(self) -> None:
        self.next_at = 0.0

    def due(self) -> bool:
        """True at most once per interval."""
        now = time.monotonic()
        if now < self.next_at:
            return False
        self.next_at = now + _PRUNE_INTERVAL_SECONDS
        return True


_pruner = _Pruner()


async def _record_attempt(settings: Settings, username: str, address: str) -> LoginFailure:
    """Record a sign-in attempt as a failure until it proves otherwise, and now and then
    forget the failures older than the window."""
    attempt = await LoginFailure.create(username=username, address=address)
    if _pruner.due():
        since = utc_now() - timedelta(minutes=settings.login_window_minutes)
        await LoginFailure.filter(at__lt=since).delete()
    return attempt


# Written out and run through the ORM's public `raw`: building this lookup with the query
# builder on every request cost as much CPU as the rest of a small request (`make bench`).
# `raw` takes no parameters; the only value is a SHA-256 hex digest, and time is the
# database's own clock (timestamps are stored in UTC, comparable as text on SQLite).
_LIVE_TOKEN_USER_SQL = (
    'SELECT u.* FROM auth_token t JOIN "user" u ON u.id = t.user_id'
    " WHERE t.token_hash = '{digest}' AND t.revoked_at IS NULL"
    " AND t.expires_at > CURRENT_TIMESTAMP AND u.is_active LIMIT 1"
)
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


async def authenticate(token: str, address: str) -> User | None:
    """The active user a live token belongs to, or None (one SQL statement, and at most once
    a minute per token one more to note its use from `address`: `sessions.touch`)."""
    digest = token_digest(token)
    if not _HEX_DIGEST.fullmatch(digest):  # never: the digest is what hashlib writes
        raise ValueError("unexpected token digest")
    users = await User.raw(_LIVE_TOKEN_USER_SQL.format(digest=digest))
    if not users:
        return None
    await sessions.touch(digest, _storable(address))
    return users[0]


class TokenRefusal(StrEnum):
    """Why a bearer token did not authenticate, as its holder may be told."""

    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


async def token_refusal(token: str) -> TokenRefusal:
    """Why `token`, which `authenticate` refused, did not authenticate (one SQL statement).

    Only the token's holder learns this, and only about the token they hold: its end
    (revoked by logout or by an administrator, or past its lifetime), or that it was never
    issued. A live token of a disabled account answers REVOKED, not "disabled": a sign-in
    refusal never says whether an account is disabled, and a token's holder is told no more.
    A token that looks live here ran out between the two statements: EXPIRED.
    """
    found = await AuthToken.filter(token_hash=token_digest(token)).values_list(
        "revoked_at", "expires_at", "user__is_active"
    )
    if not found:
        return TokenRefusal.UNKNOWN
    revoked_at, expires_at, user_is_active = found[0]
    if revoked_at is not None:
        return TokenRefusal.REVOKED
    if expires_at > utc_now() and not user_is_active:
        return TokenRefusal.REVOKED
    return TokenRefusal.EXPIRED


async def sign_in(
    settings: Settings, user: User, device_name: str | None, address: str | None = None
) -> IssuedToken:
    """Issue a token to `user`, whose credentials were checked, from `address`, and audit the
    sign-in (login).

    Call inside a transaction; refused as `issue_token` is.
    """
    issued = await issue_token(settings, user, device_name, address)
    after = {"device_name": device_name}
    await audit.record(user, LOGIN_OPERATION, user, after=after, journaled=False)
    return issued


async def sign_out(user: User, token: str | None) -> None:
    """Revoke the token `user` signed this request with, and audit it (logout).

    Refused UNAUTHENTICATED when there is no live token to revoke.
    """
    if token is None or not await revoke(token):
        raise Refused("UNAUTHENTICATED", "No live token to revoke.")
    await audit.record(user, LOGOUT_OPERATION, user, after={}, journaled=False)


async def revoke(token: str) -> bool:
    """Revoke a token; True when a live token was revoked."""
    updated = await AuthToken.filter(
        token_hash=token_digest(token), revoked_at__isnull=True
    ).update(revoked_at=utc_now())
    return updated > 0
