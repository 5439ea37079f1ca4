"""Apollo's automatic persisted queries over POST and GET, and the allow-list mode, through the
real endpoint."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from server.api.persisted_queries import KnownDocuments, PersistedQueries
from server.domain import persisted_queries
from server.domain.models import PersistedQuery, Role
from server.domain.persisted_queries import DocumentToRegister, document_hash
from server.settings import Settings
from tests.conftest import Account, MakeAccount

ME = "query Me { me { username } }"
TYPENAME = "query Typename { __typename }"
LOGOUT = "mutation Logout { logout { ok } }"
NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}

UsePersisted = Callable[..., PersistedQueries]


def apq(text: str) -> dict[str, Any]:
    """The `extensions` member naming `text` by its hash."""
    return {"persistedQuery": {"version": 1, "sha256Hash": document_hash(text)}}


def get_params(text: str | None, sha256_of: str, **extra: Any) -> dict[str, str]:
    """A GET query string as Apollo's link sends it (with `useGETForHashedQueries`)."""
    params = {"extensions": json.dumps(apq(sha256_of)), **extra}
    if text is not None:
        params["query"] = text
    return params


@pytest.fixture
def use_persisted(app: Starlette, settings: Settings) -> Iterator[UsePersisted]:
    """Give the endpoint a fresh persisted-query store (in `mode`) for the test."""
    endpoint = app.state.graphql
    before = endpoint.persisted

    def use(mode: str = "open", **changes: Any) -> PersistedQueries:
        changed = dataclasses.replace(settings, persisted_queries=mode, **changes)
        endpoint.persisted = PersistedQueries(changed)
        return endpoint.persisted

    use()
    yield use
    endpoint.persisted = before


async def register(*texts: str) -> None:
    await persisted_queries.register([DocumentToRegister(text, (), "test") for text in texts])


# --- the protocol, open mode ----------------------------------------------------------------


async def test_post_hash_unknown_then_text_then_hash_alone(
    client: httpx.AsyncClient, office: Account, use_persisted: UsePersisted
) -> None:
    first = await client.post("/graphql", json={"extensions": apq(ME)}, headers=office.headers)
    assert first.status_code == 200
    assert first.json() == NOT_FOUND
    with_text = await client.post(
        "/graphql", json={"query": ME, "extensions": apq(ME)}, headers=office.headers
    )
    assert with_text.status_code == 200, with_text.text
    assert with_text.json()["data"] == {"me": {"username": "office"}}
    again = await client.post("/graphql", json={"extensions": apq(ME)}, headers=office.headers)
    assert again.status_code == 200, again.text
    assert again.json()["data"] == {"me": {"username": "office"}}
    # learned in memory only: the table holds registered documents
    assert await PersistedQuery.all().count() == 0


async def test_get_hash_alone_runs_with_variables_and_operation_name(
    client: httpx.AsyncClient, use_persisted: UsePersisted
) -> None:
    text = "query Node($id: ID!) { node(id: $id) { id } }"
    variables = json.dumps({"id": "bm9wZQ=="})
    unknown = await client.get("/graphql", params=get_params(None, text, variables=variables))
    assert (unknown.status_code, unknown.json()) == (200, NOT_FOUND)
    taught = await client.get("/graphql", params=get_params(text, text, variables=variables))
    assert taught.status_code == 200, taught.text
    hashed = await client.get(
        "/graphql", params=get_params(None, text, variables=variables, operationName="Node")
    )
    assert hashed.status_code == 200, hashed.text
    assert hashed.json()["data"] == {"node": None}


async def test_graphiql_page_is_still_served(
    client: httpx.AsyncClient, use_persisted: UsePersisted
) -> None:
    use_persisted("allowlist")
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "GraphiQL" in page.text
    # a browser's GET by hash is a query, not a page
    hashed = await client.get(
        "/graphql", params=get_params(None, TYPENAME), headers={"accept": "text/html"}
    )
    assert hashed.json() == NOT_FOUND


async def test_registered_document_runs_by_hash_without_being_sent(
    client: httpx.AsyncClient, use_persisted: UsePersisted, count_statements: Any
) -> None:
    await register(TYPENAME)
    with count_statements() as counter:
        first = await client.get("/graphql", params=get_params(None, TYPENAME))
    assert first.json()["data"] == {"__typename": "Query"}
    assert len(_lookups(counter.statements)) == 1  # the table, once
    with count_statements() as counter:
        second = await client.get("/graphql", params=get_params(None, TYPENAME))
    assert second.json()["data"] == {"__typename": "Query"}
    assert _lookups(counter.statements) == []  # from memory


def _lookups(statements: list[str]) -> list[str]:
    """The statements that read the registered documents."""
    return [statement for statement in statements if "persisted_query" in statement]


