"""Sign-in sessions: the live bearer tokens of a user, their last use, and ending them.

A token's last use (time and client address) is written at most once a minute per token: each
process remembers when it last wrote a token's use (`_Touches`) and asks the database only
after a minute, and the UPDATE itself changes only a row older than a minute, so several
workers together still write a token's row at most once a minute. Never a write per request.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from server.domain import audit
from server.domain.access import sees_sessions_of
from server.domain.clock import utc_now
from server.domain.errors import Refused
from server.domain.models import AuthToken, User
from server.domain.rows import queryset_rows
from server.domain.rows.accounts import SessionRow

TOUCH_INTERVAL = timedelta(minutes=1)
_TOUCHES_KEPT = 10_000
_ADDRESS_LENGTH = 64  # AuthToken.last_address
REVOKE_SESSION = "revokeSession"


class _Touches:
    """When this process last wrote each token's use (monotonic seconds), the latest
    `_TOUCHES_KEPT` tokens: a bounded memory, safe to lose (the next request writes again)."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}

    def due(self, digest: str) -> bool:
        """True when this token's use was not written by this process in the last minute;
        then it counts as written now."""
        now = time.monotonic()
        last = self.at.get(digest)
        if last is not None and now - last < TOUCH_INTERVAL.total_seconds():
            return False
        if len(self.at) >= _TOUCHES_KEPT:
            self.at.clear()
        self.at[digest] = now
        return True


_touches = _Touches()


def note_use(digest: str) -> None:
    """Remember that the token stored under `digest` was just used and its use written (a
    token is issued with its first use): its next minute of requests writes nothing."""
    _touches.due(digest)


async def touch(digest: str, address: str) -> None:
    """Record that the token stored under `digest` was used now from `address`, when its row
    says it was not used in the last minute (see the module doc)."""
    if not _touches.due(digest):
        return
    now = utc_now()
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_INTERVAL)
    await AuthToken.filter(stale, token_hash=digest, revoked_at__isnull=True).update(
        last_used_at=now, last_address=address[:_ADDRESS_LENGTH]
    )


def live_token(token_id: int) -> QuerySet[AuthToken]:
    """The token with this id, if it still works."""
    return AuthToken.filter(id=token_id, revoked_at__isnull=True, expires_at__gt=utc_now())


async def live_sessions_of(user_ids: Iterable[int]) -> dict[int, list[SessionRow]]:
    """The live sessions of each user, newest first (one statement; users without any absent)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    tokens = AuthToken.filter(user_id__in=ids, revoked_at__isnull=True, expires_at__gt=utc_now())
    found: dict[int, list[SessionRow]] = {}
    for row in await queryset_rows(SessionRow, tokens.order_by("-created_at", "-id")):
        found.setdefault(row.user_id, []).append(row)
    return found


async def revoke_all(user_id: int, keep_digest: str | None = None) -> int:
    """End every live token of a user (but the one stored under `keep_digest`); how many."""
    tokens = AuthToken.filter(user_id=user_id, revoked_at__isnull=True)
    if keep_digest is not None:
        tokens = tokens.exclude(token_hash=keep_digest)
    return await tokens.update(revoked_at=utc_now())


async def revoke_session(actor: User, session_id: int | None) -> AuthToken:
    """End one live session of the actor's (any user's, for an administrator), audited.

    Refused NOT_FOUND for an id that is not a session the actor may see (one of someone
    else's looks like a missing one), INVALID for one that has already ended.
    """
    token = None if session_id is None else await AuthToken.get_or_none(id=session_id)
    if token is None or not sees_sessions_of(actor, token.user_id):
        raise Refused("NOT_FOUND", "No such session.", ("input", "sessionId"))
    now = utc_now()
    if token.revoked_at is not None or token.expires_at <= now:
        raise Refused("INVALID", "This session has already ended.", ("input", "sessionId"))
    ended = await AuthToken.filter(id=token.id, revoked_at__isnull=True).update(revoked_at=now)
    if not ended:
        raise Refused("INVALID", "This session has already ended.", ("input", "sessionId"))
    await audit.record(
        actor,
        REVOKE_SESSION,
        token,
        after={"user_id": token.user_id, "device_name": token.device_name},
        journaled=False,
    )
    return token


def is_current(row: SessionRow, digest: str | None) -> bool:
    """True when `row` is the token the request was signed with (its digest is `digest`)."""
    return digest is not None and row.token_hash == digest
