"""The budget rows' sizes and their own server process."""

from __future__ import annotations

from dataclasses import dataclass

from bench import load, servers

BODY_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class BudgetConfig:
    """Sizes of the budget rows for a full or a quick run."""

    hostile_requests: int
    concurrency: int
    rounds: int
    probe_seconds: float
    probe_interval: float = 0.01
    probe_connections: int = 4
    timeout: float = 30.0
    slow: float = 1.0
    body_bytes: int = BODY_BYTES


def budget_config(quick: bool) -> BudgetConfig:
    """The budget rows' sizes: `make bench-quick` or `make bench`."""
    if quick:
        return BudgetConfig(200, 4, 2, probe_seconds=1.5)
    return BudgetConfig(400, 4, 3, probe_seconds=3.0)


class Service:
    """The budget rows' own server process and a keep-alive client of it."""

    def __init__(self, database_url: str, connections: int) -> None:
        self.database_url = database_url
        self.connections = connections
        self.restarts = 0
        self.server = servers.start("budget", database_url, {})
        self.http = load.client(self.server.url, connections)

    async def restart(self) -> None:
        """A fresh process: the old one may still be busy with a request that timed out."""
        await self.http.aclose()
        self.server.stop()
        self.server = servers.start("budget", self.database_url, {})
        self.http = load.client(self.server.url, self.connections)
        self.restarts += 1

    async def close(self) -> None:
        """Stop the client and the process."""
        await self.http.aclose()
        self.server.stop()
