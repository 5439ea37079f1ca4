"""The nightly board write: when it runs, what it writes, and that two workers write once —
driven by an injected clock, never by waiting."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from server.api.scheduler import (
    AFTER_MIDNIGHT,
    CATCH_UP_DAYS,
    next_run,
    run_board_scheduler,
    write_ended_days,
)
from server.domain import journal
from server.domain.models import BoardSnapshot, JournalEntry, Project
from server.settings import Settings
from tests import factories


def zoned(settings: Settings, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=settings.zone)


def test_next_run_is_just_after_the_zone_midnight(settings: Settings) -> None:
    evening = zoned(settings, 2026, 11, 10, 22, 0)
    assert next_run(evening, settings) == zoned(settings, 2026, 11, 11, 0, 5)
    early = zoned(settings, 2026, 11, 11, 0, 1)
    assert next_run(early, settings) == zoned(settings, 2026, 11, 11, 0, 5)
    # in UTC it is still the 10th at 16:06, but the zone's night has passed
    after = dt.datetime(2026, 11, 10, 16, 6, tzinfo=dt.UTC)
    assert next_run(after, settings) == zoned(settings, 2026, 11, 12, 0, 5)


async def test_the_scheduler_writes_the_day_that_ended(settings: Settings) -> None:
    project = await factories.project("P-NIGHT")
    created = zoned(settings, 2026, 11, 8, 9, 0).astimezone(dt.UTC)
    await Project.filter(id=project.id).update(created_at=created)
    clock = [zoned(settings, 2026, 11, 10, 22, 0)]
    waits: list[float] = []
    nights = 0

    def now() -> dt.datetime:
        return clock[0]

    async def sleep(seconds: float) -> None:
        nonlocal nights
        waits.append(seconds)
        if nights == 2:
            raise asyncio.CancelledError
        nights += 1
        clock[0] += dt.timedelta(seconds=seconds)

    stale = await JournalEntry.create(typename="Project", object_id=project.id)
    await JournalEntry.filter(seq=stale.seq).update(at=clock[0] - dt.timedelta(days=31))
    fresh = await JournalEntry.create(typename="Project", object_id=project.id)
    await JournalEntry.filter(seq=fresh.seq).update(at=clock[0] - dt.timedelta(days=20))
    with pytest.raises(asyncio.CancelledError):
        await run_board_scheduler(settings, now=now, sleep=sleep)
    # the journal is pruned to sync_retention_days (30) after each night's write
    assert [e.seq for e in await JournalEntry.all()] == [fresh.seq]
    assert await journal.horizon() == stale.seq
    assert waits[0] == (2 * 3600 + AFTER_MIDNIGHT.total_seconds())
    assert waits[1] == 24 * 3600
    lines = {s.date: s.backfilled for s in await BoardSnapshot.filter(project_id=project.id)}
    # first night: the 10th (just ended) and the catch-up of the 8th and 9th; then the 11th
    assert lines == {
        dt.date(2026, 11, 8): True,
        dt.date(2026, 11, 9): True,
        dt.date(2026, 11, 10): False,
        dt.date(2026, 11, 11): False,
    }


async def test_two_workers_write_each_line_once(settings: Settings) -> None:
    for code in ("P-W1", "P-W2"):
        project = await factories.project(code)
        await Project.filter(id=project.id).update(
            created_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        )
    night = zoned(settings, 2026, 11, 11, 0, 5)
    reports = await asyncio.gather(*(write_ended_days(settings, night) for _ in range(2)))
    assert await BoardSnapshot.filter(date=dt.date(2026, 11, 10)).count() == 2
    assert await BoardSnapshot.all().count() == 2 * (CATCH_UP_DAYS + 1)
    written = sum(r.total_written for r in reports if r is not None)
    assert written == 2 * (CATCH_UP_DAYS + 1)
