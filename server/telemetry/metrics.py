"""The service's Prometheus metrics, defined once, and their exposition for /metrics.

Every series has bounded labels: an operation name is kept only when it looks like a GraphQL
name (`[A-Za-z_][A-Za-z0-9_]{0,63}`) and is one of the first `MAX_OPERATION_NAMES` names this
process has seen ("other" past that, "anonymous" for an unnamed operation, "none" for a request
that was not, or did not get as far as, a GraphQL operation); statuses are counted by class.

With several worker processes, `PROMETHEUS_MULTIPROC_DIR` names a folder the workers write
their values to (prometheus-client's multiprocess mode, chosen when the library is imported);
`exposition` then adds up every worker's files, so any worker answers for all of them.

Database pool in use is not measured: Tortoise keeps its asyncpg pool private (`_pool`) and
offers no public count of connections taken, and SQLite has a single connection.
"""

from __future__ import annotations

import os
import re

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from server.telemetry.requests import RequestFacts

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
MAX_OPERATION_NAMES = 100
"""Distinct operation names one process labels series with; later names count as "other"."""
OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

REQUESTS = Counter(
    "wallchart_requests",
    "HTTP requests answered, by GraphQL operation name and type, outcome and status class.",
    ["operation", "type", "outcome", "status"],
)
REQUEST_SECONDS = Histogram(
    "wallchart_request_duration_seconds",
    "Time to answer a request, by GraphQL operation name and type.",
    ["operation", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
QUERY_COST = Histogram(
    "wallchart_query_cost",
    "Worst-case cost of the GraphQL operations run, as checked against max_query_cost.",
    ["type"],
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000),
)
DOCUMENTS = Counter(
    "wallchart_graphql_documents",
    "GraphQL documents prepared: found parsed and validated in the cache (hit) or not (miss).",
    ["cache"],
)
SQL_STATEMENTS = Histogram(
    "wallchart_sql_statements_per_request",
    "SQL statements one request ran.",
    ["type"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100, 200),
)
UPLOAD_BYTES = Counter("wallchart_upload_bytes", "Bytes of photo files decoded and accepted.")
PHOTOS_PROCESSED = Counter("wallchart_photos_processed", "Photo files decoded and accepted.")
PHOTO_PROCESSING_SECONDS = Histogram(
    "wallchart_photo_processing_seconds",
    "Time to check and decode one photo and render its variants.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30),
)
SIGN_IN_FAILURES = Counter(
    "wallchart_sign_in_failures", "Sign-ins refused for a wrong username or password."
)
THROTTLED = Counter(
    "wallchart_throttled",
    "Requests refused by a throttle: sign_in (RATE_LIMITED sign-ins), uploads (429).",
    ["kind"],
)

_operation_names: set[str] = set()


def operation_label(facts: RequestFacts) -> str:
    """The bounded `operation` label of a request (see the module docstring)."""
    if facts.operation_type is None:
        return "none"
    name = facts.operation_name
    if not name:
        return "anonymous"
    if not OPERATION_NAME.fullmatch(name):
        return "other"
    if name not in _operation_names:
        if len(_operation_names) >= MAX_OPERATION_NAMES:
            return "other"
        _operation_names.add(name)
    return name


def outcome_label(facts: RequestFacts) -> str:
    """ok, errors, refused or not_modified (a conditional GET answered 304 without running,
    `server.api.conditional`): the GraphQL endpoint's word, else judged by the status."""
    if facts.outcome is not None:
        return facts.outcome
    if facts.status >= 500:
        return "errors"
    return "refused" if facts.status >= 400 else "ok"


def record_request(facts: RequestFacts, seconds: float) -> None:
    """Count a finished request: by operation, type and outcome, its latency, cost and SQL."""
    operation = operation_label(facts)
    kind = facts.operation_type or "none"
    status = f"{facts.status // 100}xx" if facts.status else "none"
    REQUESTS.labels(operation, kind, outcome_label(facts), status).inc()
    REQUEST_SECONDS.labels(operation, kind).observe(seconds)
    SQL_STATEMENTS.labels(kind).observe(facts.sql_statements)
    if facts.query_cost is not None:
        QUERY_COST.labels(kind).observe(facts.query_cost)
    if facts.document_cached is not None:
        DOCUMENTS.labels("hit" if facts.document_cached else "miss").inc()


def record_sign_in_failure() -> None:
    """Count a sign-in refused for a wrong username or password."""
    SIGN_IN_FAILURES.inc()


def record_throttled(kind: str) -> None:
    """Count a request a throttle refused; `kind` is a constant of the caller (bounded)."""
    THROTTLED.labels(kind).inc()


def record_upload(size_bytes: int, seconds: float) -> None:
    """Count a photo decoded and accepted: its bytes and the time it took."""
    UPLOAD_BYTES.inc(size_bytes)
    PHOTOS_PROCESSED.inc()
    PHOTO_PROCESSING_SECONDS.observe(seconds)


def exposition() -> tuple[bytes, str]:
    """Every metric in the Prometheus text format, and that format's media type.

    In multiprocess mode the values of all workers are collected into a fresh registry
    (prometheus-client's documented way), else the process's default registry is read.
    """
    registry: CollectorRegistry = REGISTRY
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    return generate_latest(registry), CONTENT_TYPE_LATEST
