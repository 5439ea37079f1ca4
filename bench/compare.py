"""A GraphQL request against its baseline: interleaved timed rounds, their ratios, a row."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bench import load, servers
from bench.config import Config
from bench.report import Row


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


def measured_row(
    name: str,
    ratio: float | None,
    goal: str,
    met: Any,
    sql: str,
    raw: dict[str, Any],
    note: str = "",
) -> Row:
    """The table row of a comparison (`raw` from `compare`); unmeasured when `ratio` is None."""
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
