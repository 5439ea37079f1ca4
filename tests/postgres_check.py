"""Exit 0 when the PostgreSQL server of the URL given as argument answers, 1 otherwise."""

from __future__ import annotations

import asyncio
import sys

import asyncpg


async def reachable(url: str) -> bool:
    """True when a connection to `url` can be opened within five seconds."""
    try:
        connection = await asyncpg.connect(url.replace("postgres://", "postgresql://"), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(reachable(sys.argv[1])) else 1)
