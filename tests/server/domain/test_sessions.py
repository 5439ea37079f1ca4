"""Sign-in sessions called directly: last use written at most once a minute, live sessions,
ending one or all of them."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pytest

from server.domain import accounts, sessions
from server.domain.accounts import token_digest
from server.domain.clock import utc_now
from server.domain.errors import Refused
from server.domain.models import AuditEntry, AuthToken, Role, User
from tests.conftest import Account, MakeAccount


@pytest.fixture(autouse=True)
def fresh_touches(monkeypatch: pytest.MonkeyPatch) -> sessions._Touches:
    """Each test starts with a process that has written no token's use."""
    touches = sessions._Touches()
    monkeypatch.setattr(sessions, "_touches", touches)
    return touches


async def add_token(
    user: User,
    *,
    device: str | None = None,
    revoked: bool = False,
    expires_in: timedelta = timedelta(hours=1),
) -> tuple[str, AuthToken]:
    """A new token of `user`: the secret and its row."""
    token = secrets.token_urlsafe(24)
    row = await AuthToken.create(
        user=user,
        token_hash=token_digest(token),
        device_name=device,
        expires_at=utc_now() + expires_in,
        revoked_at=utc_now() if revoked else None,
    )
    return token, row


async def use_of(token: str) -> tuple[datetime | None, str | None]:
    """The token row's last use and address."""
    row = await AuthToken.get(token_hash=token_digest(token))
    return row.last_used_at, row.last_address


async def refusal_of(coroutine: object) -> Refused:
    """The refusal the awaited coroutine raises."""
    with pytest.raises(Refused) as refused:
        await coroutine  # type: ignore[misc]
    return refused.value


# touch


async def test_the_first_use_is_written(office: Account) -> None:
    token, _ = await add_token(office.user)  # made without its first use, unlike issue_token's
    assert await use_of(token) == (None, None)
    before = utc_now()
    await sessions.touch(token_digest(token), "198.51.100.7")
    used_at, address = await use_of(token)
    assert address == "198.51.100.7"
    assert used_at is not None
    assert before - timedelta(seconds=1) <= used_at <= utc_now() + timedelta(seconds=1)


async def test_a_second_use_within_a_minute_is_not_written_even_from_elsewhere(
    office: Account,
) -> None:
    digest = token_digest(office.token)
    await sessions.touch(digest, "198.51.100.7")
    first = await use_of(office.token)
    await sessions.touch(digest, "203.0.113.9")
    await sessions.touch(digest, "203.0.113.10")
    assert await use_of(office.token) == first


