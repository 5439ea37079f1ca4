"""The scale generator: reproducible rows in a zone's proportions, with overdue work."""

from __future__ import annotations

import datetime
from typing import Any

from server.demo.scale import ScaleGenerator
from server.domain import models


def test_the_generator_is_reproducible_and_has_overdue_work() -> None:
    today = datetime.date(2026, 11, 26)

    def build(seed: int) -> dict[str, list[tuple[Any, ...]]]:
        generator = ScaleGenerator(30, today, "hash", seed)
        return {table.name: table.rows for table in generator.build()}

    first = build(3)
    assert first["milestone"] == build(3)["milestone"]
    assert first["milestone"] != build(4)["milestone"]
    overdue = [m for m in first["milestone"] if m[7] == "PENDING" and m[5] < today]
    assert 0 < len(overdue) < len(first["milestone"]) / 4
    statuses = {ticket[15] for ticket in first["shortage_ticket"]}
    assert statuses == {status.value for status in models.TicketStatus}
