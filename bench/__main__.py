"""`python -m bench [--quick]`: seed once, serve with uvicorn, drive it, print one table.

Every figure of the table is a ratio against a baseline measured in the same run, so it holds
on a noisy machine: GraphQL throughput over a bare Starlette route's, GraphQL latency over the
raw SQL route's, cached-document latency over uncached. The peer rows (bench.versus) hold the
same queries against PostGraphile v4, driven by wrk. Raw numbers go to bench/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench import (
    budget,
    database,
    labour,
    load,
    peer_report,
    queries,
    servers,
    versus,
    weak_network,
)
from bench.app import BASELINES_ENV, COUNT_SQL_ENV
from bench.compare import Side, compare, measured_row, throughput_verdict
from bench.config import Config, config
from bench.report import Row, table, write
from bench.signin import login
from bench.statements import full_scans, statement_counts, statements
from server.demo.scale import BUSY_SITE_MANAGER, SUPERVISOR
from server.settings import Settings

# Share of the CPUs busy before the run above which the figures are flagged.
BUSY_WARNING = 0.25


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
            rows.append(measured_row("me { id }: throughput", ratio, ">= 0.7", met, sql, raw, note))

            home = graphql(queries.HOME, site, first=20)
            base = Side(http, main, bare("/bench/home?first=20", site))
            ratio, raw = await compare(Side(http, main, home), base, cfg, **throughput)
            sql, raw["statements"] = await statement_counts(counter, home, "first", (5, 20))
            raw["full_scans"], raw["plans"] = await full_scans(counter)
            base_sql = await statements(counter, bare("/bench/home?first=20", site))
            met, note = throughput_verdict(ratio, raw, 0.5)
            rows.append(
                measured_row(
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
                measured_row(
                    "supervisor board: latency",
                    ratio,
                    "<= 2.0",
                    ratio and ratio <= 2.0,
                    sql,
                    raw,
                    f"raw SQL route {base_sql} statements",
                )
            )

            rows.append(await labour.row(http, counter, cfg, settings))

            card = graphql(queries.CARD, site, photos=3)
            ratio, raw = await compare(
                Side(http, main, card), Side(cold, nocache, card), cfg, **latency
            )
            sql, raw["statements"] = await statement_counts(counter, card, "photos", (3, 50))
            raw["full_scans"], raw["plans"] = await full_scans(counter)
            size = f"{len(queries.CARD)} chars"
            rows.append(
                measured_row(
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
    row, meta["weak_network"] = await weak_network.measure(cfg, settings)
    rows.append(row)
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
    """One part of the bench alone (`--only budget`, `--only peer`, `--only weak-network`)."""
    meta: dict[str, Any] = {"only": part}
    rows = [] if part in ("peer", "weak-network") else await measure_budget(cfg, settings)
    if part == "peer":
        meta["peer"] = await measure_peer(cfg, settings)
    if part == "weak-network":
        row, meta["weak_network"] = await weak_network.measure(cfg, settings)
        rows.append(row)
    meta["seconds"] = round(time.perf_counter() - started, 1)
    return rows, meta


async def measure_peer(cfg: Config, settings: Settings) -> dict[str, Any]:
    """The peer rows (bench.versus): their table as text, and their raw figures."""
    reason = versus.unavailable(cfg.database_url)
    if reason is None:
        print("peer rows: wallchart vs PostGraphile, wrk at 4 connections ...", flush=True)
        try:
            rows, meta = await versus.measure(cfg.database_url, settings)
        except RuntimeError as error:
            reason = str(error)
        else:
            sent, failed = peer_report.requests(rows)
            totals = f"peer rows: {sent} requests sent by wrk, {failed} failed"
            return {
                **meta,
                "requests": {"sent": sent, "failed": failed},
                "table": f"{versus.heading(meta)}\n{peer_report.table(rows)}\n{totals}",
                "rows": [peer_report.summary(row) for row in rows],
            }
    return {"skipped": reason, "table": f"peer rows skipped: {reason}"}


def main(argv: list[str] | None = None) -> None:
    """Run the bench and print its table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="SQLite, 500 projects, short runs")
    parser.add_argument(
        "--only",
        choices=["budget", "peer", "weak-network"],
        help="run one part alone: budget = the request-budget rows (hostile documents, "
        "sign-ins, a 100 MB body); peer = wallchart against PostGraphile; weak-network = "
        "home screen bytes, a 304 poll's CPU, a day's catch-up (bench.weak_network)",
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
        meta["peer"] = asyncio.run(measure_peer(cfg, settings))
        meta["seconds"] = round(time.perf_counter() - started, 1)
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
    if rows:
        print()
        print(table(rows))
    if "peer" in meta:
        print()
        print(meta["peer"]["table"])
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
    if rows:
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
    weak = meta.get("weak_network")
    if weak:
        print(f"\nweak-network figures (bench.weak_network, {weak['seconds']:.0f}s):")
        print(weak["text"])
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
