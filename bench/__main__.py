"""`python -m bench [--quick]`: seed once, serve with uvicorn, drive it, print one table.

Every figure of the table is a ratio against a baseline measured in the same run, so it holds
on a noisy machine: GraphQL throughput over a bare Starlette route's, GraphQL latency over the
raw SQL route's, cached-document latency over uncached. Raw numbers go to bench/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import budget, database, load, queries, servers
from bench.app import BASELINES_ENV, COUNT_SQL_ENV
from bench.report import Row, table, write
from bench.sqlcount import HEADER
from server.demo.scale import BUSY_SITE_MANAGER, SUPERVISOR
from server.settings import Settings

# Share of the CPUs busy before the run above which the figures are flagged.
BUSY_WARNING = 0.25


@dataclass(frozen=True)
class Config:
    """How big and how long: `make bench` or `make bench-quick`."""

    quick: bool
    database_url: str
    projects: int
    rounds: int
    seconds: float
    concurrency: int


def config(quick: bool) -> Config:
    """The configuration of a full (PostgreSQL, 10 000 projects) or quick (SQLite) run."""
    if quick:
        url = os.environ.get("WALLCHART_BENCH_QUICK_DATABASE_URL", database.DEFAULT_SQLITE_URL)
        return Config(True, url, 500, rounds=2, seconds=0.7, concurrency=8)
    url = os.environ.get("WALLCHART_BENCH_DATABASE_URL", database.DEFAULT_POSTGRES_URL)
    return Config(False, url, 10_000, rounds=5, seconds=2.5, concurrency=16)


def graphql(query: str, token: str, **variables: Any) -> load.Request:
    """A GraphQL POST as the bench sends it."""
    return load.Request(
        "/graphql",
        {"query": query, "variables": variables},
        {"Authorization": f"Bearer {token}"},
    )


def bare(path: str, token: str) -> load.Request:
    """A GET of a baseline route."""
    return load.Request(path, None, {"Authorization": f"Bearer {token}"})


async def login(http: httpx.AsyncClient, username: str, password: str) -> str:
    """A bearer token for a seeded user."""
    body = {"query": queries.LOGIN, "variables": {"username": username, "password": password}}
    answer = (await http.post("/graphql", json=body)).json()
    payload = answer["data"]["login"]
    if not payload["token"]:
        raise RuntimeError(f"bench login of {username} failed: {payload['errors']}")
    return payload["token"]


async def _first_answer(http: httpx.AsyncClient, request: load.Request) -> Any:
    response = await load.warm_up(http, request)
    try:
        return response.json()
    except ValueError:
        return {"errors": [{"message": f"HTTP {response.status_code}: {response.text[:200]}"}]}


def _errors(answer: Any) -> str | None:
    errors = answer.get("errors") if isinstance(answer, dict) else None
    return "; ".join(e.get("message", "?") for e in errors)[:160] if errors else None


@dataclass(frozen=True)
class Side:
    """One side of a comparison: the request, and the client and server it goes through."""

    http: httpx.AsyncClient
    server: servers.Server
    request: load.Request

    async def run(self, cfg: Config, concurrency: int) -> tuple[load.Measurement, float]:
        """A timed run, with the server CPU seconds it cost per request."""
        before = self.server.cpu_seconds()
        measured = await load.run(
            self.http, self.request, concurrency=concurrency, seconds=cfg.seconds
        )
        return measured, (self.server.cpu_seconds() - before) / max(measured.requests, 1)


async def compare(
    ours: Side,
    base: Side,
    cfg: Config,
    *,
    concurrency: int,
    figure: Callable[[load.Measurement], float],
) -> tuple[float | None, dict[str, Any]]:
    """Median over interleaved rounds of figure(GraphQL side) / figure(baseline side).

    Also the ratio of server CPU time per request, which the load generator sharing the
    machine does not distort.
    """
    answers = [await _first_answer(side.http, side.request) for side in (ours, base)]
    raw: dict[str, Any] = {"rounds": []}
    problem = _errors(answers[0]) or _errors(answers[1])
    if problem:
        raw["error"] = problem
        return None, raw
    raw["same_json"] = load.without_extensions(answers[0]) == load.without_extensions(answers[1])
    ratios, cpu_ratios = [], []
    for _ in range(cfg.rounds):
        theirs, base_cpu = await base.run(cfg, concurrency)
        mine, our_cpu = await ours.run(cfg, concurrency)
        ratios.append(figure(mine) / figure(theirs))
        cpu_ratios.append(our_cpu / base_cpu if base_cpu else float("nan"))
        raw["rounds"].append(
            {
                "graphql": {**mine.summary(), "server_cpu_ms": round(our_cpu * 1000, 3)},
                "baseline": {**theirs.summary(), "server_cpu_ms": round(base_cpu * 1000, 3)},
            }
        )
    raw["failures"] = sum(
        r["graphql"]["failures"] + r["baseline"]["failures"] for r in raw["rounds"]
    )
    raw["cpu_ratio"] = statistics.median(cpu_ratios)
    return statistics.median(ratios), raw


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


async def disconnects(url: str, request: load.Request, count: int = 30) -> int:
    """Send requests and hang up on them mid-way; the number that were cut off."""
    cut = 0
    async with httpx.AsyncClient(base_url=url, timeout=0.005) as http:

        async def one() -> None:
            nonlocal cut
            try:
                await request.send(http)
            except httpx.TimeoutException:
                cut += 1

        await asyncio.gather(*(one() for _ in range(count)))
    return cut


def run_photos(env: dict[str, str]) -> dict[str, Any]:
    """The photo figures: `python -m bench.photos` of the photos issue, when it exists."""
    if not Path("bench/photos.py").exists():
        return {"skipped": "bench/photos.py does not exist yet"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bench.photos"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
        check=False,
    )
    return {
        "returncode": result.returncode,
        "seconds": round(time.perf_counter() - started, 1),
        "stdout": result.stdout,
        "stderr": result.stderr[-2000:],
    }


async def measure(cfg: Config, settings: Settings, started: float) -> tuple[list[Row], dict]:
    """Start the servers, run every row, stop the servers."""
    env = {"WALLCHART_DATABASE_URL": cfg.database_url}
    main = servers.start("main", cfg.database_url, {BASELINES_ENV: "1"})
    nocache = servers.start("nocache", cfg.database_url, {"WALLCHART_DOCUMENT_CACHE_SIZE": "0"})
    counting = servers.start("counting", cfg.database_url, {BASELINES_ENV: "1", COUNT_SQL_ENV: "1"})
    meta: dict[str, Any] = {}
    rows: list[Row] = []
    try:
        async with (
            load.client(main.url, cfg.concurrency) as http,
            load.client(nocache.url, 1) as cold,
            load.client(counting.url, 1) as counter,
        ):
            site = await login(http, BUSY_SITE_MANAGER, settings.demo_password)
            boss = await login(http, SUPERVISOR, settings.demo_password)
            throughput = {"concurrency": cfg.concurrency, "figure": lambda m: m.throughput}
            latency = {"concurrency": 1, "figure": lambda m: m.median_latency}

            me = graphql(queries.ME, site)
            ratio, raw = await compare(
                Side(http, main, me), Side(http, main, bare("/bench/me", site)), cfg, **throughput
            )
            sql, raw["statements"] = await statement_counts(counter, me, None, ())
            raw["full_scans"], raw["plans"] = await full_scans(counter)
            met, note = throughput_verdict(ratio, raw, 0.7)
            rows.append(_row("me { id }: throughput", ratio, ">= 0.7", met, sql, raw, note))

            home = graphql(queries.HOME, site, first=20)
            base = Side(http, main, bare("/bench/home?first=20", site))
            ratio, raw = await compare(Side(http, main, home), base, cfg, **throughput)
            sql, raw["statements"] = await statement_counts(counter, home, "first", (5, 20))
            raw["full_scans"], raw["plans"] = await full_scans(counter)
            base_sql = await statements(counter, bare("/bench/home?first=20", site))
            met, note = throughput_verdict(ratio, raw, 0.5)
            rows.append(
                _row(
                    "home screen (20 projects): throughput",
                    ratio,
                    ">= 0.5",
                    met,
                    sql,
                    raw,
                    f"baseline {base_sql} statements; {note}".rstrip("; "),
                )
            )

            board = graphql(queries.BOARD, boss, first=50)
            base = Side(http, main, bare("/bench/board?first=50", boss))
            ratio, raw = await compare(Side(http, main, board), base, cfg, **latency)
            sql, raw["statements"] = await statement_counts(counter, board, "first", (10, 100))
            raw["full_scans"], raw["plans"] = await full_scans(counter)
            base_sql = await statements(counter, bare("/bench/board?first=50", boss))
            rows.append(
                _row(
                    "supervisor board: latency",
                    ratio,
                    "<= 2.0",
                    ratio and ratio <= 2.0,
                    sql,
                    raw,
                    f"raw SQL route {base_sql} statements",
                )
            )

            card = graphql(queries.CARD, site, photos=3)
            ratio, raw = await compare(
                Side(http, main, card), Side(cold, nocache, card), cfg, **latency
            )
            sql, raw["statements"] = await statement_counts(counter, card, "photos", (3, 50))
            raw["full_scans"], raw["plans"] = await full_scans(counter)
            size = f"{len(queries.CARD)} chars"
            rows.append(
                _row(
                    "document cache on/off: latency",
                    ratio,
                    "<= 0.4",
                    ratio and ratio <= 0.4,
                    sql,
                    raw,
                    f"project card, {size}",
                )
            )

            cut = await disconnects(main.url, board)
            await asyncio.sleep(2.0)
            idle = await database.idle_in_transaction(cfg.database_url)
            meta["disconnects"] = {"cut_off": cut, "idle_in_transaction": idle}
            photo_env = {
                **env,
                "WALLCHART_BENCH_URL": main.url,
                "WALLCHART_BENCH_SITE_TOKEN": site,
                "WALLCHART_BENCH_SUPERVISOR_TOKEN": boss,
            }
    finally:
        for server in (main, nocache, counting):
            server.stop()
    rows += await measure_budget(cfg, settings)
    meta["photos"] = run_photos(photo_env)
    meta["seconds"] = round(time.perf_counter() - started, 1)
    return rows, meta


async def measure_budget(cfg: Config, settings: Settings) -> list[Row]:
    """The request-budget rows (bench.budget), on a server process of their own."""
    print("request-budget rows: hostile documents, sign-ins, a 100 MB body ...", flush=True)
    return await budget.rows(cfg.database_url, cfg.quick, settings.demo_password)


async def measure_only(
    part: str, cfg: Config, settings: Settings, started: float
) -> tuple[list[Row], dict]:
    """One part of the bench alone (`--only budget`)."""
    assert part == "budget"
    rows = await measure_budget(cfg, settings)
    return rows, {"only": part, "seconds": round(time.perf_counter() - started, 1)}


def throughput_verdict(ratio: float | None, raw: dict[str, Any], goal: float) -> tuple[bool, str]:
    """Whether a throughput ratio meets `goal`, judged conservatively when the client limits.

    On a small machine the load generator can need more CPU than the server: then both sides
    are client-bound and their throughput ratio drifts towards 1. When the GraphQL side kept
    the server under 80 % busy, the goal must also hold for 1 / (server CPU ratio), the
    throughput ratio a saturated server would show.
    """
    if ratio is None:
        return False, ""
    busy = statistics.median(
        r["graphql"]["server_cpu_ms"] * r["graphql"]["throughput_rps"] / 1000 for r in raw["rounds"]
    )
    raw["server_busy"] = round(busy, 3)
    if busy >= 0.8 or not raw.get("cpu_ratio"):
        return ratio >= goal, ""
    capacity = 1 / raw["cpu_ratio"]
    note = f"client-bound (server {busy:.0%} busy): by server CPU {capacity:.2f}"
    return min(ratio, capacity) >= goal, note


def _row(
    name: str,
    ratio: float | None,
    goal: str,
    met: Any,
    sql: str,
    raw: dict[str, Any],
    note: str = "",
) -> Row:
    if ratio is None:
        note = f"not measured: {raw.get('error')}"
    return Row(
        name=name,
        ratio=ratio,
        goal=goal,
        met=None if ratio is None else bool(met),
        statements=sql,
        same_json=raw.get("same_json"),
        cpu_ratio=raw.get("cpu_ratio"),
        full_scans=raw.get("full_scans", ""),
        note=note,
        raw=raw,
    )


def main(argv: list[str] | None = None) -> None:
    """Run the bench and print its table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="SQLite, 500 projects, short runs")
    parser.add_argument(
        "--only",
        choices=["budget"],
        help="run one part alone: budget = the request-budget rows (hostile documents, "
        "sign-ins, a 100 MB body)",
    )
    args = parser.parse_args(argv)
    cfg = config(args.quick)
    started = time.perf_counter()
    settings = Settings.from_env(database_url=cfg.database_url)
    prepared = asyncio.run(database.prepare(settings, cfg.projects))
    state = "reused" if prepared.reused else f"seeded {prepared.report.total} rows"
    print(f"bench database {cfg.database_url}: {state} in {prepared.seconds:.1f}s", flush=True)
    busy = servers.machine_busy()
    if busy > BUSY_WARNING:
        print(
            f"warning: the machine is {busy:.0%} busy before the run (other processes); "
            "latency ratios will be distorted",
            flush=True,
        )
    if args.only:
        rows, meta = asyncio.run(measure_only(args.only, cfg, settings, started))
    else:
        rows, meta = asyncio.run(measure(cfg, settings, started))
    meta.update(
        {
            "database_url": cfg.database_url,
            "projects": cfg.projects,
            "seeding": {"reused": prepared.reused, "seconds": round(prepared.seconds, 1)},
            "seed_counts": prepared.report.counts if prepared.report else None,
            "rounds": cfg.rounds,
            "seconds_per_round": cfg.seconds,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "machine_busy_before": round(busy, 3),
        }
    )
    print()
    print(table(rows))
    failed = sum(row.raw.get("failures", 0) for row in rows)
    sent = sum(
        side["requests"]
        for row in rows
        for rnd in row.raw.get("rounds", [])
        for side in rnd.values()
    )
    meta["requests"] = {"sent": sent, "failed": failed}
    if busy > BUSY_WARNING:
        print(f"\nthe machine was {busy:.0%} busy with other work before the run")
    print(f"\nrequests under load: {sent}, failed: {failed}")
    unanswered = sum(row.raw.get("unanswered", 0) for row in rows)
    print(f"request-budget rows: {unanswered} requests timed out, dropped or answered 5xx")
    cut = meta.get("disconnects")
    if cut:
        idle = cut["idle_in_transaction"]
        print(
            f"hung up on {cut['cut_off']} requests mid-way; sessions idle in transaction after"
            f" the run: {idle if idle is not None else 'n/a'}"
        )
    photos = meta.get("photos")
    if photos and "stdout" in photos:
        print(f"\nphoto figures (python -m bench.photos, exit {photos['returncode']}):")
        print(photos["stdout"].rstrip() or photos["stderr"].rstrip())
    elif photos:
        print(f"\nphoto figures: {photos['skipped']}")
    write(rows, meta)
    print(f"\nraw numbers in bench/results.json; whole run {meta['seconds']:.0f}s")


if __name__ == "__main__":
    main()
