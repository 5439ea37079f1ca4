"""The board's nightly write inside `serve`: shortly after each midnight, zone time, the lines
of the day that just ended (and any of the week before that are missing, after a downtime);
then the worker that wrote it prunes the change journal to `sync_retention_days`
(`server.domain.sync.prune`).

Every worker process runs the loop; one writes. On PostgreSQL the write runs in a transaction
holding a transaction-level advisory lock (`pg_try_advisory_xact_lock`): a worker that does not
get it leaves the night to the one that did, and one coming after finds the lines written. On
SQLite (one machine, usually one worker) the table's unique (project, date) constraint makes a
second write add nothing. The clock (`now`) and the wait (`sleep`) are injectable for tests.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from tortoise import connections
from tortoise.transactions import in_transaction

from server.domain import sync
from server.domain.clock import utc_now
from server.domain.snapshots import SnapshotReport, snapshot_range
from server.settings import Settings

logger = logging.getLogger("wallchart")

AFTER_MIDNIGHT = dt.timedelta(minutes=5)
"""How long after midnight the day that ended is written (late edits of the evening land)."""
CATCH_UP_DAYS = 7
"""Days before yesterday whose missing lines a nightly run fills too."""
LOCK_KEY = 0x57A11C4A27
"""The advisory lock of the nightly board write (an arbitrary number of this service's)."""

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[None]]


def next_run(now: dt.datetime, settings: Settings) -> dt.datetime:
    """The first nightly run time (AFTER_MIDNIGHT past a zone midnight) after `now`."""
    local = now.astimezone(settings.zone)
    midnight = dt.datetime.combine(local.date(), dt.time(), settings.zone)
    run = midnight + AFTER_MIDNIGHT
    if run <= local:
        next_day = local.date() + dt.timedelta(days=1)
        run = dt.datetime.combine(next_day, dt.time(), settings.zone) + AFTER_MIDNIGHT
    return run


async def write_ended_days(settings: Settings, now: dt.datetime) -> SnapshotReport | None:
    """Write the missing lines of yesterday and of the CATCH_UP_DAYS before it, as of `now`;
    None when another worker holds the nightly lock."""
    today = now.astimezone(settings.zone).date()
    start = today - dt.timedelta(days=CATCH_UP_DAYS + 1)
    async with in_transaction() as connection:
        if connections.get("default").capabilities.dialect == "postgres":
            rows = await connection.execute_query_dict(
                "SELECT pg_try_advisory_xact_lock($1) AS mine", [LOCK_KEY]
            )
            if not rows[0]["mine"]:
                return None
        return await snapshot_range(start, today - dt.timedelta(days=1), settings, today=today)


async def run_board_scheduler(
    settings: Settings, now: Clock = utc_now, sleep: Sleep = asyncio.sleep
) -> None:
    """Write the board every night until cancelled; a failed night is logged and the next
    one tried (it catches up the missing days)."""
    while True:
        await sleep(max((next_run(now(), settings) - now()).total_seconds(), 0.0))
        try:
            report = await write_ended_days(settings, now())
        except Exception:
            logger.exception("the nightly board snapshot failed")
            continue
        if report is None:
            logger.info("the nightly board snapshot is written by another worker")
            continue
        logger.info(
            "board snapshot written", extra={"lines": report.total_written, "kept": report.kept}
        )
        try:
            retention = dt.timedelta(days=settings.sync_retention_days)
            dropped = await sync.prune(now() - retention)
        except Exception:
            logger.exception("pruning the change journal failed")
            continue
        logger.info("change journal pruned", extra={"entries": dropped})
