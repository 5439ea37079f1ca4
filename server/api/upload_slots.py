"""A cap on the uploads one user runs at once in this process.

A slow upload holds a request, a spooled file and a file handle until its deadline; a signed-in
user may hold only a few. Past the cap the request is refused at once, before its body is read.
The count is per process: with several worker processes a user may hold the cap in each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from server.api.http_errors import BadRequest
from server.settings import Settings
from server.telemetry import metrics

RETRY_AFTER_SECONDS = 5


class TooManyUploads(BadRequest):
    """The user already runs as many uploads as allowed: 429, RATE_LIMITED, with Retry-After."""

    def __init__(self, limit: int, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(
            f"You already have {limit} uploads under way, the most allowed at once: "
            f"wait for one to finish and try again in {retry_after} s.",
            429,
            "RATE_LIMITED",
        )
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        """The Retry-After header to send with the refusal."""
        return {"Retry-After": str(self.retry_after)}


class UploadSlots:
    """Counts each user's uploads under way; `hold(user_id)` takes a slot for one request."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: Counter[int] = Counter()

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadSlots:
        """Slots of `settings.max_uploads_per_user` uploads per user."""
        return cls(settings.max_uploads_per_user)

    def in_use(self, user_id: int) -> int:
        """How many uploads the user runs now."""
        return self._held[user_id]

    @contextmanager
    def hold(self, user_id: int) -> Iterator[None]:
        """Hold one of the user's slots for the block; raises TooManyUploads when none is free.

        The check and the count happen with no await between them, so concurrent requests
        on the event loop cannot both take the last slot.
        """
        if self._held[user_id] >= self.limit:
            metrics.record_throttled("uploads")
            raise TooManyUploads(self.limit)
        self._held[user_id] += 1
        try:
            yield
        finally:
            self._held[user_id] -= 1
            if self._held[user_id] <= 0:
                del self._held[user_id]
