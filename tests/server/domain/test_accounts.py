"""Sign-in rules called directly: throttle, hashing off the loop, rehashing, hostile input."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from argon2 import PasswordHasher, extract_parameters

from server.domain import accounts
from server.domain.clock import utc_now
from server.domain.errors import Refused
from server.domain.models import AuditEntry, LoginFailure, Role, User
from server.settings import Settings
from tests.conftest import TEST_PASSWORD, MakeAccount

STRANGER = "203.0.113.5"
HOME = "198.51.100.7"


async def refusal(
    settings: Settings, username: str, password: str, address: str = STRANGER
) -> Refused:
    """The refusal raised by signing in with these credentials."""
    with pytest.raises(Refused) as refused:
        await accounts.check_credentials(settings, username, password, address)
    return refused.value


@pytest.fixture
def count_verifications(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """Counts password verifications from now on: `count_verifications()` -> how many so far."""
    calls: list[str] = []
    verify = accounts.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password)
        return verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    return lambda: len(calls)


def test_hashes_use_owasp_parameters() -> None:
    parameters = extract_parameters(accounts.hash_password("anything"))
    assert (parameters.type.name, parameters.memory_cost) == ("ID", 19_456)
    assert (parameters.time_cost, parameters.parallelism) == (2, 1)


def test_the_dummy_hash_is_not_computed_at_import() -> None:
    probe = "import server.domain.accounts as a; print(a._dummy_hash.cache_info().currsize)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "0", result.stderr


async def test_a_stranger_cannot_lock_the_user_out_from_elsewhere(
    settings: Settings, make_account: MakeAccount
) -> None:
    account = await make_account(Role.ADMIN, "admin")
    for _ in range(settings.login_max_failures):
        assert (await refusal(settings, "admin", "guess")).code == "INVALID"
    throttled = await refusal(settings, "admin", TEST_PASSWORD)
    assert throttled.code == "RATE_LIMITED"
    assert "try again in 15 minutes" in throttled.message
    user = await accounts.check_credentials(settings, "admin", TEST_PASSWORD, HOME)
    assert user.id == account.user.id


async def test_the_refusal_says_when_to_retry(settings: Settings, office_user: User) -> None:
    for _ in range(settings.login_max_failures):
        await refusal(settings, "office", "guess")
    await LoginFailure.all().update(at=utc_now() - timedelta(minutes=10))
    assert "try again in 5 minutes" in (await refusal(settings, "office", "guess")).message
    await LoginFailure.all().update(at=utc_now() - timedelta(minutes=14, seconds=30))
    assert "try again in 1 minute." in (await refusal(settings, "office", "guess")).message


async def test_throttled_attempts_are_neither_hashed_nor_counted(
    settings: Settings, office_user: User, count_verifications: Callable[[], int]
) -> None:
    for _ in range(settings.login_max_failures):
        await refusal(settings, "office", "guess")
    assert count_verifications() == settings.login_max_failures
    for _ in range(3):
        assert (await refusal(settings, "office", TEST_PASSWORD)).code == "RATE_LIMITED"
    assert count_verifications() == settings.login_max_failures
    assert await LoginFailure.filter(address=STRANGER).count() == settings.login_max_failures


async def test_parallel_wrong_passwords_are_throttled_like_sequential_ones(
    settings: Settings, make_account: MakeAccount, count_verifications: Callable[[], int]
) -> None:
    """The throttle holds when the guesses arrive at once: each attempt is recorded before
    the count that decides it, so no burst can slip past the limit."""
    await make_account(Role.ADMIN, "admin")
    attempts = await asyncio.gather(*(refusal(settings, "admin", f"guess-{n}") for n in range(40)))
    codes = [attempt.code for attempt in attempts]
    assert set(codes) <= {"INVALID", "RATE_LIMITED"}
    assert codes.count("INVALID") <= settings.login_max_failures
    assert count_verifications() <= settings.login_max_failures
    assert count_verifications() == codes.count("INVALID")
    failures = await LoginFailure.filter(username="admin", address=STRANGER).count()
    assert failures == codes.count("INVALID")


async def test_parallel_guesses_over_many_usernames_are_throttled_per_address(
    settings: Settings, count_verifications: Callable[[], int]
) -> None:
    spraying = dataclasses.replace(settings, login_max_failures_per_address=4)
    attempts = await asyncio.gather(
        *(refusal(spraying, f"made-up-{n}", "guess") for n in range(30))
    )
    codes = [attempt.code for attempt in attempts]
    assert codes.count("INVALID") <= 4
    assert codes.count("RATE_LIMITED") == 30 - codes.count("INVALID")
    assert count_verifications() <= 4
    assert await LoginFailure.filter(address=STRANGER).count() == codes.count("INVALID")


async def test_a_correct_sign_in_leaves_no_failure_behind(
    settings: Settings, office_user: User
) -> None:
    await refusal(settings, "office", "guess", HOME)
    user = await accounts.check_credentials(settings, "office", TEST_PASSWORD, HOME)
    assert user.id == office_user.id
    assert await LoginFailure.filter(address=HOME).count() == 1
    for _ in range(settings.login_max_failures + 2):
        await accounts.check_credentials(settings, "office", TEST_PASSWORD, HOME)
    assert await LoginFailure.filter(address=HOME).count() == 1


async def test_a_sign_in_at_the_limit_is_still_checked(
    settings: Settings, office_user: User
) -> None:
    """Four failures and the user's own correct password: the fifth attempt is still let in."""
    for _ in range(settings.login_max_failures - 1):
        await refusal(settings, "office", "guess")
    assert (await accounts.check_credentials(settings, "office", TEST_PASSWORD, STRANGER)).id
    assert (await refusal(settings, "office", "guess")).code == "INVALID"
    assert (await refusal(settings, "office", TEST_PASSWORD)).code == "RATE_LIMITED"


