"""The service's Prometheus metrics (helper 2 writes this module)."""

from __future__ import annotations

from server.telemetry.requests import RequestFacts


def record_request(facts: RequestFacts, seconds: float) -> None:
    """Count a finished request: by operation, type and outcome, its latency, cost and SQL."""
