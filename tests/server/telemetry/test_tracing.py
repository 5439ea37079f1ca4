"""OpenTelemetry traces, exported to memory: requests, GraphQL operations, SQL statements."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette

from server.api.app import create_app
from server.settings import Settings
from server.telemetry import tracing
from tests.conftest import BACKEND, Account

ME = "query Me { me { id username } }"
PROGRAMMES = "query Programmes { programmes { id } }"
OTEL_VARIABLES = (
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    """Where the spans of a test go."""
    return InMemorySpanExporter()


@pytest.fixture
def provider(settings: Settings, exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    """Tracing on, into `exporter`, for one test; off again afterwards."""
    started = tracing.configure_tracing(settings, exporter)
    assert started is not None
    yield started
    tracing.stop_tracing(started)


@pytest.fixture
async def traced_client(
    settings: Settings, app: Starlette, provider: TracerProvider
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the service with request spans (the database is the running `app`'s)."""
    traced = create_app(settings)
    tracing.trace_requests(traced, provider)
    transport = httpx.ASGITransport(app=traced)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def named(spans: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    """The one span called `name`."""
    found = [span for span in spans if span.name == name]
    assert len(found) == 1, [span.name for span in spans]
    return found[0]


async def test_a_graphql_request_has_request_operation_and_sql_spans(
    traced_client: httpx.AsyncClient, exporter: InMemorySpanExporter, office: Account
) -> None:
    response = await traced_client.post("/graphql", json={"query": ME}, headers=office.headers)
    assert response.json()["data"]["me"]["username"] == "office"
    spans = exporter.get_finished_spans()
    request = named(spans, "POST /graphql")
    assert request.kind is SpanKind.SERVER
    operation = named(spans, "query Me")
    assert operation.attributes["graphql.operation.type"] == "query"
    assert operation.attributes["graphql.operation.name"] == "Me"
    assert operation.context.trace_id == request.context.trace_id
    assert operation.parent is not None
    sql = [span for span in spans if span.attributes.get("db.system")]
    if BACKEND == "postgres":  # the token's lookup, in the request's trace
        assert any(span.context.trace_id == request.context.trace_id for span in sql), spans
        assert all(span.kind is SpanKind.CLIENT for span in sql)
    else:  # aiosqlite runs statements where the sqlite3 instrumentation does not see them
        assert sql == []


@pytest.mark.skipif(BACKEND != "postgres", reason="SQL spans come from asyncpg (PostgreSQL)")
async def test_statements_run_by_resolvers_are_inside_the_operation_span(
    traced_client: httpx.AsyncClient, exporter: InMemorySpanExporter, office: Account
) -> None:
    exporter.clear()
    response = await traced_client.post(
        "/graphql", json={"query": PROGRAMMES}, headers=office.headers
    )
    assert response.json()["data"]["programmes"] == []
    spans = exporter.get_finished_spans()
    operation = named(spans, "query Programmes")
    inside = [
        span for span in spans if span.parent and span.parent.span_id == operation.context.span_id
    ]
    assert any(span.attributes.get("db.system") == "postgresql" for span in inside), spans


async def test_recorded_urls_have_no_query_string(
    traced_client: httpx.AsyncClient, exporter: InMemorySpanExporter, office: Account
) -> None:
    response = await traced_client.get(
        "/graphql", params={"query": "{ me { id } }"}, headers=office.headers
    )
    assert response.status_code == 200
    photo = await traced_client.get("/photos/1/LARGE?expires=1&signature=s3cr3tsig")
    assert photo.status_code in {403, 404}
    spans = exporter.get_finished_spans()
    named(spans, "query anonymous")
    recorded = [str(value) for span in spans for value in (span.attributes or {}).values()]
    assert any("/photos/1/LARGE" in value for value in recorded)
    assert not any("s3cr3tsig" in value or "me {" in value for value in recorded)


async def test_probes_and_metrics_get_no_spans(
    traced_client: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    assert (await traced_client.get("/healthz")).status_code == 200
    assert (await traced_client.get("/metrics")).status_code == 200
    assert exporter.get_finished_spans() == ()


async def test_tracing_is_off_unless_asked(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert tracing.configure_tracing(settings) is None
    with tracing.operation_span("query", "Me"):
        pass  # a no-op while off
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert tracing.configure_tracing(settings) is None
    monkeypatch.delenv("OTEL_TRACES_EXPORTER")
    assert tracing.tracing_wanted(settings, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"})
    endpoint = Settings(secret_key="k", otel_exporter_otlp_endpoint="http://collector:4318")
    assert tracing.tracing_wanted(endpoint, {})
    assert not tracing.tracing_wanted(endpoint, {"OTEL_SDK_DISABLED": "true"})
