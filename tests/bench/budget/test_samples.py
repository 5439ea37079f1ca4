"""Requests' outcomes and the figures of many."""

from __future__ import annotations

import httpx

from bench.budget.samples import Sample, outcome, percentile


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([3.0], 0.95) == 3.0


def test_answers_are_read_as_codes() -> None:
    def answer(status: int, body: object) -> httpx.Response:
        return httpx.Response(status, json=body)

    assert outcome(answer(200, {"data": {"__typename": "Query"}})) == "data"
    refused = {"errors": [{"message": "Too complex", "extensions": {"code": "TOO_COMPLEX"}}]}
    assert outcome(answer(400, refused)) == "TOO_COMPLEX"
    assert outcome(answer(400, {"errors": [{"message": "Nope"}]})) == "no code: Nope"
    assert outcome(httpx.Response(500, text="Internal Server Error")) == "not JSON"
    assert Sample(0.01, 400, "TOO_COMPLEX").refused
    assert not Sample(0.01, 200, "data").refused
    assert not Sample(0.01, 413, "not JSON").refused
    assert Sample(30.0, 0, "timeout").failed and Sample(0.1, 502, "not JSON").failed