async def test_another_process_within_a_minute_does_not_write_either(
    office: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh process memory asks the database, whose row is less than a minute old."""
    digest = token_digest(office.token)
    await sessions.touch(digest, "198.51.100.7")
    first = await use_of(office.token)
    monkeypatch.setattr(sessions, "_touches", sessions._Touches())
    await sessions.touch(digest, "203.0.113.9")
    assert await use_of(office.token) == first


async def test_a_use_after_a_minute_is_written_again(
    office: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = token_digest(office.token)
    await sessions.touch(digest, "198.51.100.7")
    long_ago = utc_now() - timedelta(minutes=2)
    await AuthToken.filter(token_hash=digest).update(last_used_at=long_ago)
    clock = sessions.time.monotonic() + 61
    monkeypatch.setattr(sessions.time, "monotonic", lambda: clock)
    await sessions.touch(digest, "203.0.113.9")
    used_at, address = await use_of(office.token)
    assert address == "203.0.113.9"
    assert used_at is not None and used_at > long_ago + timedelta(minutes=1)


async def test_the_process_memory_alone_holds_back_a_write_within_its_minute(
    office: Account,
) -> None:
    """Even when the row is old, the process does not ask again within its minute."""
    token, _ = await add_token(office.user)
    digest = token_digest(token)
    await sessions.touch(digest, "198.51.100.7")
    long_ago = utc_now() - timedelta(minutes=2)
    await AuthToken.filter(token_hash=digest).update(last_used_at=long_ago)
    await sessions.touch(digest, "203.0.113.9")
    used_at, address = await use_of(token)
    assert address == "198.51.100.7"
    assert used_at is not None and abs(used_at - long_ago) < timedelta(seconds=1)


async def test_a_long_address_is_cut_to_the_column(office: Account) -> None:
    token, _ = await add_token(office.user)
    await sessions.touch(token_digest(token), "a" * 500)
    assert (await use_of(token))[1] == "a" * 64


async def test_a_revoked_token_is_not_touched(office: Account) -> None:
    token, _ = await add_token(office.user, revoked=True)
    await sessions.touch(token_digest(token), "198.51.100.7")
    assert await use_of(token) == (None, None)


async def test_a_revoked_token_is_not_touched_through_authenticate(office: Account) -> None:
    token, _ = await add_token(office.user, revoked=True)
    assert await accounts.authenticate(token, "198.51.100.7") is None
    assert await use_of(token) == (None, None)


async def test_an_unknown_digest_writes_nothing(office: Account) -> None:
    issued = await use_of(office.token)
    await sessions.touch(token_digest("no-such-token"), "198.51.100.7")
    assert await use_of(office.token) == issued


async def test_the_process_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sessions, "_TOUCHES_KEPT", 3)
    touches = sessions._Touches()
    for n in range(10):
        assert touches.due(f"d{n}")
        assert len(touches.at) <= 3


# authenticate


async def test_authenticate_returns_the_user_and_touches_the_token(office: Account) -> None:
    token, _ = await add_token(office.user)
    user = await accounts.authenticate(token, "198.51.100.7")
    assert user is not None and user.id == office.user.id
    used_at, address = await use_of(token)
    assert used_at is not None
    assert address == "198.51.100.7"


async def test_authenticate_refuses_revoked_expired_unknown_and_disabled(
    office: Account, make_account: MakeAccount
) -> None:
    revoked, _ = await add_token(office.user, revoked=True)
    expired, _ = await add_token(office.user, expires_in=timedelta(seconds=-1))
    for token in (revoked, expired, "no-such-token", ""):
        assert await accounts.authenticate(token, "198.51.100.7") is None
    assert await use_of(revoked) == (None, None)
    assert await use_of(expired) == (None, None)
    disabled = await make_account(Role.OFFICE, "gone", is_active=False)
    issued = await use_of(disabled.token)
    assert await accounts.authenticate(disabled.token, "198.51.100.7") is None
    assert await use_of(disabled.token) == issued


async def test_authenticate_keeps_a_hostile_address_storable(office: Account) -> None:
    token, _ = await add_token(office.user)
    await accounts.authenticate(token, "1.2.3.4\x00" + "\udc80" + "x" * 200)
    address = (await use_of(token))[1]
    assert address is not None
    assert "\x00" not in address
    assert len(address) == 64
    assert address.startswith("1.2.3.4\ufffd?")


# live_sessions_of


async def test_live_sessions_leave_out_revoked_and_expired_ones(
    office: Account, supervisor: Account
) -> None:
    own = await office_token_row(office)
    _, phone = await add_token(office.user, device="phone")
    _, tablet = await add_token(office.user, device="tablet")
    await add_token(office.user, device="revoked", revoked=True)
    await add_token(office.user, device="expired", expires_in=timedelta(seconds=-1))
    now = utc_now()
    await AuthToken.filter(id=own.id).update(created_at=now - timedelta(days=2))
    await AuthToken.filter(id=phone.id).update(created_at=now - timedelta(hours=1))
    await AuthToken.filter(id=tablet.id).update(created_at=now - timedelta(days=1))
    found = await sessions.live_sessions_of([office.user.id, supervisor.user.id, 999_999])
    assert set(found) == {office.user.id, supervisor.user.id}
    mine = found[office.user.id]
    assert [row.id for row in mine] == [phone.id, tablet.id, own.id]
    assert [row.device_name for row in mine] == ["phone", "tablet", None]
    assert all(row.user_id == office.user.id and row.revoked_at is None for row in mine)
    assert [row.user_id for row in found[supervisor.user.id]] == [supervisor.user.id]


async def office_token_row(account: Account) -> AuthToken:
    """The row of the account's own token."""
    return await AuthToken.get(token_hash=token_digest(account.token))


async def test_live_sessions_of_nobody_is_empty() -> None:
    assert await sessions.live_sessions_of([]) == {}


async def test_a_user_without_live_sessions_is_absent(office: Account) -> None:
    await AuthToken.filter(user_id=office.user.id).update(revoked_at=utc_now())
    assert await sessions.live_sessions_of([office.user.id]) == {}


async def test_is_current_tells_the_callers_token(office: Account) -> None:
    (row,) = (await sessions.live_sessions_of([office.user.id]))[office.user.id]
    assert sessions.is_current(row, token_digest(office.token))
    assert not sessions.is_current(row, token_digest("other"))
    assert not sessions.is_current(row, None)


# revoke_session


async def test_a_user_ends_one_of_their_own_sessions(office: Account) -> None:
    _, phone = await add_token(office.user, device="phone")
    ended = await sessions.revoke_session(office.user, phone.id)
    assert ended.id == phone.id
    assert (await AuthToken.get(id=phone.id)).revoked_at is not None
    assert (await office_token_row(office)).revoked_at is None
    entry = await AuditEntry.get(action="revokeSession")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        office.user.id,
        "AuthToken",
        str(phone.id),
    )
    assert entry.after == {"user_id": office.user.id, "device_name": "phone"}
    assert "token_hash" not in str(entry.after)