async def test_hash_that_is_not_the_texts_is_refused_and_not_stored(
    client: httpx.AsyncClient, use_persisted: UsePersisted
) -> None:
    response = await client.post("/graphql", json={"query": TYPENAME, "extensions": apq(ME)})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    assert "SHA-256" in error["message"]
    assert (await client.post("/graphql", json={"extensions": apq(ME)})).json() == NOT_FOUND


@pytest.mark.parametrize(
    ("extensions", "code", "fragment"),
    [
        ([1], "BAD_REQUEST", "`extensions` must be an object"),
        ("not json", "BAD_REQUEST", "`extensions`"),
        ({"persistedQuery": "abc"}, "BAD_REQUEST", "must be an object"),
        ({"persistedQuery": {"sha256Hash": "0" * 64}}, "PERSISTED_QUERY_VERSION_UNSUPPORTED", ""),
        (
            {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
            "PERSISTED_QUERY_VERSION_UNSUPPORTED",
            "version 1",
        ),
        (
            {"persistedQuery": {"version": True, "sha256Hash": "0" * 64}},
            "PERSISTED_QUERY_VERSION_UNSUPPORTED",
            "",
        ),
        (
            {"persistedQuery": {"version": "1", "sha256Hash": "0" * 64}},
            "PERSISTED_QUERY_VERSION_UNSUPPORTED",
            "",
        ),
        ({"persistedQuery": {"version": 1}}, "BAD_REQUEST", "64 hexadecimal"),
        ({"persistedQuery": {"version": 1, "sha256Hash": ""}}, "BAD_REQUEST", "64 hexadecimal"),
        ({"persistedQuery": {"version": 1, "sha256Hash": 12}}, "BAD_REQUEST", "64 hexadecimal"),
        (
            {"persistedQuery": {"version": 1, "sha256Hash": "g" * 64}},
            "BAD_REQUEST",
            "64 hexadecimal",
        ),
        (
            {"persistedQuery": {"version": 1, "sha256Hash": "a" * 100_000}},
            "BAD_REQUEST",
            "64 hexadecimal",
        ),
        ({"persistedQuery": {"version": 1, "sha256Hash": "a\x00" * 32}}, "INVALID", "NUL"),
        (
            {"persistedQuery": {"version": 10**400, "sha256Hash": "0" * 64}},
            "PERSISTED_QUERY_VERSION_UNSUPPORTED",
            "",
        ),
    ],
)
async def test_malformed_extensions_are_refused_with_400(
    client: httpx.AsyncClient,
    use_persisted: UsePersisted,
    extensions: Any,
    code: str,
    fragment: str,
) -> None:
    response = await client.post("/graphql", json={"extensions": extensions})
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert fragment in error["message"]
    assert error["extensions"]["code"] == code


async def test_malformed_extensions_over_get(
    client: httpx.AsyncClient, use_persisted: UsePersisted
) -> None:
    for extensions in ("{nope", "[]", '{"persistedQuery": {"version": 1, "sha256Hash": "x"}}'):
        response = await client.get("/graphql", params={"extensions": extensions})
        assert response.status_code == 400, response.text
    empty = await client.get("/graphql", params={"extensions": ""})
    assert empty.status_code == 400
    assert "no `query`" in empty.json()["errors"][0]["message"]


async def test_uppercase_hash_is_the_same_document(
    client: httpx.AsyncClient, use_persisted: UsePersisted
) -> None:
    await register(TYPENAME)
    upper = {"persistedQuery": {"version": 1, "sha256Hash": document_hash(TYPENAME).upper()}}
    response = await client.post("/graphql", json={"extensions": upper})
    assert response.json()["data"] == {"__typename": "Query"}


async def test_mutation_by_hash_runs_over_post_and_is_refused_over_get(
    client: httpx.AsyncClient, make_account: MakeAccount, use_persisted: UsePersisted
) -> None:
    account = await make_account(Role.OFFICE)
    over_get = await client.get(
        "/graphql", params=get_params(LOGOUT, LOGOUT), headers=account.headers
    )
    assert over_get.status_code == 405
    assert over_get.headers["allow"] == "POST"
    # not learned by the refused GET
    unknown = await client.post("/graphql", json={"extensions": apq(LOGOUT)})
    assert unknown.json() == NOT_FOUND
    taught = await client.post(
        "/graphql", json={"query": LOGOUT, "extensions": apq(LOGOUT)}, headers=account.headers
    )
    assert taught.json()["data"] == {"logout": {"ok": True}}
    hashed_get = await client.get("/graphql", params=get_params(None, LOGOUT))
    assert hashed_get.status_code == 405


async def test_budget_applies_to_persisted_documents(
    client: httpx.AsyncClient, use_persisted: UsePersisted, settings: Settings
) -> None:
    many = " ".join(f"a{i}: __typename" for i in range(settings.max_aliases + 1))
    text = f"query Many {{ {many} }}"
    await register(text)  # straight into the table, past the command's checks
    response = await client.get("/graphql", params=get_params(None, text))
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] in {"TOO_COMPLEX", "LIMIT"}
    long_text = "query Long { __typename }" + " " * settings.max_query_length
    await register(long_text)
    too_long = await client.get("/graphql", params=get_params(None, long_text))
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["extensions"]["code"] == "LIMIT"


