"""The peer rows: wallchart and PostGraphile v4 side by side, driven by wrk, CPU from /proc.

Both servers run against the bench database, each with its own `application_name`, so the
PostgreSQL backends serving each can be found in pg_stat_activity. Per query: both answers are
checked to hold the same rows, then interleaved rounds of wrk (4 keep-alive connections) on each
side, with the CPU of the server process and of its backends read before and after each run.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from bench import cpu, database, peer, peer_queries, servers, wrk
from bench.peer_report import Figures, PeerRow
from bench.signin import login
from server.demo.scale import BUSY_SITE_MANAGER, SUPERVISOR
from server.domain.clock import zone_today
from server.settings import Settings

CONNECTIONS = 4
ROUNDS = 3
MIN_SECONDS = 3
MAX_SECONDS = 12
OFFICE_USER = "office_01"
WALLCHART_APPLICATION = "wallchart-bench-versus"
USERS = {"site": BUSY_SITE_MANAGER, "supervisor": SUPERVISOR, "office": OFFICE_USER}


@dataclass(frozen=True)
class Target:
    """One side of a peer row: where to POST what, and whose CPU it costs."""

    url: str
    pid: int
    application: str
    body: str
    headers: dict[str, str]


def unavailable(database_url: str) -> str | None:
    """Why the peer rows cannot be measured here (None when they can)."""
    if database.is_sqlite(database_url):
        return "the peer rows need PostgreSQL (not measured in a quick run)"
    if not wrk.available():
        return "wrk is not installed (`make wrk` installs it with apt-get)"
    return peer.missing()


def run_seconds(latency: float) -> int:
    """Seconds per wrk run: long enough for ~60 answers at the single-request `latency`.

    The requests still in flight when wrk stops cost CPU but are not counted; with 60 or more
    answered per run they shift the CPU per request by a few per cent at most.
    """
    wanted = math.ceil(60 * latency)
    return max(MIN_SECONDS, min(MAX_SECONDS, wanted))


async def _answer(target: Target) -> tuple[Any, float]:
    """One answer (after a few warm-up requests) and its latency in seconds."""
    async with httpx.AsyncClient(timeout=120.0) as http:
        for _ in range(3):
            started = time.perf_counter()
            response = await http.post(
                target.url,
                content=target.body,
                headers={"Content-Type": "application/json", **target.headers},
            )
            latency = time.perf_counter() - started
    try:
        return response.json(), latency
    except ValueError:
        return {"errors": [{"message": f"HTTP {response.status_code}"}]}, latency


async def _timed(
    connection: asyncpg.Connection, name: str, target: Target, seconds: int, figures: Figures
) -> None:
    """One wrk run on `target`, recorded in `figures` with the CPU it cost."""
    before = await cpu.snapshot(connection, name, target.application, target.pid)
    result = await wrk.run(
        target.url, target.body, target.headers, connections=CONNECTIONS, seconds=seconds
    )
    after = await cpu.snapshot(connection, name, target.application, target.pid)
    app, pg = cpu.spent(before, after)
    figures.add(result.requests, result.seconds, app, pg)
    figures.failures += result.errors + result.bad_answers


def _body(document: str, variables: dict[str, Any]) -> str:
    return json.dumps({"query": document, "variables": variables})


def _errors(answer: Any) -> str | None:
    errors = answer.get("errors") if isinstance(answer, dict) else None
    return "; ".join(str(e.get("message", "?")) for e in errors)[:160] if errors else None


async def _row(
    connection: asyncpg.Connection,
    name: str,
    pair: peer_queries.Pair,
    ours: Target,
    theirs: Target | None,
) -> PeerRow:
    """Measure one pair: same rows, then interleaved timed rounds (wallchart alone if no peer)."""
    answer, latency = await _answer(ours)
    problem = _errors(answer)
    row = PeerRow(pair.key, pair.label, Figures(), None, None, len(peer_queries.objects(answer)))
    other: Any = None
    if theirs is not None and not problem:
        other, peer_latency = await _answer(theirs)
        problem = _errors(other) and f"peer: {_errors(other)}"
        latency = max(latency, peer_latency)
    if problem:
        row.note = f"not measured: {problem}"
        return row
    seconds = run_seconds(latency)
    row.raw["seconds_per_run"] = seconds
    if theirs is not None:
        row.same_rows = peer_queries.same_rows(answer, other, pair.same_fields)
        if not row.same_rows:
            row.raw["difference"] = peer_queries.difference(answer, other, pair.same_fields)
        row.theirs = Figures()
    if not pair.same_fields:
        row.note = "more fields than the peer's: same rows by id"
    for target in (ours, theirs):
        if target is not None:  # fill both connection pools before anything is timed
            await wrk.run(
                target.url, target.body, target.headers, connections=CONNECTIONS, seconds=1
            )
    for round_index in range(ROUNDS):
        sides = [(ours, row.ours)]
        if theirs is not None:
            sides.append((theirs, row.theirs))
        if round_index % 2:
            sides.reverse()
        for target, figures in sides:
            await _timed(connection, name, target, seconds, figures)
    if pair.key == "office":
        per_object = [row.per_object_us(side) for side in (row.ours, row.theirs) if side]
        row.note = f"{row.objects} objects; server CPU/object µs: " + " vs ".join(
            "n/a" if value is None else f"{value:.0f}" for value in per_object
        )
    failures = row.ours.failures + (row.theirs.failures if row.theirs else 0)
    if failures:
        row.note = f"{row.note}; {failures} failed requests".lstrip("; ")
    return row


_UNINDEXED_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text || '.' || a.attname AS column_name
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
  AND NOT EXISTS (
    SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]
  )
ORDER BY 1
"""


