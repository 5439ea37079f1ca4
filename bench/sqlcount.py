"""Counts the SQL statements of each HTTP request, reported in an `X-SQL-Statements` header.

Only mounted by `bench.app` when `WALLCHART_BENCH_COUNT_SQL=1`: it turns Tortoise's debug log on,
which costs time, so the bench counts on a separate server process from the one it times.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-sql-statements"
STATEMENT_PREFIXES = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")

_current: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "wallchart_bench_statements", default=None
)


class _StatementLog(logging.Handler):
    """Appends each SQL statement Tortoise logs to the current request's list."""

    def emit(self, record: logging.LogRecord) -> None:
        statements = _current.get()
        if statements is None:
            return
        message = str(record.msg % record.args if record.args else record.msg)
        if message.lstrip().upper().startswith(STATEMENT_PREFIXES):
            statements.append(message)


def install_statement_log() -> None:
    """Send Tortoise's SQL debug log to the per-request counter."""
    logger = logging.getLogger("tortoise.db_client")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(_StatementLog(level=logging.DEBUG))
    logger.propagate = False


class StatementCountMiddleware:
    """ASGI middleware adding the request's SQL statement count as a response header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        statements: list[str] = []
        token = _current.set(statements)

        async def send_with_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                headers.append((HEADER, str(len(statements)).encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_count)
        finally:
            _current.reset(token)
