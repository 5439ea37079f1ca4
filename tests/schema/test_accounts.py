"""Accounts through the API: login, logout, me, throttling, bad tokens."""

from __future__ import annotations

from datetime import timedelta

import httpx

from server.clock import utc_now
from server.models import AuditEntry, AuthToken, LoginFailure, Role, User
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