def rss_mb(pid: int) -> float:
    """The resident memory of a process, in MB (from /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def unindexed_foreign_keys(connection: asyncpg.Connection) -> list[str]:
    """Foreign-key columns no index leads with (PostGraphile scans their table per parent)."""
    return [row["column_name"] for row in await connection.fetch(_UNINDEXED_FOREIGN_KEYS)]


def heading(meta: dict[str, Any]) -> str:
    """The lines above the peer table: what was run, and what the database lacks."""
    lines = [
        f"wallchart vs PostGraphile {meta['postgraphile']}: wrk at {meta['connections']}"
        f" keep-alive connections, {meta['rounds']} interleaved rounds; CPU in ms per request"
        " of the server process + its PostgreSQL backends (/proc)"
    ]
    rss = meta.get("rss_mb")
    if rss:
        lines.append(
            "wallchart server RSS after each row (MB): " + ", ".join(f"{mb:.1f}" for mb in rss)
        )
    unindexed = meta.get("unindexed_foreign_keys")
    if unindexed:
        lines.append(f"foreign keys without an index: {', '.join(unindexed)}")
    return "\n".join(lines)


async def _tokens(url: str, password: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=url, timeout=60.0) as http:
        return {role: await login(http, name, password) for role, name in USERS.items()}


async def measure(database_url: str, settings: Settings) -> tuple[list[PeerRow], dict[str, Any]]:
    """Start wallchart and PostGraphile, measure every pair, stop both."""
    name = database.database_name(database_url)
    ours_url = peer.with_application_name(database_url, WALLCHART_APPLICATION)
    server = servers.start("versus", ours_url, {})
    postgraphile: peer.Peer | None = None
    connection = await asyncpg.connect(database.connection_url(database_url))
    try:
        postgraphile = peer.start(database_url)
        tokens = await _tokens(server.url, settings.demo_password)
        site_user = await connection.fetchval(
            'SELECT id FROM "user" WHERE username = $1', BUSY_SITE_MANAGER
        )
        today = zone_today(settings.zone)
        rows: list[PeerRow] = []
        rss: list[float] = []
        for pair in peer_queries.pairs(site_user, today):
            print(f"peer row: {pair.label} ...", flush=True)
            ours = Target(
                f"{server.url}/graphql",
                server.process.pid,
                WALLCHART_APPLICATION,
                _body(pair.document, pair.variables),
                {"Authorization": f"Bearer {tokens[pair.user]}"},
            )
            theirs = None
            if pair.peer_document is not None:
                theirs = Target(
                    f"{postgraphile.url}/graphql",
                    postgraphile.pid,
                    peer.APPLICATION_NAME,
                    _body(pair.peer_document, pair.peer_variables),
                    {},
                )
            rows.append(await _row(connection, name, pair, ours, theirs))
            rss.append(rss_mb(server.process.pid))
        meta = {
            "rss_mb": rss,
            "postgraphile": peer.version(),
            "connections": CONNECTIONS,
            "rounds": ROUNDS,
            "unindexed_foreign_keys": await unindexed_foreign_keys(connection),
        }
        return rows, meta
    finally:
        await connection.close()
        server.stop()
        if postgraphile is not None:
            postgraphile.stop()
