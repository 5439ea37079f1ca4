"""People through HTTP: a user's life, user administration, passwords, sessions, the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import orjson
import pytest

from schema.relay import global_id
from server.domain.accounts import token_digest
from server.domain.models import AuditEntry, AuthToken, Role, ShortageTicket, User
from tests.conftest import TEST_PASSWORD, Account, MakeAccount
from tests.ticket_helpers import make_project

CREATE_USER = """
mutation($input: CreateUserInput!) {
  createUser(input: $input) {
    user { id username displayName role unit phone active mustChangePassword }
    errors { field code message }
  }
}"""
UPDATE_USER = """
mutation($input: UpdateUserInput!) {
  updateUser(input: $input) {
    user { id username displayName role unit phone active }
    errors { field code message }
  }
}"""
RESET_PASSWORD = """
mutation($input: ResetPasswordInput!) {
  resetPassword(input: $input) {
    user { username mustChangePassword } temporaryPassword errors { field code message }
  }
}"""
CHANGE_PASSWORD = """
mutation($input: ChangePasswordInput!) {
  changePassword(input: $input) { ok errors { field code message } }
}"""
REVOKE_SESSION = """
mutation($input: RevokeSessionInput!) {
  revokeSession(input: $input) { ok errors { field code message } }
}"""
LOGIN = """
mutation($u: String!, $p: String!, $d: String) {
  login(input: {username: $u, password: $p, deviceName: $d}) {
    token mustChangePassword user { username } errors { field code message }
  }
}"""
ME = "{ me { id username role mustChangePassword } }"
MY_SESSIONS = "{ me { sessions { id deviceName current lastUsedAt lastAddress } } }"
PROJECTS = "{ projects { totalCount } }"
USERS = """
query($filter: UserFilter, $first: Int, $after: String) {
  users(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { username role unit active } }
  }
}"""
AUDIT_LOG = """
query($filter: AuditFilter, $first: Int) {
  auditLog(filter: $filter, first: $first) {
    totalCount
    edges { node { id at action objectType objectId actor { username }
                   changes { field before after } } }
  }
}"""
NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename
    ... on ShortageTicket { number reporter { username } }
    ... on Project { code }
    ... on User { username }
    ... on Session { deviceName }
    ... on AuditEntry { action }
  }
}"""
CREATE_TICKET = """
mutation($input: CreateShortageTicketInput!) {
  createShortageTicket(input: $input) { ticket { id number } errors { field code message } }
}"""
CREATE_PROJECT = """
mutation($input: CreateProjectInput!) {
  createProject(input: $input) { project { id code } errors { field code message } }
}"""

STRONG = "Scaffold-north-17"
"""A password every rule accepts."""


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> httpx.Response:
    """The response to one GraphQL POST, signed with `token` when given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """The JSON body of one GraphQL POST, which must answer 200."""
    response = await post(client, query, variables, token)
    assert response.status_code == 200, response.text
    return response.json()


async def mutate(
    client: httpx.AsyncClient, query: str, values: dict[str, Any], token: str | None
) -> dict[str, Any]:
    """The payload of a mutation taking `input: values`."""
    body = await gql(client, query, {"input": values}, token)
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    return payload


async def login(
    client: httpx.AsyncClient, username: str, password: str, device: str = "phone"
) -> dict[str, Any]:
    """The login payload."""
    body = await gql(client, LOGIN, {"u": username, "p": password, "d": device})
    return body["data"]["login"]


def top_code(body: dict[str, Any]) -> str:
    """The code of a body's first top-level error."""
    return body["errors"][0]["extensions"]["code"]


def one_error(payload: dict[str, Any]) -> tuple[str, list[str] | None]:
    """(code, field) of a payload's only error."""
    assert len(payload["errors"]) == 1, payload["errors"]
    return payload["errors"][0]["code"], payload["errors"][0]["field"]


def new_user(**extra: Any) -> dict[str, Any]:
    """A valid createUser input."""
    return {
        "username": "wang.wei",
        "displayName": "王伟",
        "role": "OFFICE",
        "unit": "经开区建设局",
        "phone": "+86 138-0000-0000",
        "temporaryPassword": "Temp-pass-2026",
        **extra,
    }


async def audit_text() -> str:
    """The before/after of every audit entry, as JSON text."""
    rows = await AuditEntry.all().order_by("id").values_list("before", "after")
    return orjson.dumps(rows).decode()


async def assert_no_secrets(secrets: set[str]) -> None:
    """No audit entry's before/after holds a password, a password hash or a token (or its
    digest), nor names a secret column."""
    text = await audit_text()
    secrets = secrets | set(await User.all().values_list("password_hash", flat=True))
    tokens = {s for s in secrets if not s.startswith("$argon2")}
    secrets |= {token_digest(t) for t in tokens}
    secrets |= set(await AuthToken.all().values_list("token_hash", flat=True))
    for secret in secrets:
        assert secret not in text, f"audit log holds {secret!r}"
    assert "$argon2" not in text
    assert "password_hash" not in text and "token_hash" not in text


# --- a user's life ------------------------------------------------------------------------------


