"""One log line per request, its request id, and its metrics: the outermost middleware.

The request id comes from the client's or proxy's `X-Request-ID` when it is a sane value, else
it is generated; it is returned in the response's `X-Request-ID`. The line holds the request's
facts (`server.telemetry.requests`) and never its query string, headers or body, where tokens
and photo URL signatures travel.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.settings import Settings
from server.telemetry import metrics, requests, statements
from server.telemetry.requests import RequestFacts

logger = logging.getLogger("wallchart.request")

HEADER = b"x-request-id"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def request_id_of(scope: Scope) -> str:
    """The request's `X-Request-ID` when it is 1–128 of [A-Za-z0-9._-], else a new uuid4 hex."""
    for name, value in scope.get("headers", ()):
        if name.lower() == HEADER:
            candidate = value.decode("latin-1")
            if _SANE_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def log_fields(facts: RequestFacts, seconds: float) -> dict[str, Any]:
    """The fields of a request's log line: its facts and its duration in milliseconds."""
    return {**vars(facts), "duration_ms": round(seconds * 1000, 3)}


class RequestLog:
    """Pure ASGI middleware: gives each HTTP request an id and facts, then logs and counts it."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.slow_request_ms = settings.slow_request_ms
        statements.install()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request with its facts current; log and record it when it ends."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        facts = RequestFacts(request_id=request_id, method=scope["method"], path=scope["path"])
        id_header = (HEADER, request_id.encode("latin-1"))

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                facts.status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), id_header]}
            elif message["type"] == "http.response.body":
                facts.bytes_out += len(message.get("body", b""))
            await send(message)

        token = requests.begin(facts)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_counted)
        except Exception:
            facts.status = facts.status or 500
            fields = log_fields(facts, time.perf_counter() - started)
            logger.exception("unhandled error", extra=fields)
            raise
        finally:
            seconds = time.perf_counter() - started
            requests.end(token)
            fields = log_fields(facts, seconds)
            logger.info("request", extra=fields)
            if seconds * 1000 > self.slow_request_ms:
                logger.warning(
                    "slow request", extra={**fields, "slow_request_ms": self.slow_request_ms}
                )
            metrics.record_request(facts, seconds)
