"""How big and how long a bench run is: `make bench` or `make bench-quick`."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bench import database


@dataclass(frozen=True)
class Config:
    """How big and how long: `make bench` or `make bench-quick`."""

    quick: bool
    database_url: str
    projects: int
    rounds: int
    seconds: float
    concurrency: int


def config(quick: bool) -> Config:
    """The configuration of a full (PostgreSQL, 10 000 projects) or quick (SQLite) run."""
    if quick:
        url = os.environ.get("WALLCHART_BENCH_QUICK_DATABASE_URL", database.DEFAULT_SQLITE_URL)
        return Config(True, url, 500, rounds=2, seconds=0.7, concurrency=8)
    url = os.environ.get("WALLCHART_BENCH_DATABASE_URL", database.DEFAULT_POSTGRES_URL)
    return Config(False, url, 10_000, rounds=5, seconds=2.5, concurrency=16)