async def test_a_users_life(client: httpx.AsyncClient, admin: Account) -> None:
    secrets: set[str] = {TEST_PASSWORD, "Temp-pass-2026", STRONG, admin.token}
    created = await mutate(client, CREATE_USER, new_user(), admin.token)
    assert created["errors"] == []
    user = created["user"]
    assert user["username"] == "wang.wei"
    assert (user["role"], user["unit"], user["phone"]) == (
        "OFFICE",
        "经开区建设局",
        "+86 138-0000-0000",
    )
    assert user["active"] is True and user["mustChangePassword"] is True
    gid = user["id"]
    row = await User.get(username="wang.wei")
    first_hash = row.password_hash
    secrets.add(first_hash)
    assert first_hash != "Temp-pass-2026"

    # First sign-in: a token that allows only me, changePassword and logout.
    signed = await login(client, "wang.wei", "Temp-pass-2026")
    assert signed["errors"] == [] and signed["mustChangePassword"] is True
    token = signed["token"]
    secrets.add(token)
    refused = await post(client, PROJECTS, token=token)
    assert refused.status_code == 403
    assert top_code(refused.json()) == "PASSWORD_CHANGE_REQUIRED"
    mixed = await post(client, "{ me { id } projects { totalCount } }", token=token)
    assert mixed.status_code == 403
    assert top_code(mixed.json()) == "PASSWORD_CHANGE_REQUIRED"
    export = await client.get("/exports/overdue.csv", headers={"Authorization": f"Bearer {token}"})
    assert export.status_code == 403
    assert export.json()["error"]["code"] == "PASSWORD_CHANGE_REQUIRED"
    me = await gql(client, ME, token=token)
    assert me["data"]["me"] == {
        "id": gid,
        "username": "wang.wei",
        "role": "OFFICE",
        "mustChangePassword": True,
    }
    changed = await mutate(
        client,
        CHANGE_PASSWORD,
        {"oldPassword": "Temp-pass-2026", "newPassword": STRONG},
        token,
    )
    assert changed == {"ok": True, "errors": []}

    # The same token now works everywhere the role allows.
    assert (await gql(client, ME, token=token))["data"]["me"]["mustChangePassword"] is False
    works = await gql(client, PROJECTS, token=token)
    assert works["data"] == {"projects": {"totalCount": 0}} and "errors" not in works
    export = await client.get("/exports/overdue.csv", headers={"Authorization": f"Bearer {token}"})
    assert export.status_code == 200, export.text
    project = await make_project()
    filed = await mutate(
        client,
        CREATE_TICKET,
        {
            "projectId": global_id("Project", project.id),
            "kind": "LABOUR",
            "title": "复工缺钢筋工",
            "trade": "钢筋工",
            "headcount": 20,
        },
        token,
    )
    assert filed["errors"] == []
    ticket_gid = filed["ticket"]["id"]

    # Role changed.
    promoted = await mutate(client, UPDATE_USER, {"userId": gid, "role": "SUPERVISOR"}, admin.token)
    assert promoted["errors"] == [] and promoted["user"]["role"] == "SUPERVISOR"
    assert (await gql(client, ME, token=token))["data"]["me"]["role"] == "SUPERVISOR"

    # Disabled: the token stops on the very next request and no sign-in works.
    disabled = await mutate(client, UPDATE_USER, {"userId": gid, "active": False}, admin.token)
    assert disabled["errors"] == [] and disabled["user"]["active"] is False
    assert (await gql(client, ME, token=token))["data"]["me"] is None
    gone = await gql(client, PROJECTS, token=token)
    assert top_code(gone) == "UNAUTHENTICATED"
    refused_login = await login(client, "wang.wei", STRONG)
    assert refused_login["token"] is None
    assert one_error(refused_login) == ("INVALID", None)
    assert await AuthToken.filter(user_id=row.id, revoked_at__isnull=True).count() == 0

    # History intact: the ticket, its reporter, and the account's audit entries.
    assert await ShortageTicket.filter(reporter_id=row.id).count() == 1
    node = await gql(client, NODE, {"id": ticket_gid}, admin.token)
    assert node["data"]["node"]["reporter"] == {"username": "wang.wei"}
    log = await gql(client, AUDIT_LOG, {"filter": {"objectId": gid}}, admin.token)
    entries = [edge["node"] for edge in log["data"]["auditLog"]["edges"]]
    assert [(e["action"], (e["actor"] or {}).get("username")) for e in entries] == [
        ("loginFailed", None),
        ("updateUser", "admin"),
        ("updateUser", "admin"),
        ("changePassword", "wang.wei"),
        ("login", "wang.wei"),
        ("createUser", "admin"),
    ]
    assert all(e["objectType"] == "User" and e["objectId"] == gid for e in entries)
    changes = [{c["field"]: (c["before"], c["after"]) for c in e["changes"]} for e in entries]
    assert changes[1] == {"is_active": ("true", "false"), "sessions_ended": (None, "1")}
    assert changes[2] == {"role": ("OFFICE", "SUPERVISOR")}
    assert changes[3]["must_change_password"][1] == "false"
    assert changes[3]["sessions_ended"] == (None, "0")
    assert changes[4] == {"device_name": (None, "phone")}
    made = changes[5]
    assert made["username"] == (None, "wang.wei")
    assert made["role"] == (None, "OFFICE")
    assert made["must_change_password"] == (None, "true")
    assert made["is_active"] == (None, "true")
    assert "password_hash" not in made
    mine = await gql(client, AUDIT_LOG, {"filter": {"actorId": gid}}, admin.token)
    assert [e["node"]["action"] for e in mine["data"]["auditLog"]["edges"]] == [
        "createShortageTicket",
        "changePassword",
        "login",
    ]
    secrets.add((await User.get(id=row.id)).password_hash)
    await assert_no_secrets(secrets)


