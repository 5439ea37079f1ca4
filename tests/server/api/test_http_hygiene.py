"""Compression, browsers and tokens: gzip, CORS, the GraphQL response media type, and why a
token was refused."""

from __future__ import annotations

import dataclasses
import gzip
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from graphql import get_introspection_query

from server.api.app import create_app
from server.api.json_response import prefers_graphql_response
from server.domain.clock import utc_now
from server.domain.models import AuthToken, User
from server.settings import Settings, SettingsError
from tests.conftest import TEST_PASSWORD, Account

APP_ORIGIN = "https://wallchart.example.com"
PROJECTS = "{ projects { totalCount } }"
ME = "{ me { username } }"
BAD_VARIABLES = "query($n: Int!) { projects(first: $n) { totalCount } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


async def raw_answer(client: httpx.AsyncClient, json: dict[str, Any], encoding: str) -> Any:
    """POST /graphql asking for `encoding`; the response and its body bytes as sent."""
    async with client.stream(
        "POST", "/graphql", json=json, headers={"Accept-Encoding": encoding}
    ) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, body


async def test_a_large_json_answer_is_gzipped_for_a_client_that_accepts_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    introspection = {"query": get_introspection_query()}
    plain, plain_body = await raw_answer(client, introspection, "identity")
    zipped, zipped_body = await raw_answer(client, introspection, "gzip")
    assert "content-encoding" not in plain.headers
    assert len(plain_body) > settings.gzip_min_bytes
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert len(zipped_body) < len(plain_body) / 4
    assert gzip.decompress(zipped_body) == plain_body


async def test_a_small_answer_is_not_gzipped(client: httpx.AsyncClient, settings: Settings) -> None:
    response, body = await raw_answer(client, {"query": "{ __typename }"}, "gzip")
    assert len(body) < settings.gzip_min_bytes
    assert "content-encoding" not in response.headers
    assert orjson.loads(body)["data"] == {"__typename": "Query"}


async def test_a_workbook_is_not_gzipped_again(client: httpx.AsyncClient, office: Account) -> None:
    response = await client.get(
        "/exports/overdue.xlsx", headers={**office.headers, "Accept-Encoding": "gzip"}
    )
    assert response.status_code == 200
    assert len(response.content) > 1000
    assert "content-encoding" not in response.headers
    assert response.content.startswith(b"PK")  # a zip file, compressed already


@pytest.fixture
async def browser_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a service that allows the web client at APP_ORIGIN."""
    app = create_app(
        dataclasses.replace(settings, cors_origins=f"{APP_ORIGIN}, http://localhost:5173")
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def preflight(origin: str) -> dict[str, str]:
    """The headers of the preflight a browser sends before a multipart upload from `origin`."""
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,x-requested-with,x-request-id",
    }


async def test_a_preflight_for_an_upload_from_an_allowed_origin_is_answered(
    browser_client: httpx.AsyncClient,
) -> None:
    response = await browser_client.options("/graphql", headers=preflight(APP_ORIGIN))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"authorization", "content-type", "x-requested-with", "x-request-id"} <= allowed
    assert {"apollo-require-preflight", "if-none-match"} <= allowed
    assert "access-control-allow-credentials" not in response.headers


async def test_a_preflight_from_another_origin_gets_no_cors_headers(
    browser_client: httpx.AsyncClient,
) -> None:
    response = await browser_client.options("/graphql", headers=preflight("https://evil.example"))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_an_allowed_origin_may_read_the_answer_and_its_request_id(
    browser_client: httpx.AsyncClient,
) -> None:
    response = await browser_client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "http://localhost:5173"}
    )
    assert response.json()["data"] == {"__typename": "Query"}
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "X-Request-ID" in response.headers["access-control-expose-headers"]
    assert "WWW-Authenticate" in response.headers["access-control-expose-headers"]
    assert "ETag" in response.headers["access-control-expose-headers"]  # conditional GETs


async def test_without_origins_there_is_no_cors(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": APP_ORIGIN}
    )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    "origins", ["https://app.example/", "*", "app.example", "ftp://app.example", "https://a:0x"]
)
def test_an_origin_that_is_not_scheme_host_port_stops_the_start(origins: str) -> None:
    with pytest.raises(SettingsError, match="WALLCHART_CORS_ORIGINS"):
        Settings.from_env({"WALLCHART_CORS_ORIGINS": origins}, secret_key="k")


def test_origins_that_are_scheme_host_port_are_kept() -> None:
    raw = "https://app.example, http://localhost:5173,"
    assert Settings.from_env({"WALLCHART_CORS_ORIGINS": raw}, secret_key="k").cors_origins == raw


@pytest.mark.parametrize(
    ("accept", "preferred"),
    [
        ("", False),
        ("*/*", False),
        ("application/json", False),
        (GRAPHQL_RESPONSE, True),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", True),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", False),
        (f"{GRAPHQL_RESPONSE};q=0, */*", False),
    ],
)
def test_the_graphql_response_media_type_is_chosen_by_preference(
    accept: str, preferred: bool
) -> None:
    assert prefers_graphql_response(accept) is preferred


async def test_the_graphql_response_media_type_when_asked(client: httpx.AsyncClient) -> None:
    accept = {"Accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}
    ok = await client.post("/graphql", json={"query": "{ __typename }"}, headers=accept)
    assert ok.status_code == 200
    assert ok.headers["content-type"] == GRAPHQL_RESPONSE
    assert ok.json()["data"] == {"__typename": "Query"}
    refused = await client.post(
        "/graphql", json={"query": BAD_VARIABLES, "variables": {"n": "x"}}, headers=accept
    )
    assert refused.status_code == 400
    assert refused.headers["content-type"] == GRAPHQL_RESPONSE
    assert "data" not in refused.json()  # refused before execution: no data entry
    assert refused.json()["errors"]
    invalid = await client.post("/graphql", json={"query": "{ nope }"}, headers=accept)
    assert invalid.status_code == 400
    assert "data" not in invalid.json()


async def test_application_json_answers_are_unchanged(client: httpx.AsyncClient) -> None:
    refused = await client.post(
        "/graphql",
        json={"query": BAD_VARIABLES, "variables": {"n": "x"}},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/json"
    assert refused.json()["data"] is None


async def expire(account: Account) -> None:
    """End the account's token by time."""
    await AuthToken.filter(user_id=account.user.id).update(
        expires_at=utc_now() - timedelta(seconds=1)
    )


