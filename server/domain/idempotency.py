"""Idempotency keys: a retried create or upload returns its first result, and only for its input.

A phone sends a key with a create or an upload and, after a dropped connection, sends the same
request again with the same key. The first call records the key with a fingerprint of what was
asked (SHA-256 of the operation and the canonical JSON of its decoded input); a later call with
the key and the same input gets the first result back, and one with another input is refused
(CONFLICT on the key's field, as Stripe's API does). Keys are remembered
for `idempotency_key_ttl_hours`: older records are ignored, and a user's expired records are
deleted when the user's next key is recorded. Records from before fingerprints (null) are
honoured for any input.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError

from server.domain.clock import utc_now
from server.domain.errors import FieldPath, Refused
from server.domain.models import User
from server.domain.models.idempotency import IdempotencyRecord
from server.settings import Settings

MAX_KEY_LENGTH = 128
KEY_FIELD: FieldPath = ("input", "idempotencyKey")
"""Where every operation takes its key."""
DEFAULT_TTL = dt.timedelta(hours=Settings.idempotency_key_ttl_hours)
KEY_RULE = f"An idempotency key is at most {MAX_KEY_LENGTH} printable characters."
REUSED_MESSAGE = (
    "This idempotency key was used before for a different request: send a new key with a new "
    "request (a retry must repeat the first request exactly)."
)


def key_problem(key: str | None) -> str | None:
    """Why `key` cannot be used (too long, or with control characters or lone surrogates)."""
    if key is not None and (len(key) > MAX_KEY_LENGTH or not key.isprintable()):
        return KEY_RULE
    return None


def _plain(value: Any) -> Any:
    """JSON form of the values decoded inputs hold besides JSON's own."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | decimal.Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def fingerprint(operation: str, values: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the operation and the canonical JSON of its decoded input.

    Canonical: keys sorted, no spaces, non-ASCII escaped (so lone surrogates hash too); dates
    and decimals as their text, enums as their values.
    """
    canonical = json.dumps(
        {"operation": operation, "input": values},
        sort_keys=True,
        separators=(",", ":"),
        default=_plain,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@dataclasses.dataclass(frozen=True)
class KeyUse:
    """One call made under an idempotency key: who, which operation, the key, what was asked."""

    user: User
    operation: str
    key: str
    fingerprint: str
    ttl: dt.timedelta = DEFAULT_TTL

    @classmethod
    def of(
        cls,
        user: User,
        operation: str,
        key: str | None,
        values: Mapping[str, Any],
        ttl: dt.timedelta = DEFAULT_TTL,
    ) -> KeyUse | None:
        """The use of `key` for `values`; None when no key (or an empty one) was sent."""
        if not key:
            return None
        return cls(user, operation, key, fingerprint(operation, values), ttl)

    def oldest_live(self) -> dt.datetime:
        """Records made before this instant have expired."""
        return utc_now() - self.ttl


def ttl_of(settings: Settings) -> dt.timedelta:
    """How long keys are remembered under `settings`."""
    return dt.timedelta(hours=settings.idempotency_key_ttl_hours)


async def previous_result(use: KeyUse | None) -> int | None:
    """The id of the object the first unexpired call under this key made, if there was one.

    Refused CONFLICT (on the key's field) when that call had another input.
    """
    if use is None:
        return None
    record = await IdempotencyRecord.get_or_none(
        user=use.user,
        operation=use.operation,
        key=use.key,
        created_at__gte=use.oldest_live(),
    )
    if record is None:
        return None
    if record.fingerprint is not None and record.fingerprint != use.fingerprint:
        raise Refused("CONFLICT", REUSED_MESSAGE, KEY_FIELD)
    return record.object_id


async def remember_result(use: KeyUse | None, object_id: int) -> None:
    """Record the object made under the key; call inside the creating transaction.

    The user's expired records go first (an expired record of this very key among them, so
    the key can be used afresh). Two concurrent first calls with one key collide on the
    unique constraint, so only one of them commits; the other fails and, when retried, finds
    this record.
    """
    if use is None:
        return
    await IdempotencyRecord.filter(user=use.user, created_at__lt=use.oldest_live()).delete()
    await IdempotencyRecord.create(
        user=use.user,
        operation=use.operation,
        key=use.key,
        object_id=object_id,
        fingerprint=use.fingerprint,
    )


async def remember_result_or_refuse(use: KeyUse | None, object_id: int, busy: str) -> None:
    """`remember_result`, answering CONFLICT (message `busy`) when a simultaneous first call
    with the same key committed first: the client's retry then gets that call's result."""
    try:
        await remember_result(use, object_id)
    except IntegrityError:
        raise Refused("CONFLICT", busy, KEY_FIELD) from None