async def test_change_password_audit_says_what_must_change_password_was(
    client: httpx.AsyncClient, admin: Account
) -> None:
    await mutate(client, CREATE_USER, new_user(), admin.token)
    token = (await login(client, "wang.wei", "Temp-pass-2026"))["token"]
    await mutate(
        client, CHANGE_PASSWORD, {"oldPassword": "Temp-pass-2026", "newPassword": STRONG}, token
    )
    log = await gql(client, AUDIT_LOG, {"filter": {"action": "changePassword"}}, admin.token)
    (entry,) = log["data"]["auditLog"]["edges"]
    fields = {c["field"]: (c["before"], c["after"]) for c in entry["node"]["changes"]}
    assert fields["must_change_password"] == ("true", "false")


# --- createUser ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"username": "Office"}, "username"),
        ({"username": "OFFICE"}, "username"),
        ({"username": ""}, "username"),
        ({"username": "wang wei"}, "username"),
        ({"username": "w" * 65}, "username"),
        ({"temporaryPassword": "Short-1"}, "temporaryPassword"),
        ({"username": "longusername1", "temporaryPassword": "LongUserName1"}, "temporaryPassword"),
        ({"temporaryPassword": "password123"}, "temporaryPassword"),
        ({"temporaryPassword": "PassWord123"}, "temporaryPassword"),
        ({"temporaryPassword": "zzzzzzzzzzzz"}, "temporaryPassword"),
        ({"temporaryPassword": "x" * 2000}, "temporaryPassword"),
        ({"displayName": ""}, "displayName"),
        ({"displayName": "   "}, "displayName"),
        ({"displayName": "名" * 129}, "displayName"),
        ({"displayName": "bad\u200bname\n"}, "displayName"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "1" * 40}, "phone"),
        ({"unit": "u" * 129}, "unit"),
    ],
)
async def test_create_user_refuses_bad_input(
    client: httpx.AsyncClient, admin: Account, office: Account, values: dict[str, Any], field: str
) -> None:
    before = await User.all().count()
    payload = await mutate(client, CREATE_USER, new_user(**values), admin.token)
    assert payload["user"] is None
    code, at = one_error(payload)
    assert (code, at) == ("INVALID", ["input", field])
    assert payload["errors"][0]["message"]
    assert await User.all().count() == before
    assert await AuditEntry.filter(action="createUser").count() == 0


@pytest.mark.parametrize("field", ["username", "displayName", "temporaryPassword", "unit"])
async def test_create_user_refuses_nul(
    client: httpx.AsyncClient, admin: Account, field: str
) -> None:
    before = await User.all().count()
    values = new_user()
    values[field] = "wang\x00wei-long-enough"
    response = await post(client, CREATE_USER, {"input": values}, admin.token)
    assert response.status_code == 400
    assert top_code(response.json()) == "INVALID"
    assert await User.all().count() == before


async def test_create_user_accepts_a_unicode_username_and_no_unit_or_phone(
    client: httpx.AsyncClient, admin: Account
) -> None:
    payload = await mutate(
        client, CREATE_USER, new_user(username="王伟", unit=None, phone=None), admin.token
    )
    assert payload["errors"] == []
    assert (payload["user"]["unit"], payload["user"]["phone"]) == (None, None)
    signed = await login(client, "王伟", "Temp-pass-2026")
    assert signed["errors"] == [] and signed["mustChangePassword"] is True


async def test_create_user_is_for_admins_only(
    client: httpx.AsyncClient,
    admin: Account,
    office: Account,
    supervisor: Account,
    coordinator: Account,
    site_manager: Account,
) -> None:
    before = await User.all().count()
    for account in (office, supervisor, coordinator, site_manager):
        payload = await mutate(client, CREATE_USER, new_user(), account.token)
        assert payload["user"] is None
        assert one_error(payload)[0] == "FORBIDDEN", account.user.role
    anonymous = await mutate(client, CREATE_USER, new_user(), None)
    assert one_error(anonymous)[0] == "UNAUTHENTICATED"
    bad_role = await post(client, CREATE_USER, {"input": new_user(role="KING")}, admin.token)
    assert bad_role.json()["errors"][0]["extensions"]["code"] != "INTERNAL"
    assert bad_role.json().get("data") is None
    assert await User.all().count() == before


# --- updateUser ---------------------------------------------------------------------------------


async def test_the_last_active_admin_stays(
    client: httpx.AsyncClient, admin: Account, make_account: MakeAccount
) -> None:
    gid = global_id("User", admin.user.id)
    retired = await make_account(Role.ADMIN, "retired-admin", is_active=False)
    demote = await mutate(client, UPDATE_USER, {"userId": gid, "role": "OFFICE"}, admin.token)
    assert one_error(demote) == ("INVALID", ["input", "role"])
    disable = await mutate(client, UPDATE_USER, {"userId": gid, "active": False}, admin.token)
    assert one_error(disable) == ("INVALID", ["input", "active"])
    row = await User.get(id=admin.user.id)
    assert (row.role, row.is_active) == (Role.ADMIN, True)
    assert await AuditEntry.filter(action="updateUser").count() == 0
    # With another active admin, demoting oneself is allowed; disabling oneself never is.
    await User.filter(id=retired.user.id).update(is_active=True)
    still = await mutate(client, UPDATE_USER, {"userId": gid, "active": False}, admin.token)
    assert one_error(still) == ("INVALID", ["input", "active"])
    demoted = await mutate(client, UPDATE_USER, {"userId": gid, "role": "OFFICE"}, admin.token)
    assert demoted["errors"] == [] and demoted["user"]["role"] == "OFFICE"
    # Now a plain office user, the former admin may no longer update anyone.
    again = await mutate(
        client,
        UPDATE_USER,
        {"userId": global_id("User", retired.user.id), "active": False},
        admin.token,
    )
    assert one_error(again)[0] == "FORBIDDEN"