async def test_one_address_trying_many_usernames_is_slowed(
    settings: Settings, office_user: User
) -> None:
    spraying = dataclasses.replace(settings, login_max_failures_per_address=4)
    for number in range(4):
        assert (await refusal(spraying, f"made-up-{number}", "guess")).code == "INVALID"
    assert (await refusal(spraying, "made-up-99", "guess")).code == "RATE_LIMITED"
    assert (await refusal(spraying, "office", TEST_PASSWORD)).code == "RATE_LIMITED"
    assert (await accounts.check_credentials(spraying, "office", TEST_PASSWORD, HOME)).username


async def test_a_limit_of_zero_is_off(settings: Settings) -> None:
    unlimited = dataclasses.replace(
        settings, login_max_failures=0, login_max_failures_per_address=0
    )
    for _ in range(settings.login_max_failures + 1):
        assert (await refusal(unlimited, "nobody", "guess")).code == "INVALID"


async def test_a_successful_sign_in_rehashes_an_outdated_hash(settings: Settings) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=2).hash(TEST_PASSWORD)
    await User.create(
        username="veteran", display_name="Veteran", role=Role.OFFICE, password_hash=weak
    )
    await accounts.check_credentials(settings, "veteran", TEST_PASSWORD, HOME)
    stored = (await User.get(username="veteran")).password_hash
    assert stored != weak
    assert extract_parameters(stored) == extract_parameters(accounts.hash_password("x"))
    assert accounts.verify_password(stored, TEST_PASSWORD)
    again = await accounts.check_credentials(settings, "veteran", TEST_PASSWORD, HOME)
    assert again.password_hash == stored


async def test_a_current_hash_is_kept(settings: Settings, office_user: User) -> None:
    await accounts.check_credentials(settings, "office", TEST_PASSWORD, HOME)
    assert (await User.get(username="office")).password_hash == office_user.password_hash