async def test_invalid_document_sent_with_its_hash_is_not_learned(
    client: httpx.AsyncClient, use_persisted: UsePersisted
) -> None:
    text = "query Bad { noSuchField }"
    response = await client.post("/graphql", json={"query": text, "extensions": apq(text)})
    assert response.status_code == 400
    assert (await client.post("/graphql", json={"extensions": apq(text)})).json() == NOT_FOUND


def test_known_documents_are_bounded_by_count_and_characters() -> None:
    known = KnownDocuments(max_entries=2, max_chars=10)
    known.put("a", "aaaa", registered=False)
    known.put("b", "bbbb", registered=True)
    assert known.get("a") is not None  # a is now the most recent
    known.put("c", "cccc", registered=False)  # 12 characters: b goes
    assert known.get("b") is None
    assert (len(known), known.chars) == (2, 8)
    known.put("big", "x" * 11, registered=False)  # never kept
    assert known.get("big") is None
    known.put("a", "aaaa", registered=True)
    entry = known.get("a")
    assert entry is not None and entry.registered
    assert KnownDocuments(max_entries=0, max_chars=10).get("a") is None


# --- allow-list mode ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SITE_MANAGER, Role.SUPERVISOR, Role.COORDINATOR, None])
async def test_allowlist_refuses_unregistered_text_and_runs_nothing(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    use_persisted: UsePersisted,
    role: Role | None,
) -> None:
    use_persisted("allowlist")
    headers = (await make_account(role)).headers if role else {}
    for body in ({"query": LOGOUT}, {"query": LOGOUT, "extensions": apq(LOGOUT)}):
        response = await client.post("/graphql", json=body, headers=headers)
        assert response.status_code == 403, response.text
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
        assert "register-queries" in error["message"]
    assert (await client.post("/graphql", json={"extensions": apq(LOGOUT)})).json() == NOT_FOUND
    if role is not None:  # the logout did not run: the token still works
        use_persisted("open")
        me = await client.post("/graphql", json={"query": ME}, headers=headers)
        assert me.json()["data"]["me"]["username"]


async def test_allowlist_runs_registered_documents_by_hash_and_by_text(
    client: httpx.AsyncClient, site_manager: Account, use_persisted: UsePersisted
) -> None:
    use_persisted("allowlist")
    await register(ME)
    hashed = await client.get("/graphql", params=get_params(None, ME), headers=site_manager.headers)
    assert hashed.json()["data"] == {"me": {"username": "site1"}}
    sent = await client.post("/graphql", json={"query": ME}, headers=site_manager.headers)
    assert sent.json()["data"] == {"me": {"username": "site1"}}
    both = await client.post(
        "/graphql", json={"query": ME, "extensions": apq(ME)}, headers=site_manager.headers
    )
    assert both.json()["data"] == {"me": {"username": "site1"}}


async def test_allowlist_login_runs_only_when_registered(
    client: httpx.AsyncClient, make_account: MakeAccount, use_persisted: UsePersisted
) -> None:
    use_persisted("allowlist")
    await make_account(Role.SITE_MANAGER, "phone")
    login = (
        "mutation Login($u: String!, $p: String!) "
        "{ login(input: {username: $u, password: $p}) { token } }"
    )
    body = {"query": login, "variables": {"u": "phone", "p": "correct horse battery"}}
    assert (await client.post("/graphql", json=body)).status_code == 403
    await register(login)
    signed_in = await client.post("/graphql", json={**body, "extensions": apq(login)})
    assert signed_in.json()["data"]["login"]["token"]


@pytest.mark.parametrize("role", [Role.OFFICE, Role.ADMIN])
async def test_allowlist_exempts_office_and_admin_scripts(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    site_manager: Account,
    use_persisted: UsePersisted,
    role: Role,
) -> None:
    use_persisted("allowlist")
    account = await make_account(role)
    plain = await client.post("/graphql", json={"query": TYPENAME}, headers=account.headers)
    assert plain.json()["data"] == {"__typename": "Query"}
    taught = await client.post(
        "/graphql", json={"query": TYPENAME, "extensions": apq(TYPENAME)}, headers=account.headers
    )
    assert taught.json()["data"] == {"__typename": "Query"}
    hashed = await client.get(
        "/graphql", params=get_params(None, TYPENAME), headers=account.headers
    )
    assert hashed.json()["data"] == {"__typename": "Query"}
    # what office staff ran is theirs: not a way in for anyone else
    other = await client.get(
        "/graphql", params=get_params(None, TYPENAME), headers=site_manager.headers
    )
    assert other.json() == NOT_FOUND
    assert await PersistedQuery.all().count() == 0
