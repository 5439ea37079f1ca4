"""Row 1: the worst hostile document's refusal latency over an uncached `{ __typename }`'s."""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.budget.documents import VARIANTS, baseline_document
from bench.budget.samples import Sample, batch, p95, post, ratio, summary
from bench.budget.service import BudgetConfig, Service
from bench.report import Row


@dataclass
class _Side:
    """The samples of one document shape, and the server CPU seconds they cost."""

    samples: list[Sample] = field(default_factory=list)
    cpu: float = 0.0

    def latencies(self) -> list[float]:
        """Each sample's seconds."""
        return [s.seconds for s in self.samples]


async def _timed_batch(
    service: Service, side: _Side, documents: Callable[[int], str], start: int, bc: BudgetConfig
) -> None:
    count = bc.hostile_requests // bc.rounds
    before = service.server.cpu_seconds()
    side.samples += await batch(service.http, documents, start, count, bc.concurrency, bc.timeout)
    side.cpu += service.server.cpu_seconds() - before


async def _warm(service: Service, bc: BudgetConfig) -> None:
    await batch(service.http, baseline_document, 0, 20, 1, bc.timeout)


async def _first_looks(
    service: Service, bc: BudgetConfig, numbers: Iterator[int]
) -> dict[str, Sample]:
    """One request of each variant; a server still busy after a timeout is replaced."""
    first = {}
    for variant in VARIANTS:
        body = {"query": variant.document(next(numbers))}
        first[variant.name] = await post(service.http, body, bc.timeout)
        if first[variant.name].status == 0:
            await service.restart()
            await _warm(service, bc)
    return first


def _variant_figures(
    look: Sample, side: _Side | None, base: _Side
) -> tuple[float, float | None, dict[str, Any], list[Sample]]:
    """Ratio, CPU ratio, raw entry and samples of one variant."""
    theirs = base.latencies()
    entry: dict[str, Any] = {"first": {"ms": round(look.seconds * 1000, 3)}}
    entry["first"]["answer"] = f"{look.status} {look.code}"
    if side is None:
        entry["not_loaded"] = f"first request took {look.seconds:.1f}s: not repeated"
        return look.seconds / statistics.median(theirs), None, entry, [look]
    mine = side.latencies()
    median = ratio(mine, theirs, statistics.median)
    cpu = side.cpu / len(mine)
    entry |= summary(side.samples) | {
        "ratio_median": round(median, 3),
        "ratio_p95": round(ratio(mine, theirs, p95), 3),
        "server_cpu_ms": round(cpu * 1000, 3),
    }
    base_cpu = base.cpu / len(theirs)
    return median, cpu / base_cpu if base_cpu else None, entry, side.samples


async def hostile_row(service: Service, bc: BudgetConfig) -> Row:
    """Worst hostile document's refusal latency over an uncached `{ __typename }`'s.

    Each variant is first sent once (with the per-request timeout): one that takes longer
    than `bc.slow` has failed its goal already and is not repeated. The others are sent
    `hostile_requests` times in rounds interleaved with the baseline.
    """
    raw: dict[str, Any] = {
        "documents": {v.name: len(v.document(0)) for v in VARIANTS},
        "baseline_document": len(baseline_document(0)),
        "timeout_s": bc.timeout,
        "concurrency": bc.concurrency,
        "variants": {},
    }
    numbers = itertools.count(1, bc.hostile_requests // bc.rounds)
    await _warm(service, bc)
    first = await _first_looks(service, bc, numbers)
    base = _Side()
    sides = {v.name: _Side() for v in VARIANTS if first[v.name].seconds <= bc.slow}
    for _ in range(bc.rounds):
        await _timed_batch(service, base, baseline_document, next(numbers), bc)
        for variant in VARIANTS:
            if variant.name in sides:
                side = sides[variant.name]
                await _timed_batch(service, side, variant.document, next(numbers), bc)
    raw["baseline"] = summary(base.samples) | {
        "server_cpu_ms": round(base.cpu / len(base.samples) * 1000, 3)
    }
    ratios, cpu_ratios, notes, every = [], [], [], []
    for variant in VARIANTS:
        look = first[variant.name]
        figure, cpu, entry, samples = _variant_figures(look, sides.get(variant.name), base)
        raw["variants"][variant.name] = entry
        ratios.append(figure)
        if cpu is not None:
            cpu_ratios.append(cpu)
        every += samples
        answers = "/".join(Counter(f"{s.status} {s.code}"[:48] for s in samples))
        if variant.name in sides:
            text = f"{figure:.1f}x (p95 {entry['ratio_p95']:.1f}x)"
        else:
            if look.status == 0:
                text = f">= {figure:.0f}x (timed out after {bc.timeout:.0f}s, server restarted)"
            else:
                text = f"{figure:.0f}x ({look.seconds:.1f}s, not repeated)"
        notes.append(f"{variant.name} {answers} {text}")
    refused = all(s.refused for s in every)
    raw["unanswered"] = sum(s.failed for s in every)
    raw["all_refused"] = refused
    raw["server_restarts"] = service.restarts
    return Row(
        name="hostile documents refused: latency vs { __typename }",
        ratio=max(ratios),
        goal="<= 2.0, all refused",
        met=max(ratios) <= 2.0 and refused,
        cpu_ratio=max(cpu_ratios) if cpu_ratios else None,
        note="; ".join(notes),
        raw=raw,
    )
