"""Tortoise ORM configuration, start-up and migrations."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.api.migrate import migrate as migrate_api
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.writer import MigrationWriter

from server.settings import Settings

MODELS_MODULE = "server.domain.models"
MIGRATIONS_MODULE = "server.domain.migrations"


async def keep_session(connection: Any) -> None:
    """Give a pooled PostgreSQL connection back without asyncpg's reset statement.

    By default asyncpg sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL;` whenever a connection returns to the pool, and the ORM takes one from the pool
    for every statement outside a transaction: a second round trip per query. The service
    holds no advisory locks, cursors or LISTENs and leaves no session setting behind (the
    scale seed resets the two it sets); the pool still rolls back a transaction left open
    before calling this.
    """


def tortoise_config(settings: Settings) -> dict[str, Any]:
    """The Tortoise config dict for the settings' database."""
    url = settings.database_url
    connection: str | dict[str, Any] = url
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    else:
        connection = expand_db_url(url)
        connection["credentials"]["reset"] = keep_session
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(settings: Settings) -> None:
    """Open the ORM for the service (global context, so every request task sees it)."""
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def close_db() -> None:
    """Close every database connection."""
    await Tortoise.close_connections()


async def apply_migrations(settings: Settings) -> None:
    """Bring the database schema up to the latest committed migration."""
    try:
        await migrate_api(config=tortoise_config(settings))
    finally:
        await Tortoise.close_connections()


UNREACHABLE_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    DBConnectionError,
    asyncpg.exceptions.PostgresConnectionError,  # refused, dropped, failed connections
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
)


def is_unreachable(error: BaseException | None) -> bool:
    """True when `error`, or an error it was raised from, means the database cannot be reached.

    Refused or dropped connections, timeouts, a server shutting down or starting up; not a
    refused statement (a constraint, bad SQL), which is the request's own fault.
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, UNREACHABLE_ERRORS):
            return True
        if type(error) is OSError and str(error).startswith("Multiple exceptions"):
            return True  # every address of the host refused the connection
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


async def ping(timeout: float) -> bool:
    """True when the database answers `SELECT 1` within `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            await connections.get("default").execute_query("SELECT 1")
    except Exception:  # unreachable, timed out or not initialised: not ready, whatever the cause
        return False
    return True


async def _pending_writers(settings: Settings) -> list[MigrationWriter]:
    config = tortoise_config(settings)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        return await MigrationAutodetector(ctx.apps, config["apps"]).changes()


async def pending_model_changes(settings: Settings) -> list[str]:
    """Names of the migrations the models still need (empty when migrations are current)."""
    return [writer.name for writer in await _pending_writers(settings)]


async def make_migrations(settings: Settings) -> list[str]:
    """Write a migration for every model change not yet migrated; return the files."""
    return [str(writer.write()) for writer in await _pending_writers(settings)]
