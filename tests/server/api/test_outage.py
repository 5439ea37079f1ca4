"""A database outage: the real server answers 503 UNAVAILABLE, then recovers by itself.

The service runs in its own process (uvicorn), reaching PostgreSQL through a TCP relay that
the test cuts and restores, as a network or database restart would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="the outage is PostgreSQL's")

PROBE = {"query": "{ me { id } }"}
SIGNED = {"Authorization": "Bearer not-a-live-token"}  # looked up in the database


class Relay:
    """Forwards TCP connections from a local port to PostgreSQL until cut."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        """Listen (on the same port as before, after a cut)."""
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Stop listening and drop every relayed connection."""
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        await self.server.wait_closed()
        self.server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers.update({writer, up_writer})
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )
        self.writers.difference_update({writer, up_writer})

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def service(database_url: str, media: Path) -> AsyncIterator[str]:
    """The service in a uvicorn process; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "WALLCHART_DATABASE_URL": database_url,
        "WALLCHART_MEDIA_ROOT": str(media),
        "WALLCHART_SECRET_KEY": "outage-test",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "server.api.app:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()  # waited for off the loop: the relay serves its shutdown
        try:
            await asyncio.to_thread(process.wait, 15)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait, 5)


async def wait_until_up(http: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(httpx.TransportError):
            if (await http.get("/healthz")).status_code == 200:
                return
        assert time.monotonic() < deadline, "the service did not start"
        await asyncio.sleep(0.1)


@pytest.fixture
async def relay(database_url: str) -> AsyncIterator[Relay]:
    parts = urlsplit(database_url)
    running = Relay((parts.hostname or "127.0.0.1", parts.port or 5432))
    await running.start()
    yield running
    if running.server is not None:
        await running.cut()


async def test_database_outage_is_503_and_the_service_recovers(
    app: Starlette, database_url: str, relay: Relay, tmp_path: Path
) -> None:
    parts = urlsplit(database_url)
    through_relay = parts._replace(netloc=f"{parts.username}@127.0.0.1:{relay.port}").geturl()
    async with (
        service(through_relay, tmp_path / "media") as base,
        httpx.AsyncClient(base_url=base, timeout=20) as http,
    ):
        await wait_until_up(http)
        up = await http.post("/graphql", json=PROBE, headers=SIGNED)
        assert up.status_code == 200, up.text
        assert (await http.get("/readyz")).status_code == 200

        await relay.cut()
        down = await http.post("/graphql", json=PROBE, headers=SIGNED)
        assert down.status_code == 503, down.text
        assert down.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
        assert int(down.headers["retry-after"]) > 0
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"database": False, "media": True}
        assert (await http.get("/healthz")).status_code == 200
        export = await http.get("/exports/overdue.csv", headers=SIGNED)
        assert export.status_code == 503

        await relay.start()
        statuses = []
        for _ in range(3):  # a pooled connection that died with the cut may fail once
            statuses.append((await http.post("/graphql", json=PROBE, headers=SIGNED)).status_code)
        assert statuses[-1] == 200, statuses
        assert set(statuses) <= {200, 503}
        assert (await http.get("/readyz")).status_code == 200