async def test_an_admin_may_disable_another_admin(
    client: httpx.AsyncClient, admin: Account, make_account: MakeAccount
) -> None:
    other = await make_account(Role.ADMIN, "admin2")
    payload = await mutate(
        client,
        UPDATE_USER,
        {"userId": global_id("User", other.user.id), "active": False},
        admin.token,
    )
    assert payload["errors"] == [] and payload["user"]["active"] is False
    assert (await gql(client, ME, token=other.token))["data"]["me"] is None


async def test_update_user_unknown_or_foreign_ids(
    client: httpx.AsyncClient, admin: Account, office: Account
) -> None:
    project = await make_project()
    for user_id in (
        global_id("User", 999_999),
        global_id("Project", office.user.id),
        global_id("Project", project.id),
        "garbage",
        "",
        global_id("User", -1),
    ):
        payload = await mutate(
            client, UPDATE_USER, {"userId": user_id, "displayName": "Hacked"}, admin.token
        )
        assert one_error(payload) == ("NOT_FOUND", ["input", "userId"]), user_id
    assert (await User.get(id=office.user.id)).display_name == "office"


async def test_update_user_fields_and_clearing_the_unit(
    client: httpx.AsyncClient, admin: Account, make_account: MakeAccount
) -> None:
    someone = await make_account(Role.OFFICE, "zhao", unit="建设局", phone="12345")
    gid = global_id("User", someone.user.id)
    payload = await mutate(
        client,
        UPDATE_USER,
        {"userId": gid, "unit": "", "phone": "", "displayName": "  赵六  "},
        admin.token,
    )
    assert payload["errors"] == []
    assert (payload["user"]["unit"], payload["user"]["phone"]) == (None, None)
    assert payload["user"]["displayName"] == "赵六"
    row = await User.get(id=someone.user.id)
    assert (row.unit, row.phone, row.display_name) == (None, None, "赵六")
    bad = await mutate(
        client, UPDATE_USER, {"userId": gid, "displayName": "", "phone": "x"}, admin.token
    )
    assert {tuple(e["field"]) for e in bad["errors"]} == {
        ("input", "displayName"),
        ("input", "phone"),
    }
    assert (await User.get(id=someone.user.id)).display_name == "赵六"
    # A change that changes nothing writes no audit entry.
    entries = await AuditEntry.filter(action="updateUser").count()
    same = await mutate(client, UPDATE_USER, {"userId": gid, "unit": ""}, admin.token)
    assert same["errors"] == []
    assert await AuditEntry.filter(action="updateUser").count() == entries


# --- resetPassword ------------------------------------------------------------------------------


async def test_reset_password(client: httpx.AsyncClient, admin: Account, office: Account) -> None:
    other = await login(client, "office", TEST_PASSWORD, device="tablet")
    gid = global_id("User", office.user.id)
    payload = await mutate(client, RESET_PASSWORD, {"userId": gid}, admin.token)
    assert payload["errors"] == []
    temporary = payload["temporaryPassword"]
    assert len(temporary) >= 10
    assert payload["user"] == {"username": "office", "mustChangePassword": True}
    # Every token of the user is refused, the old password no longer works.
    for token in (office.token, other["token"]):
        assert (await gql(client, ME, token=token))["data"]["me"] is None
    old = await login(client, "office", TEST_PASSWORD)
    assert old["token"] is None and one_error(old)[0] == "INVALID"
    fresh = await login(client, "office", temporary)
    assert fresh["errors"] == [] and fresh["mustChangePassword"] is True
    forced = await post(client, PROJECTS, token=fresh["token"])
    assert forced.status_code == 403
    # A second reset gives another password; the first stops working.
    second = await mutate(client, RESET_PASSWORD, {"userId": gid}, admin.token)
    assert second["temporaryPassword"] != temporary
    assert (await login(client, "office", temporary))["token"] is None
    (entry, _) = await AuditEntry.filter(action="resetPassword").order_by("-id")
    assert entry.actor_id == admin.user.id and entry.object_id == str(office.user.id)
    assert entry.after == {"must_change_password": True, "sessions_ended": 1}
    await assert_no_secrets(
        {temporary, second["temporaryPassword"], TEST_PASSWORD, office.token, other["token"]}
    )


async def test_reset_password_refusals(
    client: httpx.AsyncClient, admin: Account, office: Account
) -> None:
    own = await mutate(
        client, RESET_PASSWORD, {"userId": global_id("User", admin.user.id)}, admin.token
    )
    assert own["temporaryPassword"] is None
    assert one_error(own) == ("INVALID", ["input", "userId"])
    for user_id in (global_id("User", 999_999), global_id("Project", office.user.id), "x"):
        missing = await mutate(client, RESET_PASSWORD, {"userId": user_id}, admin.token)
        assert one_error(missing) == ("NOT_FOUND", ["input", "userId"])
        assert missing["temporaryPassword"] is None
    forbidden = await mutate(
        client, RESET_PASSWORD, {"userId": global_id("User", admin.user.id)}, office.token
    )
    assert one_error(forbidden)[0] == "FORBIDDEN" and forbidden["temporaryPassword"] is None
    # Nothing changed: both still sign in with their passwords, and their tokens work.
    assert (await gql(client, ME, token=admin.token))["data"]["me"] is not None
    assert (await gql(client, ME, token=office.token))["data"]["me"] is not None
    assert (await login(client, "admin", TEST_PASSWORD))["mustChangePassword"] is False
    assert await AuditEntry.filter(action="resetPassword").count() == 0


