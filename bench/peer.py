"""The peer server: PostGraphile v4 (bench/peer_server.js) as a node process on a free port.

`make peer` installs it with npm into var/postgraphile from bench/postgraphile.json; where that
did not happen (no npm, no registry), `missing()` says why and the bench skips the peer rows.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.servers import LOG_DIR, free_port

INSTALL_DIR = Path("var/postgraphile")
MODULES = INSTALL_DIR / "node_modules"
SCRIPT = Path("bench/peer_server.js")
APPLICATION_NAME = "wallchart-bench-peer"


def missing() -> str | None:
    """Why the peer cannot run here (None when it can)."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (MODULES / "postgraphile" / "package.json").exists():
        return f"PostGraphile is not installed in {INSTALL_DIR} (run `make peer`; needs npm)"
    return None


def version() -> str:
    """The installed PostGraphile version."""
    text = (MODULES / "postgraphile" / "package.json").read_text()
    return str(json.loads(text).get("version", "?"))


def with_application_name(database_url: str, name: str) -> str:
    """The URL with `application_name` set, to tell its PostgreSQL backends apart."""
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}application_name={name}"


@dataclass
class Peer:
    """A running PostGraphile process."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The node process's id (the process is node itself, no wrapper)."""
        return self.process.pid

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(database_url: str, timeout: float = 60.0) -> Peer:
    """Start PostGraphile against `database_url`; wait until it answers GraphQL."""
    port = free_port()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / "postgraphile.log"
    url = with_application_name("postgres://" + database_url.split("://", 1)[1], APPLICATION_NAME)
    environment = {
        **os.environ,
        "NODE_PATH": str(MODULES.resolve()),
        "NODE_ENV": "production",
        "DATABASE_URL": url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["node", str(SCRIPT)], env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    peer = Peer(process, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"PostGraphile exited; see {log}")
        try:
            answer = httpx.post(
                f"{peer.url}/graphql", json={"query": "{ __typename }"}, timeout=5.0
            )
            if answer.status_code == 200:
                return peer
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    peer.stop()
    raise RuntimeError(f"PostGraphile did not answer within {timeout:.0f}s; see {log}")
