"""Bodies read against the clock (silent and trickling clients), and per-user upload slots."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from starlette.requests import Request

from server.api.slow_clients import BodyTooSlow, ReadBudget, stream_within_budget
from server.api.upload_slots import TooManyUploads, UploadSlots
from server.settings import Settings

Receive = Callable[[], Awaitable[dict[str, Any]]]


def request_with(receive: Receive) -> Request:
    """A POST request whose body comes from `receive`."""
    scope = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""}
    return Request(scope, receive)


def silent() -> Receive:
    """A client that opened the request and never sends a byte."""

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    return receive


def trickle(chunk: bytes, pause: float, times: int = 10**9) -> Receive:
    """A client that sends `chunk` after every `pause`, `times` times (for ever by default)."""
    sent = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        await asyncio.sleep(pause)
        sent += 1
        return {"type": "http.request", "body": chunk, "more_body": sent < times}

    return receive


def prompt(chunks: list[bytes]) -> Receive:
    """A client that sends `chunks` at once."""
    pending = list(chunks)

    async def receive() -> dict[str, Any]:
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    return receive


async def read_all(receive: Receive, **budget: float) -> list[bytes]:
    """Every chunk stream_within_budget yields for this client."""
    chunks = stream_within_budget(request_with(receive), **budget)
    async with contextlib.aclosing(chunks):
        return [chunk async for chunk in chunks]


async def test_a_client_that_sends_nothing_is_cut_off_at_the_deadline() -> None:
    with pytest.raises(BodyTooSlow) as refused:
        await read_all(silent(), deadline_seconds=0.2, grace_seconds=60, min_bytes_per_second=1024)
    assert (refused.value.status, refused.value.code) == (408, "TIMEOUT")
    assert "did not arrive within 0.2 s" in refused.value.message
    assert "after 0 bytes" in refused.value.message


async def test_a_silent_client_is_cut_off_after_the_grace_period_too() -> None:
    with pytest.raises(BodyTooSlow) as refused:
        await read_all(silent(), deadline_seconds=60, grace_seconds=0.1, min_bytes_per_second=1)
    assert refused.value.code == "TIMEOUT"
    assert "slower than 1 bytes a second" in refused.value.message


async def test_a_trickle_below_the_minimum_rate_is_cut_off() -> None:
    """One byte per pause, with no grace and a rate no trickle reaches: the first wait fails."""
    with pytest.raises(BodyTooSlow) as refused:
        await read_all(
            trickle(b"x", 0.01),
            deadline_seconds=60,
            grace_seconds=0,
            min_bytes_per_second=10**9,
        )
    assert refused.value.status == 408
    assert "slower than 1e+09 bytes a second" in refused.value.message


async def test_a_prompt_body_arrives_whole() -> None:
    chunks = await read_all(
        prompt([b"one", b"two", b"three"]),
        deadline_seconds=1,
        grace_seconds=1,
        min_bytes_per_second=1,
    )
    assert b"".join(chunks) == b"onetwothree"


async def test_rules_at_zero_are_off() -> None:
    chunks = await read_all(
        trickle(b"x", 0.01, times=3),
        deadline_seconds=0,
        grace_seconds=0,
        min_bytes_per_second=0,
    )
    assert b"".join(chunks) == b"xxx"
    assert ReadBudget(0, 0, 0).cutoff(100.0, 10**9) is None


def test_the_cutoff_is_the_earlier_of_deadline_and_rate() -> None:
    budget = ReadBudget(deadline_seconds=300, grace_seconds=10, min_bytes_per_second=1024)
    assert budget.cutoff(1000.0, 0) == 1010.0
    assert budget.cutoff(1000.0, 1024 * 100) == 1110.0
    assert budget.cutoff(1000.0, 1024 * 1000) == 1300.0
    assert ReadBudget(300, 10, 0).cutoff(1000.0, 0) == 1300.0
    assert ReadBudget(0, 10, 1024).cutoff(1000.0, 1024) == 1011.0


def test_the_refusal_names_the_rule_broken() -> None:
    budget = ReadBudget(deadline_seconds=300, grace_seconds=10, min_bytes_per_second=1024)
    late = budget.refusal(start=0.0, now=300.5, received=5_000_000)
    assert "did not arrive within 300 s" in late.message
    assert "5000000 bytes" in late.message
    slow = budget.refusal(start=0.0, now=12.0, received=2000)
    assert "slower than 1024 bytes a second (after the first 10 s)" in slow.message


# --- Upload slots -------------------------------------------------------------------------------


def test_a_user_holds_at_most_the_limit_and_others_are_unaffected() -> None:
    slots = UploadSlots(3)
    with contextlib.ExitStack() as stack:
        for _ in range(3):
            stack.enter_context(slots.hold(7))
        with pytest.raises(TooManyUploads) as refused, slots.hold(7):
            pass
        assert (refused.value.status, refused.value.code) == (429, "RATE_LIMITED")
        assert refused.value.headers == {"Retry-After": str(refused.value.retry_after)}
        assert "3 uploads" in refused.value.message
        with slots.hold(8):
            assert slots.in_use(8) == 1
        assert slots.in_use(7) == 3
    assert slots.in_use(7) == 0
    with slots.hold(7):
        assert slots.in_use(7) == 1


def test_a_failing_upload_gives_its_slot_back() -> None:
    slots = UploadSlots(1)
    with pytest.raises(RuntimeError), slots.hold(7):
        raise RuntimeError("the body was malformed")
    assert slots.in_use(7) == 0
    with slots.hold(7):
        pass


def test_slots_follow_the_setting() -> None:
    settings = Settings.from_env({}, secret_key="k", max_uploads_per_user=2)
    slots = UploadSlots.from_settings(settings)
    with slots.hold(1), slots.hold(1), pytest.raises(TooManyUploads), slots.hold(1):
        pass


async def test_concurrent_requests_never_exceed_the_limit() -> None:
    slots = UploadSlots(3)
    peak = 0
    release = asyncio.Event()

    async def upload() -> bool:
        nonlocal peak
        try:
            with slots.hold(7):
                peak = max(peak, slots.in_use(7))
                await release.wait()
                return True
        except TooManyUploads:
            return False

    tasks = [asyncio.create_task(upload()) for _ in range(10)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*tasks)
    assert results.count(True) == 3
    assert peak == 3
    assert slots.in_use(7) == 0