# --- changePassword -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("not my password", STRONG, "oldPassword"),
        ("", STRONG, "oldPassword"),
        (TEST_PASSWORD, "short", "newPassword"),
        (TEST_PASSWORD, "Office", "newPassword"),
        (TEST_PASSWORD, "qwertyuiop", "newPassword"),
        (TEST_PASSWORD, "1111111111111", "newPassword"),
        (TEST_PASSWORD, TEST_PASSWORD, "newPassword"),
    ],
)
async def test_change_password_refusals(
    client: httpx.AsyncClient, office: Account, old: str, new: str, field: str
) -> None:
    stored = (await User.get(id=office.user.id)).password_hash
    payload = await mutate(
        client, CHANGE_PASSWORD, {"oldPassword": old, "newPassword": new}, office.token
    )
    assert payload["ok"] is False
    assert one_error(payload) == ("INVALID", ["input", field])
    assert (await User.get(id=office.user.id)).password_hash == stored
    assert (await gql(client, ME, token=office.token))["data"]["me"] is not None
    assert await AuditEntry.filter(action="changePassword").count() == 0


async def test_change_password_ends_other_sessions_unless_kept(
    client: httpx.AsyncClient, office: Account
) -> None:
    tablet = (await login(client, "office", TEST_PASSWORD, device="tablet"))["token"]
    laptop = (await login(client, "office", TEST_PASSWORD, device="laptop"))["token"]
    kept = await mutate(
        client,
        CHANGE_PASSWORD,
        {"oldPassword": TEST_PASSWORD, "newPassword": STRONG, "keepOtherSessions": True},
        office.token,
    )
    assert kept == {"ok": True, "errors": []}
    for token in (office.token, tablet, laptop):
        assert (await gql(client, ME, token=token))["data"]["me"] is not None
    ended = await mutate(
        client,
        CHANGE_PASSWORD,
        {"oldPassword": STRONG, "newPassword": "Another-strong-42"},
        tablet,
    )
    assert ended == {"ok": True, "errors": []}
    assert (await gql(client, ME, token=tablet))["data"]["me"]["username"] == "office"
    for token in (office.token, laptop):
        assert (await gql(client, ME, token=token))["data"]["me"] is None
    assert (await login(client, "office", STRONG))["token"] is None
    assert (await login(client, "office", "Another-strong-42"))["errors"] == []
    afters = (
        await AuditEntry.filter(action="changePassword")
        .order_by("id")
        .values_list("after", flat=True)
    )
    assert [a["sessions_ended"] for a in afters] == [0, 2]
    await assert_no_secrets(
        {TEST_PASSWORD, STRONG, "Another-strong-42", office.token, tablet, laptop}
    )


async def test_change_password_needs_a_sign_in(client: httpx.AsyncClient, office: Account) -> None:
    payload = await mutate(
        client, CHANGE_PASSWORD, {"oldPassword": TEST_PASSWORD, "newPassword": STRONG}, None
    )
    assert one_error(payload)[0] == "UNAUTHENTICATED"
    assert (await login(client, "office", TEST_PASSWORD))["errors"] == []


# --- sessions -----------------------------------------------------------------------------------


