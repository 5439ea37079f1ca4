"""Where a peer row's CPU goes: the whole request, through the real ASGI app, under cProfile.

`python -m bench.profile [--query home_data|home_full|overdue|office|me] [--requests N]`
uses the `make bench` database (prepared as the bench prepares it), signs the row's user in,
sends the row's document N times through httpx's ASGI transport after a warm-up, and prints
the share of the profiled time spent in each package (by the file each function is defined in;
own time, not cumulative) and the functions with the most own time. cProfile slows Python
code more than C code, so the shares are a map of the time, not the time itself; the CPU per
request without the profiler is printed first.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import pstats
import time
from collections import defaultdict
from typing import Any

import httpx

from bench import config, database, peer_queries
from bench.signin import login
from bench.versus import USERS
from server.api.app import create_app
from server.settings import Settings

# Where a function's file lies -> the package its time is counted under, first match wins.
PACKAGES = (
    ("/tortoise/", "tortoise"),
    ("/pypika", "tortoise"),
    ("/graphql/", "graphql-core"),
    ("/graphene/", "graphene"),
    ("/graphql_relay/", "graphene"),
    ("/aiodataloader", "aiodataloader"),
    ("/asyncpg/", "asyncpg"),
    ("/starlette/", "starlette"),
    ("/httpx/", "httpx (the client)"),
    ("/httpcore/", "httpx (the client)"),
    ("/anyio/", "anyio"),
    ("/asyncio/", "asyncio"),
    ("/wallchart/schema/", "schema"),
    ("/schema/", "schema"),
    ("/server/domain/", "server.domain"),
    ("/server/api/", "server.api"),
    ("/server/", "server"),
)


def package_of(filename: str) -> str:
    """The package a function's file belongs to ("builtins" for C functions)."""
    if filename == "~":
        return "builtins (C)"
    for marker, name in PACKAGES:
        if marker in filename:
            return name
    return "other Python"


async def profile(key: str, requests: int) -> None:
    """Profile `requests` requests of the peer row `key` and print where the time went."""
    cfg = config.config(quick=False)
    settings = Settings.from_env(database_url=cfg.database_url)
    await database.prepare(settings, cfg.projects)
    app = create_app(settings)
    pair = next(p for p in peer_queries.pairs(0, dt.date.today()) if p.key == key)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as http,
    ):
        token = await login(http, USERS[pair.user], settings.demo_password)
        headers = {"Authorization": f"Bearer {token}"}
        body: dict[str, Any] = {"query": pair.document, "variables": pair.variables}

        async def send(count: int) -> None:
            for _ in range(count):
                answer = await http.post("/graphql", json=body, headers=headers)
                if answer.status_code != 200 or "errors" in answer.json():
                    raise SystemExit(f"{key}: {answer.status_code} {answer.text[:300]}")

        await send(max(3, requests // 5))
        started = time.process_time()
        await send(requests)
        cpu_ms = (time.process_time() - started) * 1000 / requests
        print(f"{pair.label}: {cpu_ms:.2f} ms CPU per request in process (client included)")
        profiler = cProfile.Profile()
        profiler.enable()
        await send(requests)
        profiler.disable()
    stats = pstats.Stats(profiler)
    by_package: dict[str, float] = defaultdict(float)
    total = 0.0
    rows = []
    for (filename, line, function), entry in stats.stats.items():  # type: ignore[attr-defined]
        own = entry[2]
        total += own
        by_package[package_of(filename)] += own
        rows.append((own, entry[1], f"{package_of(filename)}: {function} ({line})"))
    print(f"profiled own time by package (total {total * 1000 / requests:.2f} ms/request):")
    for name, own in sorted(by_package.items(), key=lambda item: -item[1]):
        print(f"  {100 * own / total:5.1f} %  {name}")
    print("functions with the most own time:")
    for own, calls, name in sorted(rows, reverse=True)[:25]:
        print(f"  {100 * own / total:5.1f} %  {calls / requests:8.0f} calls/request  {name}")


def main() -> None:
    """Parse the arguments and profile one peer row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--query", default="home_data", help="peer row key (default home_data)")
    parser.add_argument("--requests", type=int, default=100, help="requests profiled")
    args = parser.parse_args()
    asyncio.run(profile(args.query, args.requests))


if __name__ == "__main__":
    main()
