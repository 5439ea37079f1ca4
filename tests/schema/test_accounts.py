"""Accounts through the API: login, logout, me, throttling by address, bad tokens, hostile input."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from schema import build_schema
from schema.context import RequestContext
from server.api.client_address import UNKNOWN_ADDRESS
from server.domain.clock import utc_now
from server.domain.models import AuditEntry, AuthToken, LoginFailure, Role, User
from server.settings import Settings
from tests.conftest import TEST_PASSWORD, Account, GraphQL, MakeAccount

LOGIN = """
mutation Login($u: String!, $p: String!) {
  login(input: {username: $u, password: $p, deviceName: "phone"}) {
    token expiresAt user { username role } errors { field code message }
  }
}"""
ME = "{ me { id username role displayName unit } }"


async def test_login_then_me_then_logout(graphql: GraphQL, office: Account) -> None:
    body = await graphql(LOGIN, {"u": "office", "p": TEST_PASSWORD})
    payload = body["data"]["login"]
    assert payload["errors"] == []
    assert payload["user"] == {"username": "office", "role": "OFFICE"}
    token = payload["token"]
    stored = await AuthToken.get(user_id=office.user.id, device_name="phone")
    assert stored.token_hash != token
    me = await graphql(ME, account=Account(office.user, token))
    assert me["data"]["me"]["role"] == "OFFICE"
    out = await graphql(
        "mutation { logout { ok errors { code } } }", account=Account(office.user, token)
    )
    assert out["data"]["logout"] == {"ok": True, "errors": []}
    after = await graphql(ME, account=Account(office.user, token))
    assert after["data"]["me"] is None
    actions = (
        await AuditEntry.filter(actor_id=office.user.id)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["login", "logout"]


async def test_wrong_password_and_unknown_user_get_the_same_answer(
    graphql: GraphQL, office: Account
) -> None:
    wrong = await graphql(LOGIN, {"u": "office", "p": "nope"})
    unknown = await graphql(LOGIN, {"u": "nobody", "p": "nope"})
    assert wrong["data"]["login"] == unknown["data"]["login"]
    assert wrong["data"]["login"]["token"] is None
    assert wrong["data"]["login"]["errors"][0]["code"] == "INVALID"


async def test_five_failures_throttle_the_username(graphql: GraphQL, office: Account) -> None:
    for _ in range(5):
        body = await graphql(LOGIN, {"u": "office", "p": "wrong"})
        assert body["data"]["login"]["errors"][0]["code"] == "INVALID"
    throttled = await graphql(LOGIN, {"u": "office", "p": TEST_PASSWORD})
    assert throttled["data"]["login"]["token"] is None
    assert throttled["data"]["login"]["errors"][0]["code"] == "RATE_LIMITED"
    # Once the failures are older than the window, the right password works again.
    await LoginFailure.filter(username="office").update(at=utc_now() - timedelta(minutes=16))
    ok = await graphql(LOGIN, {"u": "office", "p": TEST_PASSWORD})
    assert ok["data"]["login"]["errors"] == []


async def test_disabled_user_cannot_sign_in_and_tokens_stop(
    graphql: GraphQL, make_account: MakeAccount
) -> None:
    account = await make_account(Role.OFFICE, "leaver")
    assert (await graphql(ME, account=account))["data"]["me"] is not None
    await User.filter(id=account.user.id).update(is_active=False)
    assert (await graphql(ME, account=account))["data"]["me"] is None
    refused = await graphql(LOGIN, {"u": "leaver", "p": TEST_PASSWORD})
    assert refused["data"]["login"]["errors"][0]["code"] == "INVALID"


async def test_expired_revoked_and_malformed_tokens(
    graphql: GraphQL, client: httpx.AsyncClient, office: Account
) -> None:
    await AuthToken.filter(user_id=office.user.id).update(
        expires_at=utc_now() - timedelta(seconds=1)
    )
    assert (await graphql(ME, account=office))["data"]["me"] is None
    for header in ("Bearer", "Bearer ", "Basic abc", "Bearer not-a-token", "garbage"):
        response = await client.post(
            "/graphql", json={"query": ME}, headers={"Authorization": header}
        )
        assert response.status_code == 200
        assert response.json()["data"]["me"] is None


async def test_logout_without_token_is_unauthenticated(graphql: GraphQL) -> None:
    body = await graphql("mutation { logout { ok errors { code } } }")
    assert body["data"]["logout"] == {"ok": False, "errors": [{"code": "UNAUTHENTICATED"}]}


STRANGER = "203.0.113.5"
HOME = "198.51.100.7"
PROXY = "10.0.0.1"
ClientFrom = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def client_from(app: Starlette) -> AsyncIterator[ClientFrom]:
    """Factory: `client_from("203.0.113.5")` is an HTTP client whose socket peer is that."""
    async with contextlib.AsyncExitStack() as stack:

        def make(address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=(address, 1234))
            http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            stack.push_async_exit(http)  # closed with the fixture
            return http

        yield make


async def sign_in(
    http: httpx.AsyncClient, username: str, password: str, **headers: str
) -> dict[str, Any]:
    """The `login` payload of one sign-in through `http`."""
    response = await http.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"u": username, "p": password}},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["login"]


def code_of(payload: dict[str, Any]) -> str | None:
    """The code of the payload's first error, None when it has none."""
    return payload["errors"][0]["code"] if payload["errors"] else None


