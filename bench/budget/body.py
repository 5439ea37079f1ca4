"""Row 3: the server's memory growth while a 100 MB JSON body is refused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from bench.budget.documents import PROBE, json_body_chunks
from bench.budget.memory import PeakSampler, memory, reset_peak
from bench.budget.samples import outcome, post
from bench.budget.service import BudgetConfig, Service
from bench.report import Row

MB = 1024 * 1024


async def _stream(chunks: Iterator[bytes], sent: list[int]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        sent[0] += len(chunk)
        yield chunk


async def huge_body(service: Service, total: int, with_length: bool) -> dict[str, Any]:
    """POST a `total`-byte JSON body; the server's memory before, at its peak and after."""
    pid = service.server.process.pid
    headers = {"Content-Type": "application/json"}
    if with_length:
        headers["Content-Length"] = str(total)
    async with httpx.AsyncClient(base_url=service.server.url, timeout=60.0) as http:
        await http.post("/graphql", json={"query": PROBE})
        reset = reset_peak(pid)
        before = memory(pid)
        sampler = PeakSampler(pid)
        sampler.start()
        sent = [0]
        started = time.perf_counter()
        try:
            response = await http.post(
                "/graphql", content=_stream(json_body_chunks(total), sent), headers=headers
            )
            answer = f"{response.status_code} {outcome(response)}"
        except httpx.HTTPError as exc:
            answer = f"0 {type(exc).__name__}"
        seconds = time.perf_counter() - started
        sent_at_answer = sent[0]
        await asyncio.sleep(0.3)
        peak = sampler.stop()
        after = memory(pid)
        alive = await post(http, {"query": PROBE}, 10.0)
    peak_kb = max(peak, after.get("VmHWM", 0) if reset else 0)
    return {
        "content_length": with_length,
        "answer": answer,
        "seconds": round(seconds, 3),
        "client_sent_mb": round(sent_at_answer / MB, 2),
        "rss_before_mb": round(before["VmRSS"] / 1024, 2),
        "rss_after_mb": round(after["VmRSS"] / 1024, 2),
        "peak_mb": round(peak_kb / 1024, 2),
        "hwm_reset": reset,
        "growth_mb": round(max(peak_kb, after["VmRSS"]) / 1024 - before["VmRSS"] / 1024, 2),
        "answers_afterwards": f"{alive.status} {alive.code}",
    }


async def body_row(service: Service, bc: BudgetConfig) -> Row:
    """RSS growth while a 100 MB JSON body is refused, with and without Content-Length."""
    cases = [await huge_body(service, bc.body_bytes, length) for length in (True, False)]
    growth = max(case["growth_mb"] for case in cases)
    refused = all(case["answer"].startswith("413") for case in cases)
    notes = [
        f"{'length' if case['content_length'] else 'chunked'}: {case['answer']} in "
        f"{case['seconds']:.2f}s, +{case['growth_mb']:.1f} MB "
        f"(client wrote {case['client_sent_mb']:.0f} MB first)"
        for case in cases
    ]
    raw = {"body_bytes": bc.body_bytes, "cases": cases}
    raw["unanswered"] = sum(case["answer"].startswith(("0 ", "5")) for case in cases)
    return Row(
        name=f"{bc.body_bytes // MB} MB JSON body refused: server RSS growth (MB)",
        ratio=growth,
        goal="< 5 MB, 413",
        met=growth < 5 and refused,
        note="; ".join(notes),
        raw=raw,
    )
