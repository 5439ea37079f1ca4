"""Optional OpenTelemetry tracing: a span per request, per GraphQL operation, per SQL statement.

Off by default. It is on when `WALLCHART_OTEL_EXPORTER_OTLP_ENDPOINT` is set (the collector's
base URL, e.g. `http://collector:4318`; spans go to its `/v1/traces` over OTLP/HTTP), when the
standard `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
`OTEL_TRACES_EXPORTER=otlp|console` ask for it, or when a test passes an exporter;
`OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` keep it off. The other standard
variables (`OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`, headers, ...) apply as usual.

Requests are traced by opentelemetry-instrumentation-asgi, with the query string removed from
the recorded URL (photo URLs carry signatures); SQL statements by
opentelemetry-instrumentation-asyncpg on PostgreSQL. On SQLite there are no SQL spans, so
opentelemetry-instrumentation-sqlite3 is not used: it traces statements run through a
connection's `cursor()`, while aiosqlite, under Tortoise, runs them with the `execute`
shortcut, in a thread of its own that does not carry the request's trace context either.

The opentelemetry packages are imported only when tracing is on, so the service runs without
them otherwise.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from server.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from starlette.applications import Starlette

TRACER_NAME = "wallchart"
UNTRACED_PATHS = "/healthz$,/readyz$,/metrics$"
"""Paths whose requests get no span: probes and scrapes, many and uninteresting."""
URL_ATTRIBUTES_WITH_QUERY = ("http.url", "http.target", "url.full")

_tracer: Any = None
"""The tracer of the operation spans; None while tracing is off."""


def tracing_wanted(settings: Settings, environ: Mapping[str, str]) -> bool:
    """True when the settings or the standard OTEL_* variables ask for traces."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    return bool(
        settings.otel_exporter_otlp_endpoint
        or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or exporter in {"otlp", "console"}
    )


def configure_tracing(
    settings: Settings, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Start tracing when asked (see the module docstring): the TracerProvider, or None.

    With `exporter` (tests: an InMemorySpanExporter) spans are exported as they end; otherwise
    in batches to the OTLP endpoint, flushed when the process exits. PostgreSQL statements
    are traced from here on.
    """
    global _tracer
    if exporter is None and not tracing_wanted(settings, os.environ):
        return None
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "wallchart"}
    provider = TracerProvider(resource=Resource.create(attributes))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider.add_span_processor(BatchSpanProcessor(_standard_exporter(settings)))
    AsyncPGInstrumentor().instrument(tracer_provider=provider)
    _tracer = provider.get_tracer(TRACER_NAME)
    return provider


def _standard_exporter(settings: Settings) -> SpanExporter:
    """The OTLP/HTTP exporter (or the console's, when OTEL_TRACES_EXPORTER=console)."""
    if os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if settings.otel_exporter_otlp_endpoint:
        base = settings.otel_exporter_otlp_endpoint.rstrip("/")
        return OTLPSpanExporter(endpoint=f"{base}/v1/traces")
    return OTLPSpanExporter()


def stop_tracing(provider: TracerProvider) -> None:
    """Undo `configure_tracing`: flush and end `provider`, stop tracing SQL and operations."""
    global _tracer
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    _tracer = None
    AsyncPGInstrumentor().uninstrument()
    provider.shutdown()


def trace_requests(app: Starlette, provider: TracerProvider) -> None:
    """Give each request to `app` a span (outermost middleware), URLs without query strings."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    app.add_middleware(
        OpenTelemetryMiddleware,
        tracer_provider=provider,
        excluded_urls=UNTRACED_PATHS,
        server_request_hook=_drop_query_string,
    )


def _drop_query_string(span: Any, scope: dict[str, Any]) -> None:
    """Record the request's URL without its query string (signatures, GraphQL variables)."""
    if not span.is_recording():
        return
    for key in URL_ATTRIBUTES_WITH_QUERY:
        value = span.attributes.get(key) if span.attributes else None
        if isinstance(value, str) and "?" in value:
            span.set_attribute(key, value.partition("?")[0])
    if span.attributes and "url.query" in span.attributes:
        span.set_attribute("url.query", "")


@contextlib.contextmanager
def operation_span(operation_type: str, operation_name: str | None) -> Iterator[None]:
    """A span around one GraphQL operation's execution, named like "query Home"; a no-op
    while tracing is off. The document and variables are not recorded (they may hold secrets).
    """
    if _tracer is None:
        yield
        return
    name = (operation_name or "anonymous")[:100]
    attributes = {"graphql.operation.type": operation_type, "graphql.operation.name": name}
    with _tracer.start_as_current_span(f"{operation_type} {name}", attributes=attributes):
        yield
