"""Request bodies read against the clock, so a slow or silent client cannot hold a request open.

A body must have arrived whole within a deadline, and after a grace period it must keep up a
minimum average rate. Both rules come down to one instant by which the next chunk must have
come: `min(start + deadline, start + grace + received / min_rate)`. Each wait for a chunk runs
under `asyncio.timeout_at` with that instant, so a client that sends nothing at all is cut off
too. The timeout covers only the wait for the next chunk, never the caller's work between
chunks (a timeout held across a `yield` would cancel whatever the caller is doing), but the
instant is absolute, so time the caller spends still counts against the client's budget.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.requests import Request

from server.api.http_errors import BadRequest
from server.settings import Settings


class BodyTooSlow(BadRequest):
    """The request body did not arrive in time: 408 with code TIMEOUT."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 408, "TIMEOUT")


@dataclass(frozen=True)
class ReadBudget:
    """How long a body may take; a rule whose figure is 0 is off."""

    deadline_seconds: float
    grace_seconds: float
    min_bytes_per_second: float

    def deadline(self, start: float) -> float | None:
        """When the whole body must have arrived."""
        return start + self.deadline_seconds if self.deadline_seconds > 0 else None

    def rate_cutoff(self, start: float, received: int) -> float | None:
        """When the next chunk must have come for the average rate to stay above the minimum."""
        if self.min_bytes_per_second <= 0:
            return None
        return start + self.grace_seconds + received / self.min_bytes_per_second

    def cutoff(self, start: float, received: int) -> float | None:
        """The instant by which the next chunk must have arrived (None: no limit)."""
        limits = [
            limit
            for limit in (self.deadline(start), self.rate_cutoff(start, received))
            if limit is not None
        ]
        return min(limits, default=None)

    def refusal(self, start: float, now: float, received: int) -> BodyTooSlow:
        """The error that says which rule the client broke."""
        deadline = self.deadline(start)
        if deadline is not None and now >= deadline:
            return BodyTooSlow(
                f"The request body did not arrive within {self.deadline_seconds:g} s; "
                f"reading stopped after {received} bytes."
            )
        return BodyTooSlow(
            f"The request body arrived slower than {self.min_bytes_per_second:g} bytes a second "
            f"(after the first {self.grace_seconds:g} s); reading stopped after {received} bytes "
            f"in {now - start:.1f} s."
        )


async def stream_within_budget(
    request: Request,
    *,
    deadline_seconds: float,
    grace_seconds: float,
    min_bytes_per_second: float,
) -> AsyncIterator[bytes]:
    """The body's chunks as they arrive; raises BodyTooSlow when the client falls behind.

    The whole body must arrive within `deadline_seconds`, and from `grace_seconds` on at least
    `min_bytes_per_second` on average (a figure of 0 turns its rule off). Iterate it under
    `contextlib.aclosing` so an early exit closes the request stream at once.
    """
    budget = ReadBudget(deadline_seconds, grace_seconds, min_bytes_per_second)
    loop = asyncio.get_running_loop()
    start = loop.time()
    received = 0
    async with contextlib.aclosing(request.stream()) as chunks:
        while True:
            try:
                async with asyncio.timeout_at(budget.cutoff(start, received)):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise budget.refusal(start, loop.time(), received) from None
            received += len(chunk)
            yield chunk


def body_chunks(request: Request, settings: Settings) -> AsyncIterator[bytes]:
    """The request body within the settings' deadline and minimum rate (see above)."""
    return stream_within_budget(
        request,
        deadline_seconds=settings.upload_deadline_seconds,
        grace_seconds=settings.upload_grace_seconds,
        min_bytes_per_second=settings.upload_min_bytes_per_second,
    )
