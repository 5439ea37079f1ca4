"""Counts the SQL statements of each HTTP request, reported in an `X-SQL-Statements` header.

Only mounted by `bench.app` when `WALLCHART_BENCH_COUNT_SQL=1`: it turns Tortoise's debug log on,
which costs time, so the bench counts on a separate server process from the one it times. The
statements of the latest request are kept, with their parameters, so that `GET /bench/explain`
can show the database's plan for each of them.
"""

from __future__ import annotations

import contextvars
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise import connections

HEADER = b"x-sql-statements"
STATEMENT_PREFIXES = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
# Tables with tens of thousands of rows or more at the zone's scale.
BIG_TABLES = frozenset(
    {
        "project",
        "milestone",
        "milestone_dependency",
        "rebaseline",
        "photo",
        "shortage_ticket",
        "ticket_event",
        "task_item",
        "phase",
    }
)

Statement = tuple[str, list[Any]]
_current: contextvars.ContextVar[list[Statement] | None] = contextvars.ContextVar(
    "wallchart_bench_statements", default=None
)
_latest: list[Statement] = []


class _StatementLog(logging.Handler):
    """Appends each SQL statement Tortoise logs (with its values) to the request's list."""

    def emit(self, record: logging.LogRecord) -> None:
        statements = _current.get()
        if statements is None or not record.args:
            return
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        sql = str(args[0])
        if sql.lstrip().upper().startswith(STATEMENT_PREFIXES):
            values = args[1] if len(args) > 1 and isinstance(args[1], list | tuple) else []
            statements.append((sql, list(values)))


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
        if scope["type"] != "http" or scope["path"] == "/bench/explain":
            await self.app(scope, receive, send)
            return
        statements: list[Statement] = []
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
            _latest[:] = statements


def _postgres_scans(plan: Any, found: set[str]) -> set[str]:
    if isinstance(plan, dict):
        if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in BIG_TABLES:
            found.add(plan["Relation Name"])
        for value in plan.values():
            _postgres_scans(value, found)
    elif isinstance(plan, list):
        for value in plan:
            _postgres_scans(value, found)
    return found


def _sqlite_scans(details: list[str]) -> set[str]:
    found = set()
    for detail in details:
        words = detail.split()
        full = len(words) >= 2 and words[0] == "SCAN" and "INDEX" not in words
        if full and words[1] in BIG_TABLES:
            found.add(words[1])
    return found


async def explain(request: Request) -> Response:
    """The plan of each statement of the latest counted request, and its full scans."""
    connection = connections.get("default")
    sqlite = connection.capabilities.dialect == "sqlite"
    report = []
    for sql, values in list(_latest):
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        if sqlite:
            rows = await connection.execute_query_dict(f"EXPLAIN QUERY PLAN {sql}", values)
            details = [str(row.get("detail", "")) for row in rows]
            scans = _sqlite_scans(details)
        else:
            rows = await connection.execute_query_dict(f"EXPLAIN (FORMAT JSON) {sql}", values)
            plan = rows[0]["QUERY PLAN"]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            details = [json.dumps(plan, ensure_ascii=False)]
            scans = _postgres_scans(plan, set())
        report.append({"sql": sql, "full_scans": sorted(scans), "plan": details})
    return JSONResponse(report)


ROUTES = [Route("/bench/explain", explain)]