async def test_an_admin_ends_anyones_session(admin: Account, office: Account) -> None:
    row = await office_token_row(office)
    await sessions.revoke_session(admin.user, row.id)
    assert (await AuthToken.get(id=row.id)).revoked_at is not None
    assert await accounts.authenticate(office.token, "198.51.100.7") is None
    entry = await AuditEntry.get(action="revokeSession")
    assert entry.actor_id == admin.user.id


async def test_someone_elses_session_looks_missing(
    office: Account, supervisor: Account, make_account: MakeAccount
) -> None:
    row = await office_token_row(office)
    for actor in (supervisor.user, (await make_account(Role.COORDINATOR)).user):
        refused = await refusal_of(sessions.revoke_session(actor, row.id))
        assert (refused.code, refused.field) == ("NOT_FOUND", ("input", "sessionId"))
        assert refused.message == "No such session."
    assert (await AuthToken.get(id=row.id)).revoked_at is None
    assert not await AuditEntry.exists()


async def test_a_missing_session_is_not_found(admin: Account) -> None:
    for session_id in (None, 999_999, -1, 0):
        refused = await refusal_of(sessions.revoke_session(admin.user, session_id))
        assert (refused.code, refused.field) == ("NOT_FOUND", ("input", "sessionId"))
    assert not await AuditEntry.exists()


async def test_an_ended_session_cannot_be_ended_again(office: Account) -> None:
    _, revoked = await add_token(office.user, revoked=True)
    _, expired = await add_token(office.user, expires_in=timedelta(seconds=-1))
    for row in (revoked, expired):
        refused = await refusal_of(sessions.revoke_session(office.user, row.id))
        assert (refused.code, refused.field) == ("INVALID", ("input", "sessionId"))
        assert "already ended" in refused.message
    assert (await AuthToken.get(id=expired.id)).revoked_at is None
    _, phone = await add_token(office.user, device="phone")
    await sessions.revoke_session(office.user, phone.id)
    refused = await refusal_of(sessions.revoke_session(office.user, phone.id))
    assert refused.code == "INVALID"
    assert await AuditEntry.filter(action="revokeSession").count() == 1


# revoke_all


async def test_revoke_all_ends_every_live_token_but_the_kept_one(
    office: Account, supervisor: Account
) -> None:
    kept, _ = await add_token(office.user)
    await add_token(office.user)
    _, revoked = await add_token(office.user, revoked=True)
    revoked_at = revoked.revoked_at
    assert await sessions.revoke_all(office.user.id, token_digest(kept)) == 2
    live = await AuthToken.filter(user_id=office.user.id, revoked_at__isnull=True)
    assert [row.token_hash for row in live] == [token_digest(kept)]
    stored = await AuthToken.get(id=revoked.id)
    assert stored.revoked_at is not None and revoked_at is not None
    assert abs(stored.revoked_at - revoked_at) < timedelta(seconds=1)
    assert (await office_token_row(supervisor)).revoked_at is None
    assert await sessions.revoke_all(office.user.id) == 1
    assert await sessions.revoke_all(office.user.id) == 0
