"""The labour series row: `labourSeries` over the whole zone for 60 days grouped by town, asked by
an office user through the real server, against the same SQL statement run bare.

The bare side is the statement `server.domain.labour.labour_series` builds for the same span
(captured, not rewritten), run in this process on the same driver, timed from sending it to
having its rows. Both sides are timed one request at a time, in interleaved rounds; the ratio
is the median over rounds of their median latencies. The GraphQL answer is checked against
the bare rows shaped the same way ("same JSON").

`make bench` adds the row to its table; `python -m bench.labour [--quick]` prepares the bench
database the same way and prints this row alone.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time
from collections.abc import Mapping, Sequence
from typing import Any
from unittest import mock

import httpx
from tortoise import connections

from bench import database, load, servers
from bench.app import COUNT_SQL_ENV
from bench.compare import measured_row
from bench.config import Config, config
from bench.report import Row, table
from bench.signin import login
from bench.statements import full_scans, statement_counts
from server.db import close_db, init_db
from server.domain import labour
from server.domain.clock import zone_today
from server.domain.rawsql import bind
from server.settings import Settings

OFFICE_USER = "office_01"
DAYS = 60
GOAL = 2.0
QUERY = """query Labour($from: Date!, $to: Date!) {
  labourSeries(from: $from, to: $to, groupBy: TOWN) {
    key label
    points {
      date workersNeeded workersOnSite onSiteRate
      projectsReporting projectsExpected projectsResumed resumptionRate
    }
  }
}"""


def span(settings: Settings) -> tuple[dt.date, dt.date]:
    """The last 60 days, ending yesterday (the days the scale seed has reports for)."""
    end = zone_today(settings.zone) - dt.timedelta(days=1)
    return end - dt.timedelta(days=DAYS - 1), end


async def statement(settings: Settings, start: dt.date, end: dt.date) -> tuple[str, list[Any]]:
    """The one statement `labour_series` runs for the zone by town, bound for the connection."""
    seen: list[tuple[str, Mapping[str, Any]]] = []

    async def capture(sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        seen.append((sql, dict(params)))
        return []

    with mock.patch.object(labour, "fetch", capture):
        await labour.labour_series(
            None, start, end, labour.LabourGroupBy.TOWN, settings.resumption_gap_days
        )
    if len(seen) != 1:
        raise RuntimeError(f"labour_series ran {len(seen)} statements, not one")
    sql, params = seen[0]
    dialect = "sqlite" if database.is_sqlite(settings.database_url) else "postgres"
    return bind(sql, params, dialect)


def _date(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def as_json(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The bare rows as the GraphQL answer gives them (groups by label, days in order)."""
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        needed, on_site = int(row["needed"]), int(row["on_site"])
        expected, resumed = int(row["expected"]), int(row["resumed"])
        group = groups.setdefault(
            str(row["grp"]), {"key": str(row["grp"]), "label": row["label"], "points": []}
        )
        group["points"].append(
            {
                "date": _date(row["day"]),
                "workersNeeded": needed,
                "workersOnSite": on_site,
                "onSiteRate": on_site / needed if needed else None,
                "projectsReporting": int(row["reporting"]),
                "projectsExpected": expected,
                "projectsResumed": resumed,
                "resumptionRate": resumed / expected if expected else None,
            }
        )
    ordered = sorted(groups.values(), key=lambda group: group["label"])
    return {"data": {"labourSeries": ordered}}


async def _bare_run(query: str, values: list[Any], seconds: float) -> tuple[float, int]:
    """Run the statement back to back for `seconds`: median latency and runs."""
    connection = connections.get("default")
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or not latencies:
        started = time.perf_counter()
        await connection.execute_query_dict(query, values)
        latencies.append(time.perf_counter() - started)
    return statistics.median(latencies), len(latencies)


async def row(
    http: httpx.AsyncClient, counter: httpx.AsyncClient, cfg: Config, settings: Settings
) -> Row:
    """The row: GraphQL through `http` (the timed server), statements through `counter`."""
    name = f"labourSeries (zone, {DAYS} days by town): latency"
    start, end = span(settings)
    token = await login(http, OFFICE_USER, settings.demo_password)
    request = load.Request(
        "/graphql",
        {"query": QUERY, "variables": {"from": start.isoformat(), "to": end.isoformat()}},
        {"Authorization": f"Bearer {token}"},
    )
    raw: dict[str, Any] = {"rounds": [], "from": start.isoformat(), "to": end.isoformat()}
    await init_db(settings)
    try:
        query, values = await statement(settings, start, end)
        answer = (await load.warm_up(http, request)).json()
        if answer.get("errors"):
            raw["error"] = "; ".join(e.get("message", "?") for e in answer["errors"])[:160]
            return measured_row(name, None, f"<= {GOAL}", False, "", raw)
        bare_rows = await connections.get("default").execute_query_dict(query, values)
        raw["same_json"] = load.without_extensions(answer) == as_json(bare_rows)
        raw["groups"] = len(answer["data"]["labourSeries"])
        ratios = []
        for _ in range(cfg.rounds):
            bare, runs = await _bare_run(query, values, cfg.seconds)
            ours = await load.run(http, request, concurrency=1, seconds=cfg.seconds)
            ratios.append(ours.median_latency / bare)
            raw["rounds"].append(
                {
                    "graphql": ours.summary(),
                    "baseline": {"requests": runs, "median_ms": round(bare * 1000, 3)},
                }
            )
    finally:
        await close_db()
    raw["failures"] = sum(r["graphql"]["failures"] for r in raw["rounds"])
    ratio = statistics.median(ratios)
    sql, raw["statements"] = await statement_counts(counter, request, None, ())
    raw["full_scans"], raw["plans"] = await full_scans(counter)
    series = sum(
        1 for plan in raw["plans"] if "daily_report" in plan["sql"] and "WITH days" in plan["sql"]
    )
    graphql_ms = statistics.median(r["graphql"]["median_ms"] for r in raw["rounds"])
    bare_ms = statistics.median(r["baseline"]["median_ms"] for r in raw["rounds"])
    note = (
        f"{series} series statement (+ token lookup); median {graphql_ms:.1f} ms vs bare "
        f"statement {bare_ms:.1f} ms; {raw['groups']} towns"
    )
    return measured_row(name, ratio, f"<= {GOAL}", ratio <= GOAL and series == 1, sql, raw, note)


async def measure(cfg: Config, settings: Settings) -> Row:
    """Start a timed and a counting server, measure the row, stop them."""
    main = servers.start("labour", cfg.database_url, {})
    counting = servers.start("labour-counting", cfg.database_url, {COUNT_SQL_ENV: "1"})
    try:
        async with load.client(main.url, 1) as http, load.client(counting.url, 1) as counter:
            return await row(http, counter, cfg, settings)
    finally:
        for server in (main, counting):
            server.stop()


def main(argv: list[str] | None = None) -> None:
    """Prepare the bench database, print the labour series row."""
    parser = argparse.ArgumentParser(prog="python -m bench.labour", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="SQLite, 500 projects, short runs")
    args = parser.parse_args(argv)
    cfg = config(args.quick)
    settings = Settings.from_env(database_url=cfg.database_url)
    prepared = asyncio.run(database.prepare(settings, cfg.projects))
    state = "reused" if prepared.reused else f"seeded {prepared.report.total} rows"
    print(f"bench database {cfg.database_url}: {state} in {prepared.seconds:.1f}s", flush=True)
    result = asyncio.run(measure(cfg, settings))
    print()
    print(table([result]))


if __name__ == "__main__":
    main()