async def sessions_of(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    """The caller's live sessions."""
    body = await gql(client, MY_SESSIONS, token=token)
    return body["data"]["me"]["sessions"]


async def test_my_sessions_and_revoking_one(client: httpx.AsyncClient, office: Account) -> None:
    tablet = (await login(client, "office", TEST_PASSWORD, device="tablet"))["token"]
    listed = await sessions_of(client, tablet)
    assert [(s["deviceName"], s["current"]) for s in listed] == [("tablet", True), (None, False)]
    assert listed[0]["lastUsedAt"] is not None  # used just now
    assert listed[0]["lastAddress"] == "127.0.0.1"  # the sign-in's client address
    assert [s["current"] for s in await sessions_of(client, office.token)] == [False, True]
    revoked = await mutate(client, REVOKE_SESSION, {"sessionId": listed[0]["id"]}, office.token)
    assert revoked == {"ok": True, "errors": []}
    assert (await gql(client, ME, token=tablet))["data"]["me"] is None
    assert [s["deviceName"] for s in await sessions_of(client, office.token)] == [None]
    again = await mutate(client, REVOKE_SESSION, {"sessionId": listed[0]["id"]}, office.token)
    assert one_error(again) == ("INVALID", ["input", "sessionId"])
    for garbage in ("garbage", "", global_id("Session", 999_999), global_id("User", 1)):
        payload = await mutate(client, REVOKE_SESSION, {"sessionId": garbage}, office.token)
        assert one_error(payload) == ("NOT_FOUND", ["input", "sessionId"]), garbage
    (entry,) = await AuditEntry.filter(action="revokeSession")
    assert entry.object_type == "AuthToken" and entry.actor_id == office.user.id
    await assert_no_secrets({tablet, office.token, TEST_PASSWORD})


async def test_foreign_sessions(
    client: httpx.AsyncClient, admin: Account, office: Account, supervisor: Account
) -> None:
    (theirs,) = await sessions_of(client, office.token)
    # Another user neither sees nor ends it.
    payload = await mutate(client, REVOKE_SESSION, {"sessionId": theirs["id"]}, supervisor.token)
    assert one_error(payload) == ("NOT_FOUND", ["input", "sessionId"])
    assert (await gql(client, ME, token=office.token))["data"]["me"] is not None
    seen = await gql(client, NODE, {"id": theirs["id"]}, supervisor.token)
    assert seen["data"] == {"node": None}
    listed = await gql(
        client,
        '{ users(filter: {search: "office"}) { edges { node { sessions { id } } } } }',
        token=supervisor.token,
    )
    assert listed["data"]["users"]["edges"] == [{"node": {"sessions": []}}]
    # An administrator sees and ends anyone's.
    by_admin = await gql(client, NODE, {"id": theirs["id"]}, admin.token)
    assert by_admin["data"]["node"]["__typename"] == "Session"
    ended = await mutate(client, REVOKE_SESSION, {"sessionId": theirs["id"]}, admin.token)
    assert ended == {"ok": True, "errors": []}
    assert (await gql(client, ME, token=office.token))["data"]["me"] is None
    assert (await gql(client, NODE, {"id": theirs["id"]}, admin.token))["data"]["node"] is None
    again = await mutate(client, REVOKE_SESSION, {"sessionId": theirs["id"]}, admin.token)
    assert one_error(again) == ("INVALID", ["input", "sessionId"])


# --- users --------------------------------------------------------------------------------------


async def test_users_filters_and_pages(
    client: httpx.AsyncClient, admin: Account, office: Account, make_account: MakeAccount
) -> None:
    await make_account(Role.SITE_MANAGER, "site-a", unit="一公司", display_name="张三")
    await make_account(Role.SITE_MANAGER, "site-b", unit="二公司", display_name="李四")
    await make_account(Role.COORDINATOR, "coord_x", unit="一公司", is_active=False)

    async def names(filter: dict[str, Any] | None, token: str = office.token) -> list[str]:
        body = await gql(client, USERS, {"filter": filter}, token)
        assert "errors" not in body, body
        return [e["node"]["username"] for e in body["data"]["users"]["edges"]]

    everyone = ["admin", "coord_x", "office", "site-a", "site-b"]
    assert await names(None) == everyone
    assert await names({"role": ["SITE_MANAGER"]}) == ["site-a", "site-b"]
    assert await names({"role": ["ADMIN", "COORDINATOR"]}) == ["admin", "coord_x"]
    assert await names({"role": []}) == []
    assert await names({"unit": "一公司"}) == ["coord_x", "site-a"]
    assert await names({"active": False}) == ["coord_x"]
    assert await names({"active": True, "unit": "一公司"}) == ["site-a"]
    assert await names({"search": "SITE"}) == ["site-a", "site-b"]
    assert await names({"search": "李"}) == ["site-b"]
    assert await names({"search": "_"}) == ["coord_x"]
    assert await names({"search": "%"}) == []
    assert await names({"search": ""}) == everyone
    pages: list[str] = []
    after = None
    while True:
        body = await gql(client, USERS, {"first": 2, "after": after}, admin.token)
        users = body["data"]["users"]
        assert users["totalCount"] == 5
        pages.extend(e["node"]["username"] for e in users["edges"])
        if not users["pageInfo"]["hasNextPage"]:
            break
        after = users["pageInfo"]["endCursor"]
    assert pages == everyone


async def test_users_is_for_admins_office_and_supervisors(
    client: httpx.AsyncClient,
    admin: Account,
    office: Account,
    supervisor: Account,
    coordinator: Account,
    site_manager: Account,
) -> None:
    for account in (admin, office, supervisor):
        body = await gql(client, USERS, token=account.token)
        assert body["data"]["users"]["totalCount"] == 5, account.user.role
    for account in (coordinator, site_manager):
        body = await gql(client, USERS, token=account.token)
        assert top_code(body) == "FORBIDDEN" and body["data"] is None
    assert top_code(await gql(client, USERS)) == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "filter",
    [
        {"search": "s" * 65},
        {"search": "a\x00b"},
        {"unit": "u" * 129},
        {"unit": "a\x00b"},
        {"search": "s" * 100_000},
    ],
)
async def test_users_hostile_filters(
    client: httpx.AsyncClient, office: Account, filter: dict[str, Any]
) -> None:
    response = await post(client, USERS, {"filter": filter}, office.token)
    assert response.status_code in (200, 400)
    assert top_code(response.json()) == "INVALID"


async def test_users_hostile_arguments(client: httpx.AsyncClient, office: Account) -> None:
    for variables in ({"first": -1}, {"first": 101}, {"after": "garbage"}, {"filter": 5}):
        response = await post(client, USERS, variables, office.token)
        assert response.status_code in (200, 400), response.text
        assert response.json()["errors"][0]["extensions"]["code"] != "INTERNAL", variables


# --- auditLog -----------------------------------------------------------------------------------

BASE = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