async def test_verification_runs_off_the_event_loop(
    settings: Settings, office_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The verification waits for the loop to release it: on the loop it could not finish."""
    started, released = threading.Event(), threading.Event()

    def blocking_verify(password_hash: str, password: str) -> bool:
        started.set()
        return released.wait(timeout=10)

    monkeypatch.setattr(accounts, "verify_password", blocking_verify)
    signing_in = asyncio.create_task(accounts.check_credentials(settings, "office", "pw", HOME))
    assert await asyncio.to_thread(started.wait, 10)
    released.set()  # only possible because the loop is free while verify_password runs
    assert (await signing_in).username == "office"


async def until(condition: Callable[[], bool], seconds: float = 10) -> None:
    """Return once `condition()` holds; fail the test after `seconds`."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.001)


async def test_hashing_is_bounded_by_the_concurrency_setting(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six hashes at once: the allowed number run, and the rest are seen waiting for a slot
    (a state nothing but a release ends) before the bound is checked."""
    running, most, waiting = 0, 0, 0
    lock, released = threading.Lock(), threading.Event()
    both_running = threading.Event()
    gate = accounts._gate(settings)
    acquire = gate.acquire

    async def counted_acquire() -> bool:
        nonlocal waiting
        waiting += 1
        try:
            return await acquire()
        finally:
            waiting -= 1

    monkeypatch.setattr(gate, "acquire", counted_acquire)

    def blocking_hash(password: str) -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            if running == settings.password_hash_concurrency:
                both_running.set()
        released.wait(timeout=10)
        with lock:
            running -= 1
        return password

    monkeypatch.setattr(accounts, "hash_password", blocking_hash)
    tasks = [
        asyncio.create_task(accounts.hash_password_off_loop(settings, str(n))) for n in range(6)
    ]
    assert await asyncio.to_thread(both_running.wait, 10)
    await until(lambda: waiting == 6 - settings.password_hash_concurrency)
    assert most == settings.password_hash_concurrency
    released.set()
    assert await asyncio.gather(*tasks) == [str(n) for n in range(6)]
    assert most == settings.password_hash_concurrency


async def test_an_over_long_password_is_refused_without_hashing(
    settings: Settings, office_user: User, count_verifications: Callable[[], int]
) -> None:
    refused = await refusal(settings, "office", "x" * (accounts.MAX_PASSWORD_LENGTH + 1))
    assert refused.code == "INVALID"
    assert str(accounts.MAX_PASSWORD_LENGTH) in refused.message
    assert count_verifications() == 0
    assert await LoginFailure.filter(username="office").count() == 1


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("", ""),
        ("office", ""),
        ("x" * 1_000_000, "guess"),
        ("office", "y" * 1_000_000),
        ("off\x00ice", "pass\x00word"),
        ("\ud800office", "\udfffguess"),
        ("office" + "\u00e9" * 100, "guess"),
    ],
)
async def test_hostile_credentials_are_refused_cleanly(
    settings: Settings, office_user: User, username: str, password: str
) -> None:
    assert (await refusal(settings, username, password)).code == "INVALID"
    stored = await LoginFailure.get(address=STRANGER)
    assert len(stored.username) <= 64
    assert "\x00" not in stored.username


async def test_hostile_addresses_are_stored_cleanly(settings: Settings) -> None:
    await refusal(settings, "nobody", "guess", "a\x00" * 100)
    assert len((await LoginFailure.get(username="nobody")).address or "") == 64


async def test_expired_failures_are_pruned(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await LoginFailure.create(username="old", address=HOME)
    await LoginFailure.all().update(at=utc_now() - timedelta(minutes=16))
    await LoginFailure.create(username="recent", address=HOME)
    monkeypatch.setattr(accounts._pruner, "next_at", 0.0)
    await refusal(settings, "nobody", "guess")
    names = await LoginFailure.all().order_by("username").values_list("username", flat=True)
    assert names == ["nobody", "recent"]


async def test_a_disabled_user_is_refused(settings: Settings, office_user: User) -> None:
    await User.filter(id=office_user.id).update(is_active=False)
    assert (await refusal(settings, "office", TEST_PASSWORD)).code == "INVALID"


async def test_issue_token_refuses_an_over_long_device_name(
    settings: Settings, office_user: User
) -> None:
    with pytest.raises(Refused) as refused:
        await accounts.issue_token(settings, office_user, "phone" * 100)
    assert (refused.value.code, refused.value.field) == ("INVALID", ("input", "deviceName"))
    issued = await accounts.issue_token(settings, office_user, "phone")
    assert await accounts.authenticate(issued.token, "127.0.0.1") == office_user


@pytest.fixture
async def office_user(make_account: MakeAccount) -> User:
    """An office user named `office` whose password is TEST_PASSWORD."""
    return (await make_account(Role.OFFICE, "office")).user


async def test_sign_in_and_out_are_audited(settings: Settings, office_user: User) -> None:
    issued = await accounts.sign_in(settings, office_user, "phone")
    await accounts.sign_out(office_user, issued.token)
    assert await accounts.authenticate(issued.token, "127.0.0.1") is None
    for token in (issued.token, None):
        with pytest.raises(Refused) as refused:
            await accounts.sign_out(office_user, token)
        assert refused.value.code == "UNAUTHENTICATED"
    entries = await AuditEntry.filter(object_id=str(office_user.id)).order_by("id")
    assert [(e.action, e.after) for e in entries] == [
        ("login", {"device_name": "phone"}),
        ("logout", {}),
    ]
