"""The request log: one line per request with its id and facts, and never a secret."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from media import Variant
from server.api.app import create_app
from server.domain.photos import signed_file_url
from server.settings import Settings
from server.telemetry.logs import JSONFormatter, extra_fields
from tests.conftest import TEST_PASSWORD, Account

ME = "query WhoAmI { me { id username role } }"
LOGIN = """
mutation SignIn($u: String!, $p: String!) {
  login(input: {username: $u, password: $p, deviceName: "phone"}) { token errors { code } }
}"""


class _Lines(logging.Handler):
    """Keeps the records logged on `wallchart.request`."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def named(self, message: str) -> list[logging.LogRecord]:
        return [r for r in self.records if r.getMessage() == message]

    def formatted(self) -> str:
        return "\n".join(JSONFormatter().format(r) for r in self.records)


@pytest.fixture
def lines() -> Iterator[_Lines]:
    """The request log's records during the test."""
    logger = logging.getLogger("wallchart.request")
    handler, level = _Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


async def _client_of(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)

    async def boom(request: Request) -> Response:
        raise RuntimeError("the disk caught fire")

    app.router.routes.append(Route("/boom", boom))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def slow_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that finds every request slow."""
    async for http in _client_of(dataclasses.replace(settings, slow_request_ms=0)):
        yield http


@pytest.fixture
async def patient_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that finds no request slow, with a route that fails."""
    async for http in _client_of(dataclasses.replace(settings, slow_request_ms=10**9)):
        yield http


async def test_signed_in_request_logs_its_facts_and_no_secret(
    client: httpx.AsyncClient,
    office: Account,
    lines: _Lines,
) -> None:
    root, everything = logging.getLogger(), _Lines()
    everything.setLevel(logging.DEBUG)
    root.addHandler(everything)
    try:
        response = await client.post(
            "/graphql",
            json={"query": ME, "operationName": "WhoAmI"},
            headers={**office.headers, "X-Request-ID": "proxy-1.a_B"},
        )
    finally:
        root.removeHandler(everything)
    assert response.status_code == 200
    assert response.json()["data"]["me"]["username"] == "office"
    assert response.headers["X-Request-ID"] == "proxy-1.a_B"
    [record] = lines.named("request")
    assert record.levelno == logging.INFO
    fields = extra_fields(record)
    json.dumps(fields)  # serialisable as it is
    assert fields["request_id"] == "proxy-1.a_B"
    assert fields["user_id"] == office.user.id
    assert fields["role"] == "OFFICE"
    assert fields["operation_name"] == "WhoAmI"
    assert fields["operation_type"] == "query"
    assert fields["status"] == 200
    assert fields["method"] == "POST" and fields["path"] == "/graphql"
    assert fields["sql_statements"] > 0
    assert fields["bytes_out"] == len(response.content)
    assert fields["duration_ms"] >= 0
    line = JSONFormatter().format(record)
    assert json.loads(line)["request_id"] == "proxy-1.a_B"
    for secret in (office.token, "Bearer", "Authorization", "authorization"):
        assert secret not in line
    assert not [r for r in everything.records if r.name.startswith("tortoise")]


async def test_sign_in_logs_neither_password_nor_token(
    client: httpx.AsyncClient, office: Account, lines: _Lines
) -> None:
    response = await client.post(
        "/graphql", json={"query": LOGIN, "variables": {"u": "office", "p": TEST_PASSWORD}}
    )
    token = response.json()["data"]["login"]["token"]
    assert token
    [record] = lines.named("request")
    assert extra_fields(record)["operation_name"] == "SignIn"
    assert extra_fields(record)["operation_type"] == "mutation"
    text = lines.formatted()
    assert TEST_PASSWORD not in text
    assert token not in text
    assert "password" not in text.lower()


async def test_an_introspection_answer_kept_from_before_is_logged_as_ok(
    client: httpx.AsyncClient, lines: _Lines
) -> None:
    for _ in range(2):  # the second is answered from the kept introspection answer
        response = await client.post("/graphql", json={"query": "{ __typename }"})
        assert response.status_code == 200
    assert [extra_fields(r)["outcome"] for r in lines.named("request")] == ["ok", "ok"]


@pytest.mark.parametrize("sent", [None, "", "has spaces", "x" * 129, "semi;colon", "ünï"])
async def test_request_id_is_generated_when_missing_or_not_sane(
    client: httpx.AsyncClient, lines: _Lines, sent: str | None
) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent.encode("latin-1")}
    response = await client.get("/healthz", headers=headers)
    returned = response.headers["X-Request-ID"]
    assert returned != sent
    assert len(returned) == 32 and int(returned, 16) >= 0
    [record] = lines.named("request")
    assert extra_fields(record)["request_id"] == returned


async def test_longest_sane_request_id_is_kept(client: httpx.AsyncClient, lines: _Lines) -> None:
    sent = "A" * 128
    response = await client.get("/healthz", headers={"X-Request-ID": sent})
    assert response.headers["X-Request-ID"] == sent
    assert extra_fields(lines.named("request")[0])["request_id"] == sent


async def test_photo_url_line_has_no_signature(
    client: httpx.AsyncClient, settings: Settings, lines: _Lines
) -> None:
    url = signed_file_url(settings, 424242, Variant.LARGE)
    signature = url.split("signature=")[1]
    expires = url.split("expires=")[1].split("&")[0]
    response = await client.get(url)
    assert response.status_code == 404
    [record] = lines.named("request")
    assert extra_fields(record)["path"] == "/photos/424242/large"
    line = lines.formatted()
    assert signature not in line
    assert expires not in line
    assert "sig" not in line


async def test_slow_request_is_a_warning(slow_client: httpx.AsyncClient, lines: _Lines) -> None:
    response = await slow_client.get("/healthz", headers={"X-Request-ID": "slow-1"})
    assert response.status_code == 200
    assert len(lines.named("request")) == 1
    [warning] = lines.named("slow request")
    assert warning.levelno == logging.WARNING
    assert extra_fields(warning)["request_id"] == "slow-1"
    assert extra_fields(warning)["slow_request_ms"] == 0


async def test_no_warning_under_the_threshold(
    patient_client: httpx.AsyncClient, lines: _Lines
) -> None:
    await patient_client.get("/healthz")
    assert len(lines.named("request")) == 1
    assert lines.named("slow request") == []


async def test_unhandled_error_is_logged_with_its_traceback(
    patient_client: httpx.AsyncClient, lines: _Lines
) -> None:
    response = await patient_client.get("/boom?token=abcdef0123", headers={"X-Request-ID": "e1"})
    assert response.status_code == 500
    [error] = lines.named("unhandled error")
    assert error.levelno == logging.ERROR
    parsed = json.loads(JSONFormatter().format(error))
    assert "RuntimeError: the disk caught fire" in parsed["traceback"]
    assert parsed["request_id"] == "e1"
    [request] = lines.named("request")
    assert extra_fields(request)["status"] == 500
    assert extra_fields(request)["path"] == "/boom"
    assert "abcdef0123" not in lines.formatted()
