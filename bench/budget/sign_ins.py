"""Row 2: `{ __typename }` latency while eight users sign in at once, over its latency idle."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from typing import Any

import httpx

from bench import load
from bench.budget.documents import PROBE
from bench.budget.samples import Sample, batch, outcome, p95, post, ratio, summary
from bench.budget.service import BudgetConfig, Service
from bench.report import Row

SIGN_IN_USERS = tuple(f"office_{i:02d}" for i in range(1, 9))


async def probe(http: httpx.AsyncClient, bc: BudgetConfig) -> list[Sample]:
    """`{ __typename }` every `probe_interval` for `probe_seconds`, timed from when it was due.

    Open loop: a probe is sent on time even while earlier ones still wait (the client has a
    few connections, and time spent waiting for one counts), so a stalled event loop is
    sampled as often as an idle one; a client that waited for each answer before sending
    the next would mostly sample the moments between stalls.
    """
    count = round(bc.probe_seconds / bc.probe_interval)
    start = time.perf_counter()

    async def one(index: int) -> Sample:
        await asyncio.sleep(max(0.0, start + index * bc.probe_interval - time.perf_counter()))
        return await post(http, {"query": PROBE}, bc.timeout)

    return list(await asyncio.gather(*(one(index) for index in range(count))))


SIGN_IN = """
mutation SignIn($username: String!, $password: String!) {
  login(input: {username: $username, password: $password, deviceName: "bench budget"}) {
    token
    errors { code message }
  }
}
"""


def login_outcome(answer: Any) -> str:
    """`token` when a login answer carries one, else its first user error's code."""
    payload = ((answer or {}).get("data") or {}).get("login") or {}
    if payload.get("token"):
        return "token"
    errors = payload.get("errors") or [{}]
    return str(errors[0].get("code") or "no token")


async def sign_in(http: httpx.AsyncClient, username: str, password: str, timeout: float) -> Sample:
    """One `login` mutation with its own timing; its code is `token` when a token came back."""
    body = {"query": SIGN_IN, "variables": {"username": username, "password": password}}
    started = time.perf_counter()
    try:
        response = await http.post("/graphql", json=body, timeout=timeout)
    except httpx.TransportError as exc:
        return Sample(time.perf_counter() - started, 0, f"transport: {type(exc).__name__}")
    seconds = time.perf_counter() - started
    code = outcome(response)
    if code == "data":
        code = login_outcome(response.json())
    return Sample(seconds, response.status_code, code)


async def sign_in_row(service: Service, bc: BudgetConfig, password: str) -> Row:
    """The probe's latency while eight users sign in at once, over its latency idle."""
    url = service.server.url
    async with (
        load.client(url, bc.probe_connections) as prober,
        load.client(url, len(SIGN_IN_USERS)) as signer,
    ):
        # First sign-ins: connections, and any rehash of the seeded hashes, before measuring.
        warm = await asyncio.gather(
            *(sign_in(signer, user, password, bc.timeout) for user in SIGN_IN_USERS)
        )
        await batch(prober, lambda _: PROBE, 0, 20, 1, bc.timeout)
        idle: list[Sample] = []
        busy: list[Sample] = []
        logins: list[Sample] = []
        busy_seconds = busy_cpu = 0.0
        for _ in range(min(bc.rounds, 3)):
            idle += await probe(prober, bc)
            stop = asyncio.Event()

            async def loop(user: str, stop: asyncio.Event = stop) -> None:
                while not stop.is_set():
                    logins.append(await sign_in(signer, user, password, bc.timeout))

            started, cpu = time.perf_counter(), service.server.cpu_seconds()
            tasks = [asyncio.create_task(loop(user)) for user in SIGN_IN_USERS]
            await asyncio.sleep(0.05)
            busy += await probe(prober, bc)
            stop.set()
            await asyncio.gather(*tasks)
            busy_seconds += time.perf_counter() - started
            busy_cpu += service.server.cpu_seconds() - cpu
    idle_ms = [s.seconds for s in idle]
    busy_ms = [s.seconds for s in busy]
    median = ratio(busy_ms, idle_ms, statistics.median)
    tail = ratio(busy_ms, idle_ms, p95)
    codes = Counter(s.code for s in logins)
    tokens = codes.get("token", 0)
    login_latencies = [s.seconds for s in logins] or [0.0]
    raw: dict[str, Any] = {
        "users": list(SIGN_IN_USERS),
        "credentials": "correct password of each seeded office user (no failures throttled)",
        "warm_up_logins": dict(Counter(s.code for s in warm)),
        "idle": summary(idle),
        "during_sign_ins": summary(busy),
        "ratio_median": round(median, 3),
        "ratio_p95": round(tail, 3),
        "logins": {
            "completed": len(logins),
            "answers": dict(codes),
            "per_second": round(len(logins) / busy_seconds, 2) if busy_seconds else None,
            "median_ms": round(statistics.median(login_latencies) * 1000, 1),
            "seconds": round(busy_seconds, 2),
            "server_cpu_per_second": round(busy_cpu / busy_seconds, 2) if busy_seconds else None,
        },
        "unanswered": sum(s.failed for s in idle + busy + logins),
    }
    all_tokens = tokens == len(logins) and len(logins) > 0
    note = (
        f"p95 {tail:.1f}x; probe {raw['idle']['median_ms']:.1f} -> "
        f"{raw['during_sign_ins']['median_ms']:.1f} ms; {len(logins)} sign-ins "
        f"({raw['logins']['per_second']}/s, median {raw['logins']['median_ms']:.0f} ms, "
        f"server CPU {raw['logins']['server_cpu_per_second']} s/s)"
    )
    if not all_tokens:
        note += f"; NOT all signed in: {dict(codes)}"
    return Row(
        name="{ __typename } during 8 sign-ins: latency vs idle",
        ratio=median,
        goal="<= 3.0",
        met=median <= 3.0 and all_tokens,
        note=note,
        raw=raw,
    )