async def a_month_of_entries(
    client: httpx.AsyncClient, admin: Account, office: Account
) -> dict[str, Any]:
    """Entries of every kind, one minute apart from BASE in the order they were made:
    office's login, createUser, project.create, createShortageTicket, revokeSession."""
    signed = await login(client, "office", TEST_PASSWORD, device="tablet")
    created = await mutate(client, CREATE_USER, new_user(), admin.token)
    project = await mutate(
        client,
        CREATE_PROJECT,
        {"code": "JK-1", "name": "产业园", "responsibleUnit": "经开区经发局"},
        office.token,
    )
    assert project["errors"] == [], project
    ticket = await mutate(
        client,
        CREATE_TICKET,
        {
            "projectId": project["project"]["id"],
            "kind": "LABOUR",
            "title": "缺人",
            "trade": "钢筋工",
            "headcount": 3,
        },
        office.token,
    )
    assert ticket["errors"] == [], ticket
    (tablet,) = [s for s in await sessions_of(client, office.token) if s["deviceName"]]
    revoked = await mutate(client, REVOKE_SESSION, {"sessionId": tablet["id"]}, office.token)
    assert revoked["errors"] == []
    ids = await AuditEntry.all().order_by("id").values_list("id", flat=True)
    assert len(ids) == 5
    for minute, entry_id in enumerate(ids):
        await AuditEntry.filter(id=entry_id).update(at=BASE + dt.timedelta(minutes=minute))
    return {
        "token": signed["token"],
        "user": created["user"]["id"],
        "project": project["project"]["id"],
        "ticket": ticket["ticket"]["id"],
        "session": tablet["id"],
    }