async def test_a_stranger_cannot_lock_the_user_out_from_another_address(
    client_from: ClientFrom, admin: Account
) -> None:
    stranger, home = client_from(STRANGER), client_from(HOME)
    for _ in range(5):
        assert code_of(await sign_in(stranger, "admin", "guess")) == "INVALID"
    throttled = await sign_in(stranger, "admin", TEST_PASSWORD)
    assert code_of(throttled) == "RATE_LIMITED"
    assert "try again in 15 minutes" in throttled["errors"][0]["message"]
    assert throttled["token"] is None
    signed_in = await sign_in(home, "admin", TEST_PASSWORD)
    assert signed_in["errors"] == [] and signed_in["token"]
    assert await LoginFailure.filter(address=STRANGER, username="admin").count() == 5


async def test_made_up_usernames_from_one_address_are_rate_limited(
    client_from: ClientFrom, settings: Settings, office: Account
) -> None:
    flood, home = client_from(STRANGER), client_from(HOME)
    for number in range(settings.login_max_failures_per_address):
        assert code_of(await sign_in(flood, f"nobody-{number}", "guess")) == "INVALID"
    assert code_of(await sign_in(flood, "nobody-else", "guess")) == "RATE_LIMITED"
    assert code_of(await sign_in(flood, "office", TEST_PASSWORD)) == "RATE_LIMITED"
    assert code_of(await sign_in(home, "office", TEST_PASSWORD)) is None


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    client_from: ClientFrom, office: Account
) -> None:
    stranger = client_from(STRANGER)
    for number in range(5):
        forged = {"X-Forwarded-For": f"192.0.2.{number}"}
        assert code_of(await sign_in(stranger, "office", "guess", **forged)) == "INVALID"
    forged = {"X-Forwarded-For": HOME}
    assert code_of(await sign_in(stranger, "office", TEST_PASSWORD, **forged)) == "RATE_LIMITED"
    assert set(await LoginFailure.all().values_list("address", flat=True)) == {STRANGER}


async def test_forwarded_for_from_a_trusted_proxy_names_the_client(
    app: Starlette,
    client_from: ClientFrom,
    settings: Settings,
    office: Account,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    behind_proxy = dataclasses.replace(settings, trusted_proxies="10.0.0.0/8")
    monkeypatch.setattr(app.state.graphql, "settings", behind_proxy)
    proxy = client_from(PROXY)
    forwarded = {"X-Forwarded-For": f"6.6.6.6, {STRANGER}"}
    for _ in range(5):
        assert code_of(await sign_in(proxy, "office", "guess", **forwarded)) == "INVALID"
    assert code_of(await sign_in(proxy, "office", TEST_PASSWORD, **forwarded)) == "RATE_LIMITED"
    from_home = {"X-Forwarded-For": f"{STRANGER}, {HOME}, 10.0.0.2"}
    assert code_of(await sign_in(proxy, "office", TEST_PASSWORD, **from_home)) is None
    assert set(await LoginFailure.all().values_list("address", flat=True)) == {STRANGER}


async def test_an_over_long_password_or_device_name_is_refused(
    graphql: GraphQL, office: Account
) -> None:
    long_password = await graphql(LOGIN, {"u": "office", "p": "x" * 1025})
    assert long_password["data"]["login"]["errors"][0]["code"] == "INVALID"
    assert "1024" in long_password["data"]["login"]["errors"][0]["message"]
    query = """mutation($d: String) { login(input: {username: "office",
      password: "correct horse battery", deviceName: $d}) { token errors { field code } } }"""
    long_device = await graphql(query, {"d": "phone" * 100})
    assert long_device["data"]["login"] == {
        "token": None,
        "errors": [{"field": ["input", "deviceName"], "code": "INVALID"}],
    }
    assert await AuthToken.filter(user_id=office.user.id).count() == 1  # the fixture's


async def test_a_call_without_a_request_signs_in(settings: Settings, office: Account) -> None:
    context = RequestContext(request=None, settings=settings)
    wrong = await build_schema().execute_async(
        LOGIN, variable_values={"u": "office", "p": "guess"}, context_value=context
    )
    assert wrong.errors is None
    assert wrong.data["login"]["errors"][0]["code"] == "INVALID"
    assert (await LoginFailure.get(username="office")).address == UNKNOWN_ADDRESS
    right = await build_schema().execute_async(
        LOGIN, variable_values={"u": "office", "p": TEST_PASSWORD}, context_value=context
    )
    assert right.data["login"]["errors"] == []


HOSTILE_VARIABLES = [
    {"u": "", "p": ""},
    {"u": "office", "p": ""},
    {"u": "x" * 1_000_000, "p": "guess"},
    {"u": "office", "p": "y" * 1_000_000},
    {"u": "off\x00ice", "p": "guess"},
    {"u": "office", "p": "pass\x00word"},
    {"u": 123, "p": "guess"},
    {"u": "office", "p": None},
    {"u": ["office"], "p": {"a": 1}},
    {"u": True, "p": 1.5},
    {},
]


@pytest.mark.parametrize("variables", HOSTILE_VARIABLES, ids=range(len(HOSTILE_VARIABLES)))
async def test_hostile_login_input_is_never_an_internal_error(
    client: httpx.AsyncClient, office: Account, variables: dict[str, Any]
) -> None:
    response = await client.post("/graphql", json={"query": LOGIN, "variables": variables})
    assert response.status_code < 500, response.text
    body = response.json()
    codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
    assert "INTERNAL" not in codes
    payload = (body.get("data") or {}).get("login")
    if payload is not None:
        assert payload["token"] is None
        assert code_of(payload) in {"INVALID", "RATE_LIMITED"}


async def test_wrong_types_written_in_the_document_are_refused(
    client: httpx.AsyncClient,
) -> None:
    query = "mutation { login(input: {username: 1, password: [2]}) { token } }"
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code < 500
    assert response.json()["errors"]
