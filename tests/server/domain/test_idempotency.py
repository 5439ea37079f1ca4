"""Idempotency keys as domain functions: fingerprints, replays, conflicts, expiry, purging."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path
from typing import Any

import pytest

from server.domain.clock import utc_now
from server.domain.errors import Refused
from server.domain.idempotency import (
    KEY_FIELD,
    KEY_RULE,
    MAX_KEY_LENGTH,
    KeyUse,
    fingerprint,
    key_problem,
    previous_result,
    remember_result,
)
from server.domain.models import IdempotencyRecord, Project, Role, ShortageKind, User
from server.domain.photo_uploads import upload_key_use
from server.settings import Settings
from tests.conftest import MakeAccount
from tests.images import jpeg_bytes
from tests.ticket_helpers import make_milestone, make_project

OPERATION = "createShortageTicket"


@pytest.fixture
async def user(make_account: MakeAccount) -> User:
    """A site manager with keys of their own."""
    return (await make_account(Role.SITE_MANAGER, "phone-user")).user


async def age(record_key: str, hours: float) -> None:
    """Make the records of `record_key` look `hours` old."""
    then = utc_now() - dt.timedelta(hours=hours)
    await IdempotencyRecord.filter(key=record_key).update(created_at=then)


def test_fingerprints_are_canonical_and_bound_to_operation_and_input() -> None:
    values = {
        "project": 1,
        "caption": "东门",
        "quantity": decimal.Decimal("1.5"),
        "milestone": None,
    }
    reordered = dict(reversed(list(values.items())))
    assert fingerprint(OPERATION, values) == fingerprint(OPERATION, reordered)
    assert len(fingerprint(OPERATION, values)) == 64
    assert fingerprint(OPERATION, values) != fingerprint("uploadPhoto", values)
    assert fingerprint(OPERATION, values) != fingerprint(OPERATION, {**values, "caption": "西门"})
    assert fingerprint(OPERATION, values) != fingerprint(OPERATION, {**values, "milestone": 0})


def test_fingerprints_take_dates_enums_and_hostile_text() -> None:
    values = {
        "kind": ShortageKind.LABOUR,
        "needed": dt.date(2026, 3, 1),
        "title": "nul\x00 and a lone \ud800 surrogate",
    }
    assert fingerprint(OPERATION, values) != fingerprint(
        OPERATION, {**values, "needed": dt.date(2026, 3, 2)}
    )
    with pytest.raises(TypeError):
        fingerprint(OPERATION, {"file": object()})


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (None, None),
        ("", None),
        ("0b9e7c4e-6f0a-4d8e-9a55-2f1f0c7d9b11", None),
        ("手机-42", None),
        ("k" * MAX_KEY_LENGTH, None),
        ("k" * (MAX_KEY_LENGTH + 1), KEY_RULE),
        ("k" * 10_000, KEY_RULE),
        ("nul\x00byte", KEY_RULE),
        ("lone\ud800surrogate", KEY_RULE),
        ("line\nbreak", KEY_RULE),
    ],
    ids=[
        "none",
        "empty",
        "uuid",
        "chinese",
        "longest",
        "too-long",
        "10kB",
        "nul",
        "surrogate",
        "lf",
    ],
)
def test_key_rules(key: str | None, problem: str | None) -> None:
    assert key_problem(key) == problem


async def test_no_key_no_use(user: User) -> None:
    assert KeyUse.of(user, OPERATION, None, {}) is None
    assert KeyUse.of(user, OPERATION, "", {}) is None


async def test_same_input_replays_and_another_input_conflicts(user: User) -> None:
    first = KeyUse.of(user, OPERATION, "k-1", {"title": "缺人"})
    assert await previous_result(first) is None
    await remember_result(first, 41)
    assert await previous_result(KeyUse.of(user, OPERATION, "k-1", {"title": "缺人"})) == 41
    with pytest.raises(Refused) as refused:
        await previous_result(KeyUse.of(user, OPERATION, "k-1", {"title": "缺料"}))
    assert (refused.value.code, refused.value.field) == ("CONFLICT", KEY_FIELD)
    assert "different request" in refused.value.message
    assert await previous_result(None) is None
    await remember_result(None, 99)
    assert await IdempotencyRecord.all().count() == 1


async def test_keys_belong_to_their_user_and_operation(
    user: User, make_account: MakeAccount
) -> None:
    other = (await make_account(Role.SITE_MANAGER, "someone-else")).user
    await remember_result(KeyUse.of(user, OPERATION, "shared", {"n": 1}), 41)
    assert await previous_result(KeyUse.of(other, OPERATION, "shared", {"n": 2})) is None
    assert await previous_result(KeyUse.of(user, "uploadPhoto", "shared", {"n": 2})) is None


async def test_a_record_without_fingerprint_is_honoured_for_any_input(user: User) -> None:
    await IdempotencyRecord.create(user=user, operation=OPERATION, key="legacy", object_id=7)
    assert await previous_result(KeyUse.of(user, OPERATION, "legacy", {"anything": 1})) == 7


async def test_expired_keys_are_ignored_then_purged_when_the_user_records_another(
    user: User, make_account: MakeAccount
) -> None:
    other = (await make_account(Role.SITE_MANAGER, "someone-else")).user
    ttl = dt.timedelta(hours=168)
    await remember_result(KeyUse.of(user, OPERATION, "old", {"n": 1}, ttl), 1)
    await remember_result(KeyUse.of(user, OPERATION, "recent", {"n": 2}, ttl), 2)
    await remember_result(KeyUse.of(other, OPERATION, "theirs", {"n": 3}, ttl), 3)
    await age("old", 169)
    await age("theirs", 169)
    again = KeyUse.of(user, OPERATION, "old", {"n": "something else"}, ttl)
    assert await previous_result(again) is None
    await remember_result(again, 4)
    kept = await IdempotencyRecord.all().order_by("object_id").values_list("key", "object_id")
    assert kept == [("recent", 2), ("theirs", 3), ("old", 4)]


async def test_the_time_to_live_is_the_callers(user: User) -> None:
    await remember_result(KeyUse.of(user, OPERATION, "k", {"n": 1}), 1)
    await age("k", 2)
    assert await previous_result(KeyUse.of(user, OPERATION, "k", {"n": 1})) == 1
    short = KeyUse.of(user, OPERATION, "k", {"n": 1}, dt.timedelta(hours=1))
    assert await previous_result(short) is None


async def test_an_upload_key_is_bound_to_the_bytes_and_the_targets(
    user: User, settings: Settings, tmp_path: Path
) -> None:
    project: Project = await make_project(user)
    milestone = await make_milestone(project)
    first, copy, other = tmp_path / "a.jpg", tmp_path / "b.jpg", tmp_path / "c.jpg"
    first.write_bytes(jpeg_bytes((40, 20)))
    copy.write_bytes(first.read_bytes())
    other.write_bytes(jpeg_bytes((41, 20)))

    async def use(path: Path, **targets: Any) -> KeyUse | None:
        return await upload_key_use(settings, user, "k", path, project=project, **targets)

    assert await upload_key_use(settings, user, None, first, project=project) is None
    base = await use(first)
    assert base is not None and base.ttl == dt.timedelta(hours=settings.idempotency_key_ttl_hours)
    prints = {
        (await use(path, **targets)).fingerprint  # type: ignore[union-attr]
        for path, targets in [
            (other, {}),
            (first, {"milestone": milestone}),
            (first, {"caption": "东门"}),
        ]
    }
    assert (await use(copy)).fingerprint == base.fingerprint  # type: ignore[union-attr]
    assert base.fingerprint not in prints and len(prints) == 3
