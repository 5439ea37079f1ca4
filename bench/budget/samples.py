"""Timed anonymous GraphQL requests, their outcomes, and the figures of many of them."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank, as load.summary)."""
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * share) - 1, 0)]


def ratio(ours: list[float], theirs: list[float], figure: Callable[[list[float]], float]) -> float:
    """figure(ours) / figure(theirs)."""
    return figure(ours) / figure(theirs)


def p95(values: list[float]) -> float:
    """95th percentile."""
    return percentile(values, 0.95)


@dataclass(frozen=True)
class Sample:
    """One request's outcome: latency, HTTP status (0 when none came) and a short code."""

    seconds: float
    status: int
    code: str

    @property
    def refused(self) -> bool:
        """A clean refusal: a 4xx answer with a GraphQL error."""
        return 400 <= self.status < 500 and self.code not in {"data", "not JSON"}

    @property
    def failed(self) -> bool:
        """No answer, or a server error."""
        return self.status == 0 or self.status >= 500


def outcome(response: httpx.Response) -> str:
    """The first error's `extensions.code` (or its message's start), else `data`."""
    try:
        answer = response.json()
    except ValueError:
        return "not JSON"
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if not errors:
        return "data"
    first = errors[0] if isinstance(errors[0], dict) else {}
    code = (first.get("extensions") or {}).get("code")
    return str(code) if code else "no code: " + str(first.get("message", "?"))[:60]


async def post(http: httpx.AsyncClient, body: dict[str, Any], timeout: float) -> Sample:
    """POST a GraphQL body anonymously and time it; timeouts and dropped connections too."""
    started = time.perf_counter()
    try:
        response = await http.post("/graphql", json=body, timeout=timeout)
    except httpx.TimeoutException:
        return Sample(time.perf_counter() - started, 0, "timeout")
    except httpx.TransportError as exc:
        return Sample(time.perf_counter() - started, 0, f"transport: {type(exc).__name__}")
    return Sample(time.perf_counter() - started, response.status_code, outcome(response))


async def batch(
    http: httpx.AsyncClient,
    documents: Callable[[int], str],
    start: int,
    count: int,
    concurrency: int,
    timeout: float,
) -> list[Sample]:
    """`count` requests of documents(start), documents(start + 1), ... from a few workers."""
    samples: list[Sample] = []
    numbers = iter(range(start, start + count))

    async def worker() -> None:
        for number in numbers:
            samples.append(await post(http, {"query": documents(number)}, timeout))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples


def summary(samples: list[Sample]) -> dict[str, Any]:
    """Raw figures of a set of samples, for results.json."""
    latencies = [s.seconds for s in samples]
    return {
        "requests": len(samples),
        "median_ms": round(statistics.median(latencies) * 1000, 3),
        "p95_ms": round(p95(latencies) * 1000, 3),
        "max_ms": round(max(latencies) * 1000, 3),
        "answers": dict(Counter(f"{s.status} {s.code}" for s in samples)),
    }