async def revoke(account: Account) -> None:
    """End the account's token by logout."""
    await AuthToken.filter(user_id=account.user.id).update(revoked_at=utc_now())


async def disable(account: Account) -> None:
    """Disable the account, its token still live."""
    await User.filter(id=account.user.id).update(is_active=False)


async def forget(account: Account) -> None:
    """Make the account's token one the service never issued."""
    account.token = secrets.token_urlsafe(24)


@pytest.mark.parametrize(
    ("end", "reason"),
    [(expire, "expired"), (revoke, "revoked"), (disable, "revoked"), (forget, "unknown")],
)
async def test_a_refused_token_is_told_why(
    client: httpx.AsyncClient, office: Account, end: Any, reason: str
) -> None:
    await end(office)
    response = await client.post("/graphql", json={"query": PROJECTS}, headers=office.headers)
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="')
    assert reason in challenge
    assert office.token not in challenge


async def test_me_with_a_refused_token_is_null_and_says_why(
    client: httpx.AsyncClient, office: Account
) -> None:
    await expire(office)
    response = await client.post("/graphql", json={"query": ME}, headers=office.headers)
    assert response.json() == {"data": {"me": None}, "extensions": response.json()["extensions"]}
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_an_app_still_sending_its_expired_token_can_sign_in_again(
    client: httpx.AsyncClient, office: Account
) -> None:
    await expire(office)
    login = """mutation($u: String!, $p: String!) {
      login(input: {username: $u, password: $p}) { token errors { code } } }"""
    response = await client.post(
        "/graphql",
        json={"query": login, "variables": {"u": "office", "p": TEST_PASSWORD}},
        headers=office.headers,
    )
    answer = response.json()["data"]["login"]
    assert answer["errors"] == []
    fresh = {"Authorization": f"Bearer {answer['token']}"}
    me = await client.post("/graphql", json={"query": ME}, headers=fresh)
    assert me.json()["data"] == {"me": {"username": "office"}}
    assert "www-authenticate" not in me.headers


async def test_no_token_is_unauthenticated_without_a_reason_or_challenge(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/graphql", json={"query": PROJECTS})
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert "www-authenticate" not in response.headers
    me = await client.post("/graphql", json={"query": ME})
    assert me.json()["data"] == {"me": None}
    assert "www-authenticate" not in me.headers


async def test_a_live_token_gets_no_challenge(client: httpx.AsyncClient, office: Account) -> None:
    response = await client.post("/graphql", json={"query": ME}, headers=office.headers)
    assert response.json()["data"] == {"me": {"username": "office"}}
    assert "www-authenticate" not in response.headers


async def test_an_upload_with_a_revoked_token_is_refused_with_the_reason(
    client: httpx.AsyncClient, office: Account
) -> None:
    await revoke(office)
    response = await client.post(
        "/graphql",
        headers={**office.headers, "X-Requested-With": "app"},
        files={"operations": (None, "{}"), "map": (None, "{}")},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {
        "code": "UNAUTHENTICATED",
        "reason": "revoked",
    }
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_an_upload_without_a_token_gets_the_bare_challenge(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        headers={"X-Requested-With": "app"},
        files={"operations": (None, "{}"), "map": (None, "{}")},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "reason" not in response.json()["errors"][0]["extensions"]


async def test_an_export_with_an_expired_token_says_why(
    client: httpx.AsyncClient, office: Account
) -> None:
    await expire(office)
    response = await client.get("/exports/overdue.csv", headers=office.headers)
    assert response.status_code == 401
    assert response.json()["error"]["reason"] == "expired"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    anonymous = await client.get("/exports/overdue.csv")
    assert anonymous.status_code == 401
    assert "reason" not in anonymous.json()["error"]
    assert anonymous.headers["www-authenticate"] == "Bearer"
