"""What the counting server (`bench.sqlcount`) reports of a request: statements, full scans."""

from __future__ import annotations

from typing import Any

import httpx

from bench import load
from bench.sqlcount import HEADER


async def statements(http: httpx.AsyncClient, request: load.Request) -> int | None:
    """SQL statements one request runs, from the counting server's header."""
    response = await request.send(http)
    value = response.headers.get(HEADER.decode())
    return int(value) if value is not None else None


def _with(request: load.Request, **variables: Any) -> load.Request:
    body = dict(request.json or {})
    body["variables"] = {**body.get("variables", {}), **variables}
    return load.Request(request.path, body, request.headers)


async def statement_counts(
    http: httpx.AsyncClient, request: load.Request, variable: str | None, sizes: tuple[int, ...]
) -> tuple[str, dict[str, int | None]]:
    """Statements at each page size, as 'a / b' text and raw numbers."""
    if variable is None:
        count = await statements(http, request)
        return str(count), {"any": count}
    found = {
        str(size): await statements(http, _with(request, **{variable: size})) for size in sizes
    }
    text = " / ".join(f"{found[str(size)]}" for size in sizes)
    sizes_text = "/".join(str(size) for size in sizes)
    return f"{text} (first {sizes_text})", found


async def full_scans(http: httpx.AsyncClient) -> tuple[str, list[dict[str, Any]]]:
    """Big tables read in full by the latest counted request, from the database's plans."""
    plans = (await http.get("/bench/explain")).json()
    tables = sorted({table for plan in plans for table in plan["full_scans"]})
    return ", ".join(tables) or "none", plans
