"""The weak-network section runs on a small zone and produces every figure it prints."""

from __future__ import annotations

import time

import httpx

from bench.weak_network import Plan, figures, lines, poll_row, request_bytes
from server.demo.scale import seed_scale
from server.settings import Settings


async def test_the_section_produces_its_figures(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    await seed_scale(settings, projects=25, seed=5)
    plan = Plan(rounds=1, seconds=0.05, concurrency=1)

    found = await figures(client, client, time.process_time, settings, plan)

    home = found["home"]
    assert home["projects"] == 20
    assert home["answer_gzipped"]
    assert 0 < home["answer_gzip_bytes"] < home["answer_json_bytes"]
    assert home["same_answer_by_hash"]
    assert home["unknown_hash_answer"] == ["PersistedQueryNotFound"]
    sent = home["request_bytes"]
    assert sent["get_hash"] < sent["get_text"] and sent["post_hash"] < sent["post_text"]
    poll = found["poll"]
    assert poll["poll_status"] == 304 and poll["poll_body_bytes"] == 0
    assert poll["etag"].startswith('W/"') and poll["unexpected"] == 0
    assert poll["cpu_ratio"] is not None
    assert poll_row(poll).ratio == poll["cpu_ratio"]
    full = found["full_sync"]
    assert full["pages"] >= 1 and full["upserts"] > 0 and full["tombstones"] == 0
    assert full["upserts_by_type"]["Project"] == 20
    writes = found["writes"]
    assert writes["tickets filed"] == 3 and writes["projects handed away"] == 1
    assert writes["daily reports filed"] >= 1 and writes["milestones completed"] >= 1
    assert not [what for what in writes if "refused" in what], writes
    catch_up = found["catch_up"]
    assert catch_up["tombstones_by_reason"]["NOT_VISIBLE"] > 0
    assert catch_up["upserts_by_type"]["ShortageTicket"] >= 3
    # A report filed on the project handed away later that day leaves as a tombstone.
    filed = writes["daily reports filed"]
    assert filed - 1 <= catch_up["upserts_by_type"]["DailyReport"] <= filed
    assert 0 < catch_up["gzip_bytes"] < catch_up["raw_bytes"] < full["raw_bytes"]
    text = lines(found)
    assert "day's catch-up" in text and "goal <= 0.1" in text


def test_request_bytes_count_the_request_line_headers_and_body() -> None:
    request = httpx.Request("POST", "http://h/graphql", content=b"{}", headers={"A": "b"})
    expected = len(b"POST /graphql HTTP/1.1\r\n") + sum(
        len(name) + len(value) + 4 for name, value in request.headers.raw
    )
    assert request_bytes(request) == expected + 2 + 2
