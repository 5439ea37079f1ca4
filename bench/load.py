"""Load generation: concurrent keep-alive httpx clients against one URL, from this process."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class Request:
    """One HTTP request the bench repeats: a GraphQL POST or a bare route's GET."""

    path: str
    json: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    async def send(self, client: httpx.AsyncClient) -> httpx.Response:
        """Send it on `client` (which holds the base URL and keeps connections alive)."""
        if self.json is None:
            return await client.get(self.path, headers=self.headers)
        return await client.post(self.path, json=self.json, headers=self.headers)


@dataclass
class Measurement:
    """What one timed run of a request gave."""

    requests: int
    failures: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        """Successful requests per second."""
        return (self.requests - self.failures) / self.seconds

    @property
    def median_latency(self) -> float:
        """Median latency in seconds."""
        return statistics.median(self.latencies)

    def summary(self) -> dict[str, float]:
        """The raw figures, for results.json."""
        ordered = sorted(self.latencies)
        return {
            "requests": self.requests,
            "failures": self.failures,
            "seconds": round(self.seconds, 3),
            "throughput_rps": round(self.throughput, 1),
            "median_ms": round(self.median_latency * 1000, 3),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
        }


def without_extensions(answer: Any) -> Any:
    """A GraphQL answer without its `extensions` (the cost every answer carries)."""
    if not isinstance(answer, dict):
        return answer
    return {key: value for key, value in answer.items() if key != "extensions"}


def client(base_url: str, connections: int) -> httpx.AsyncClient:
    """A keep-alive client with room for `connections` concurrent requests."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0)


async def run(
    http: httpx.AsyncClient, request: Request, *, concurrency: int, seconds: float
) -> Measurement:
    """Send `request` from `concurrency` workers for `seconds`; failures are non-200 answers."""
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal failures
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await request.send(http)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200 or b'"errors"' in response.content:
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Measurement(len(latencies), failures, time.perf_counter() - started, latencies)


async def warm_up(http: httpx.AsyncClient, request: Request, times: int = 20) -> httpx.Response:
    """Send the request a few times (connections, caches); return the last answer."""
    response = await request.send(http)
    for _ in range(times - 1):
        response = await request.send(http)
    return response