async def log_of(
    client: httpx.AsyncClient, token: str, filter: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The audit entries a filter shows, newest first."""
    body = await gql(client, AUDIT_LOG, {"filter": filter, "first": 100}, token)
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["auditLog"]["edges"]]


async def test_audit_log_filters(
    client: httpx.AsyncClient, admin: Account, office: Account
) -> None:
    made = await a_month_of_entries(client, admin, office)
    everything = await log_of(client, admin.token)
    assert [e["action"] for e in everything] == [
        "revokeSession",
        "createShortageTicket",
        "project.create",
        "createUser",
        "login",
    ]
    assert [e["at"] for e in everything] == sorted((e["at"] for e in everything), reverse=True)
    assert [e["objectType"] for e in everything] == [
        "Session",
        "ShortageTicket",
        "Project",
        "User",
        "User",
    ]
    office_gid = global_id("User", office.user.id)
    by_office = await log_of(client, admin.token, {"actorId": office_gid})
    assert [e["action"] for e in by_office] == [
        "revokeSession",
        "createShortageTicket",
        "project.create",
        "login",
    ]
    on_ticket = await log_of(client, admin.token, {"objectId": made["ticket"]})
    assert [(e["action"], e["objectId"]) for e in on_ticket] == [
        ("createShortageTicket", made["ticket"])
    ]
    assert (
        await log_of(
            client, admin.token, {"objectId": made["ticket"], "objectType": "ShortageTicket"}
        )
        == on_ticket
    )
    sessions = await log_of(client, admin.token, {"objectType": "Session"})
    assert [(e["action"], e["objectId"]) for e in sessions] == [("revokeSession", made["session"])]
    users = await log_of(client, admin.token, {"objectType": "User"})
    assert [e["action"] for e in users] == ["createUser", "login"]
    assert [e["action"] for e in await log_of(client, admin.token, {"action": "login"})] == [
        "login"
    ]
    assert await log_of(client, admin.token, {"action": "nothing"}) == []
    window = {
        "from": (BASE + dt.timedelta(minutes=1)).isoformat(),
        "to": (BASE + dt.timedelta(minutes=3)).isoformat(),
    }
    assert [e["action"] for e in await log_of(client, admin.token, window)] == [
        "project.create",
        "createUser",
    ]
    both = {**window, "actorId": office_gid}
    assert [e["action"] for e in await log_of(client, admin.token, both)] == ["project.create"]
    # Every entry's object resolves with node(id:) while it exists.
    for entry in everything:
        if entry["action"] == "revokeSession":
            continue  # an ended session no longer answers
        node = await gql(client, NODE, {"id": entry["objectId"]}, admin.token)
        assert node["data"]["node"]["__typename"] == entry["objectType"], entry
    ticket = await gql(client, NODE, {"id": made["ticket"]}, admin.token)
    assert ticket["data"]["node"]["reporter"] == {"username": "office"}
    # An entry resolves by its own ID too.
    own = await gql(client, NODE, {"id": everything[0]["id"]}, admin.token)
    assert own["data"]["node"] == {"__typename": "AuditEntry", "action": "revokeSession"}


async def test_audit_log_for_supervisors_leaves_out_accounts(
    client: httpx.AsyncClient, admin: Account, office: Account, supervisor: Account
) -> None:
    made = await a_month_of_entries(client, admin, office)
    seen = await log_of(client, supervisor.token)
    assert [(e["action"], e["objectType"]) for e in seen] == [
        ("createShortageTicket", "ShortageTicket"),
        ("project.create", "Project"),
    ]
    assert await log_of(client, supervisor.token, {"action": "login"}) == []
    assert await log_of(client, supervisor.token, {"objectType": "User"}) == []
    assert await log_of(client, supervisor.token, {"objectId": made["user"]}) == []
    assert await log_of(client, supervisor.token, {"objectType": "Session"}) == []
    hidden = await AuditEntry.get(action="createUser")
    node = await gql(client, NODE, {"id": global_id("AuditEntry", hidden.id)}, supervisor.token)
    assert node["data"] == {"node": None}
    ticket = await gql(client, NODE, {"id": seen[0]["objectId"]}, supervisor.token)
    assert ticket["data"]["node"]["__typename"] == "ShortageTicket"


async def test_audit_log_refusals(
    client: httpx.AsyncClient,
    admin: Account,
    office: Account,
    coordinator: Account,
    site_manager: Account,
) -> None:
    await a_month_of_entries(client, admin, office)
    for account in (office, coordinator, site_manager):
        body = await gql(client, AUDIT_LOG, token=account.token)
        assert top_code(body) == "FORBIDDEN" and body["data"] is None, account.user.role
    assert top_code(await gql(client, AUDIT_LOG)) == "UNAUTHENTICATED"
    project = await make_project()
    for filter in (
        {"actorId": "garbage"},
        {"actorId": global_id("Project", project.id)},
        {"actorId": ""},
        {"objectId": "garbage"},
        {"objectId": global_id("Project", project.id), "objectType": "ShortageTicket"},
        {"action": "a" * 65},
        {"action": "a\x00"},
        {"objectType": "T" * 65},
        {"from": "2026-03-02T00:00:00+00:00", "to": "2026-03-01T00:00:00+00:00"},
    ):
        response = await post(client, AUDIT_LOG, {"filter": filter}, admin.token)
        assert response.status_code in (200, 400)
        assert top_code(response.json()) == "INVALID", filter
    no_offset = await post(client, AUDIT_LOG, {"filter": {"from": "2026-03-01T00:00"}}, admin.token)
    assert no_offset.json()["errors"][0]["extensions"]["code"] != "INTERNAL"


# --- more edges ---------------------------------------------------------------------------------


async def test_a_forced_change_token_allows_only_me_change_password_and_logout(
    client: httpx.AsyncClient, admin: Account
) -> None:
    await mutate(client, CREATE_USER, new_user(), admin.token)
    token = (await login(client, "wang.wei", "Temp-pass-2026"))["token"]
    headers = {"Authorization": f"Bearer {token}"}
    by_get = await client.get("/graphql", params={"query": PROJECTS}, headers=headers)
    assert by_get.status_code == 403
    assert top_code(by_get.json()) == "PASSWORD_CHANGE_REQUIRED"
    users = await post(client, USERS, token=token)
    assert top_code(users.json()) == "PASSWORD_CHANGE_REQUIRED"
    revoke = await post(client, REVOKE_SESSION, {"input": {"sessionId": "x"}}, token)
    assert top_code(revoke.json()) == "PASSWORD_CHANGE_REQUIRED"
    typename = await gql(client, "{ __typename me { username } }", token=token)
    assert typename["data"] == {"__typename": "Query", "me": {"username": "wang.wei"}}
    sessions = await gql(client, MY_SESSIONS, token=token)
    assert [s["current"] for s in sessions["data"]["me"]["sessions"]] == [True]
    out = await gql(client, "mutation { logout { ok } }", token=token)
    assert out["data"]["logout"] == {"ok": True}
    assert (await gql(client, ME, token=token))["data"]["me"] is None


async def test_guessing_the_old_password_is_throttled(
    client: httpx.AsyncClient, office: Account
) -> None:
    for _ in range(5):
        wrong = await mutate(
            client,
            CHANGE_PASSWORD,
            {"oldPassword": "guess-guess", "newPassword": STRONG},
            office.token,
        )
        assert one_error(wrong) == ("INVALID", ["input", "oldPassword"])
    right = await mutate(
        client, CHANGE_PASSWORD, {"oldPassword": TEST_PASSWORD, "newPassword": STRONG}, office.token
    )
    assert right["ok"] is False and one_error(right)[0] == "RATE_LIMITED"
    assert (await login(client, "office", TEST_PASSWORD))["errors"][0]["code"] == "RATE_LIMITED"
    assert await AuditEntry.filter(action="changePassword").count() == 0
    assert await AuditEntry.filter(action="loginFailed", object_id=str(office.user.id)).count() == 5


async def test_last_use_is_not_written_per_request(
    client: httpx.AsyncClient, office: Account
) -> None:
    first = (await AuthToken.get(user_id=office.user.id)).last_used_at
    assert first is not None  # issuing a token is its first use
    for _ in range(3):
        await gql(client, ME, token=office.token)
    assert (await AuthToken.get(user_id=office.user.id)).last_used_at == first
    (session,) = await sessions_of(client, office.token)
    assert session["lastUsedAt"] is not None


async def test_enabling_again_does_not_bring_old_tokens_back(
    client: httpx.AsyncClient, admin: Account, office: Account
) -> None:
    gid = global_id("User", office.user.id)
    await mutate(client, UPDATE_USER, {"userId": gid, "active": False}, admin.token)
    back = await mutate(client, UPDATE_USER, {"userId": gid, "active": True}, admin.token)
    assert back["errors"] == [] and back["user"]["active"] is True
    assert (await gql(client, ME, token=office.token))["data"]["me"] is None
    assert (await login(client, "office", TEST_PASSWORD))["errors"] == []


async def test_audit_entries_are_not_nodes_for_other_roles(
    client: httpx.AsyncClient, admin: Account, office: Account, site_manager: Account
) -> None:
    await login(client, "office", TEST_PASSWORD)
    entry = await AuditEntry.get(action="login")
    entry_gid = global_id("AuditEntry", entry.id)
    for account in (office, site_manager):
        body = await gql(client, NODE, {"id": entry_gid}, account.token)
        assert body["data"]["node"] is None
    assert (await gql(client, NODE, {"id": entry_gid}, admin.token))["data"]["node"] == {
        "__typename": "AuditEntry",
        "action": "login",
    }
