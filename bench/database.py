"""The bench database: created, migrated and seeded once, reused while the schema is unchanged.

A fingerprint of the migration files, the scale generator and the project count is kept in the
`bench_seed` table; when it differs, the database is dropped and built again.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from tortoise import connections

from server.db import apply_migrations, close_db, init_db
from server.demo.scale import ScaleReport, seed_scale
from server.settings import Settings

FINGERPRINTED = (Path("server/domain/migrations"), Path("server/demo/scale"))
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/wallchart_bench"
DEFAULT_SQLITE_URL = "sqlite://var/bench/wallchart_bench.sqlite3"


@dataclass(frozen=True)
class Prepared:
    """The state of the bench database after `prepare`."""

    reused: bool
    seconds: float
    report: ScaleReport | None


def fingerprint(projects: int) -> str:
    """Hash of what decides the seeded content: migrations, generator, size."""
    digest = hashlib.sha256(str(projects).encode())
    for root in FINGERPRINTED:
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            digest.update(path.as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def is_sqlite(url: str) -> bool:
    """True for a SQLite URL."""
    return url.startswith("sqlite://")


def _asyncpg_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def connection_url(url: str) -> str:
    """The database URL as asyncpg takes it."""
    return _asyncpg_url(url)


def database_name(url: str) -> str:
    """The name of the database a URL points at."""
    return _server_and_name(url)[1]


def _server_and_name(url: str) -> tuple[str, str]:
    base, _, name = _asyncpg_url(url).rpartition("/")
    return f"{base}/postgres", name.split("?")[0]


async def _stored_fingerprint(url: str) -> str | None:
    if is_sqlite(url):
        path = Path(url.removeprefix("sqlite://"))
        if not path.exists():
            return None
        with sqlite3.connect(path) as db:
            try:
                row = db.execute("SELECT fingerprint FROM bench_seed").fetchone()
            except sqlite3.OperationalError:
                return None
        return row[0] if row else None
    try:
        connection = await asyncpg.connect(_asyncpg_url(url))
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        return await connection.fetchval("SELECT fingerprint FROM bench_seed")
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await connection.close()


async def _recreate(url: str) -> None:
    if is_sqlite(url):
        path = Path(url.removeprefix("sqlite://"))
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        return
    maintenance, name = _server_and_name(url)
    connection = await asyncpg.connect(maintenance)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _record(settings: Settings, value: str) -> None:
    client = connections.get("default")
    await client.execute_script("CREATE TABLE bench_seed (fingerprint VARCHAR(64) NOT NULL)")
    placeholder = "?" if is_sqlite(settings.database_url) else "$1"
    await client.execute_query(f"INSERT INTO bench_seed VALUES ({placeholder})", [value])


async def prepare(settings: Settings, projects: int) -> Prepared:
    """Make the settings' database hold the seeded zone of `projects` projects."""
    started = time.perf_counter()
    wanted = fingerprint(projects)
    if await _stored_fingerprint(settings.database_url) == wanted:
        return Prepared(True, time.perf_counter() - started, None)
    await _recreate(settings.database_url)
    await apply_migrations(settings)
    await init_db(settings)
    try:
        report = await seed_scale(settings, projects)
        await _record(settings, wanted)
    finally:
        await close_db()
    return Prepared(False, time.perf_counter() - started, report)


async def idle_in_transaction(url: str) -> int | None:
    """Sessions of the database left idle in a transaction (None on SQLite)."""
    if is_sqlite(url):
        return None
    _, name = _server_and_name(url)
    connection = await asyncpg.connect(_asyncpg_url(url))
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = $1 AND state LIKE 'idle in transaction%'",
            name,
        )
    finally:
        await connection.close()
