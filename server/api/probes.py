"""Liveness and readiness probes: `/healthz` (the process answers) and `/readyz` (it can work).

Both are anonymous and cheap: readiness runs `SELECT 1` with a short timeout and writes and
removes one small file in the media folder. They answer JSON, 200 or 503.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse

from server.db import ping
from server.settings import Settings

DATABASE_TIMEOUT_SECONDS = 2.0


def media_writable(media_root: str) -> bool:
    """True when a file can be created and removed in the media folder."""
    probe = Path(media_root) / f".ready-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        Path(media_root).mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError:
        return False
    return True


async def healthz(request: Request) -> JSONResponse:
    """200 while the process serves requests."""
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


class Readiness:
    """`/readyz`: 200 when the database answers and the media folder is writable, else 503."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def handle(self, request: Request) -> JSONResponse:
        """Check both dependencies and say which is failing."""
        checks = {
            "database": await ping(DATABASE_TIMEOUT_SECONDS),
            "media": await asyncio.to_thread(media_writable, self.settings.media_root),
        }
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
            headers={"Cache-Control": "no-store", **({} if ready else {"Retry-After": "5"})},
        )
