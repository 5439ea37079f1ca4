"""CPU time from /proc: of a server process, and of the PostgreSQL backends serving it.

A server's backends are the sessions of the bench database whose `application_name` is the
server's (set in its database URL). `Snapshot`s taken before and after a timed run give the CPU
spent in between; a backend that appeared meanwhile counts with all its CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def stat_ticks(stat: str) -> int:
    """User + system clock ticks from the text of /proc/<pid>/stat."""
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def process_seconds(pid: int) -> float | None:
    """CPU seconds process `pid` has used (None when /proc does not show it)."""
    try:
        return stat_ticks(Path(f"/proc/{pid}/stat").read_text()) / TICKS_PER_SECOND
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


@dataclass(frozen=True)
class Snapshot:
    """CPU seconds of a server process and of each of its PostgreSQL backends, at one moment."""

    server: float
    backends: dict[int, float] = field(default_factory=dict)
    backends_visible: bool = True


def spent(before: Snapshot, after: Snapshot) -> tuple[float, float | None]:
    """(server CPU seconds, PostgreSQL CPU seconds or None) spent between two snapshots."""
    database: float | None = None
    if before.backends_visible and after.backends_visible:
        database = sum(
            seconds - before.backends.get(pid, 0.0) for pid, seconds in after.backends.items()
        )
    return after.server - before.server, database


def per_request(seconds: float | None, requests: int) -> float | None:
    """Milliseconds per request (None when not measured or nothing was answered)."""
    if seconds is None or requests <= 0:
        return None
    return seconds * 1000 / requests


async def backend_pids(
    connection: asyncpg.Connection, database: str, application: str
) -> list[int]:
    """Process ids of the sessions of `database` opened by `application`."""
    rows = await connection.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
        database,
        application,
    )
    return [row["pid"] for row in rows]


async def snapshot(
    connection: asyncpg.Connection, database: str, application: str, server_pid: int
) -> Snapshot:
    """The CPU used so far by the server process and by its PostgreSQL backends."""
    server = process_seconds(server_pid)
    if server is None:
        raise RuntimeError(f"server process {server_pid} is gone")
    pids = await backend_pids(connection, database, application)
    backends = {pid: seconds for pid in pids if (seconds := process_seconds(pid)) is not None}
    # None of them in /proc: PostgreSQL runs elsewhere (another host, a container).
    return Snapshot(server, backends, backends_visible=bool(backends) or not pids)
