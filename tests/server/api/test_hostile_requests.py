"""Hostile requests over HTTP: each is refused before it runs, with a clear, coded error."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query
from starlette.applications import Starlette

from server.api.documents import INTROSPECTION_ANSWERS_KEPT
from server.settings import Settings
from tests.conftest import Account
from tests.server.api.query_budget.measuring import fragment_bomb


async def post(client: httpx.AsyncClient, query: str, **extra: Any) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, **extra})


def code_of(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def test_the_fragment_bomb_is_refused_before_validation_and_sign_in(
    client: httpx.AsyncClient, app: Starlette, count_statements: Callable[[], Any]
) -> None:
    documents = app.state.graphql.documents
    query = fragment_bomb(10, 6, leaf="projects { totalCount }")
    validations, visited = documents.validations, documents.measured_nodes
    with count_statements() as counter:
        response = await client.post(
            "/graphql", json={"query": query}, headers={"Authorization": "Bearer x"}
        )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "TOO_COMPLEX", "cost": 2 * 6**9, "limit": 50_000}
    assert counter.statements == []  # neither the token nor any resolver reached the database
    assert documents.validations == validations
    selections = query.count("...") + query.count("{") + query.count("totalCount")
    assert documents.measured_nodes - visited <= 2 * selections


async def test_aliases_in_every_fragment_are_refused(client: httpx.AsyncClient) -> None:
    response = await post(client, fragment_bomb(10, 6, leaf="a: __typename b: __typename"))
    assert response.status_code == 400
    assert code_of(response) == "LIMIT"
    assert "alias limit" in response.json()["errors"][0]["message"]


async def test_thirty_aliased_schema_walks_are_refused(client: httpx.AsyncClient) -> None:
    walk = "types { name fields { name type { name fields { name type { name } } } } }"
    query = "{ " + " ".join(f"s{i}: __schema {{ {walk} }}" for i in range(30)) + " }"
    response = await post(client, query)
    assert response.status_code == 400
    assert code_of(response) == "TOO_COMPLEX"


async def test_nested_pages_of_a_hundred_are_refused_before_any_statement(
    client: httpx.AsyncClient, office: Account, count_statements: Callable[[], Any]
) -> None:
    page = """projects(first: 100) { edges { node { id
        milestones(first: 100) { edges { node { id title plannedDate status } } } } } }"""
    query = "{ " + " ".join(f"a{i}: {page}" for i in range(3)) + " }"
    with count_statements() as counter:
        response = await client.post("/graphql", json={"query": query}, headers=office.headers)
    assert response.status_code == 400
    extensions = response.json()["errors"][0]["extensions"]
    assert extensions["code"] == "TOO_COMPLEX"
    assert extensions["cost"] == 3 * (1 + 100 * (3 + 1 + 100 * 6))
    assert extensions["limit"] == 50_000
    assert "`first`" in response.json()["errors"][0]["message"]
    assert counter.statements == []


async def test_a_page_size_given_as_a_variable_is_costed_with_its_value(
    client: httpx.AsyncClient, office: Account
) -> None:
    query = """query Q($n: Int) { projects(first: $n) { edges { node { id
        milestones(first: $n) { edges { node { id title plannedDate status } } } } } } }"""
    small = await client.post(
        "/graphql", json={"query": query, "variables": {"n": 10}}, headers=office.headers
    )
    assert small.status_code == 200, small.text
    assert small.json()["extensions"]["cost"] == {
        "requested": 1 + 10 * (3 + 1 + 10 * 6),
        "limit": 50_000,
    }
    large = await client.post(
        "/graphql", json={"query": query, "variables": {"n": 100}}, headers=office.headers
    )
    assert large.status_code == 400
    assert code_of(large) == "TOO_COMPLEX"
    assert large.json()["errors"][0]["extensions"]["cost"] == 1 + 100 * (3 + 1 + 100 * 6)


async def test_every_answer_carries_its_cost(client: httpx.AsyncClient) -> None:
    response = await post(client, "{ me { id username } }")
    assert response.json()["extensions"] == {"cost": {"requested": 3, "limit": 50_000}}


async def test_graphiql_introspection_passes_and_its_answer_is_kept(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    query = get_introspection_query(descriptions=True, input_value_deprecation=True)
    first = await post(client, query)
    assert first.status_code == 200
    assert first.json()["extensions"]["cost"]["requested"] < 50_000
    documents = app.state.graphql.documents
    assert documents.introspection_answer(query) is not None
    second = await post(client, query)
    assert second.json() == first.json()
    for index in range(INTROSPECTION_ANSWERS_KEPT):  # only the latest few answers are kept
        await post(client, f"query Other{index} {{ __schema {{ queryType {{ name }} }} }}")
    assert documents.introspection_answer(query) is None


async def test_documents_past_the_token_limit_are_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await post(client, "{ " + "__typename " * settings.max_query_tokens + "}")
    assert response.status_code == 400
    assert code_of(response) == "LIMIT"


async def test_refusals_before_execution_carry_a_code(client: httpx.AsyncClient) -> None:
    assert code_of(await post(client, "{ me { ")) == "GRAPHQL_PARSE_FAILED"
    assert code_of(await post(client, "{ noSuchField }")) == "GRAPHQL_VALIDATION_FAILED"
    cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
    assert code_of(await post(client, cycle)) == "GRAPHQL_VALIDATION_FAILED"
    wrong = await post(client, "query Q($n: Int) { projects(first: $n) { totalCount } }")
    assert wrong.status_code == 200  # omitted nullable variable: runs (and needs sign-in)
    bad = await client.post(
        "/graphql",
        json={
            "query": "query Q($n: Int) { projects(first: $n) { totalCount } }",
            "variables": {"n": "x"},
        },
    )
    assert bad.status_code == 400
    assert code_of(bad) == "INVALID"


# --- bodies ---------------------------------------------------------------------------------


async def test_a_declared_oversized_body_is_refused_unread(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(64):
            pulled += 1
            yield b" " * 65536

    response = await client.post(
        "/graphql",
        content=body(),
        headers={
            "content-type": "application/json",
            "content-length": str(settings.max_body_bytes + 1),
        },
    )
    assert response.status_code == 413
    assert code_of(response) == "TOO_LARGE"
    assert pulled <= 1


async def test_a_streamed_oversized_body_is_refused_while_it_is_read(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    chunk = 65536
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield b'{"query": "{ __typename }", "pad": "'
        for _ in range(1600):  # 100 MB if it were read whole
            pulled += 1
            yield b"x" * chunk

    response = await client.post(
        "/graphql", content=body(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert code_of(response) == "TOO_LARGE"
    assert pulled * chunk <= settings.max_body_bytes + 2 * chunk


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"query": "{ __typename }"', "not valid JSON"),
        (b'{"query": "{ __typename }", "x": ' + b"[" * 3000 + b"]" * 3000 + b"}", "nested"),
        (b'{"query": "{ __typename }", "x": ' + b"9" * 5000 + b"}", "digits"),
        (b'{"query": "\xff\xfe"}', "JSON"),
    ],
)
async def test_malformed_json_is_a_graphql_shaped_400(
    client: httpx.AsyncClient, content: bytes, fragment: str
) -> None:
    response = await client.post(
        "/graphql", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert fragment in error["message"]
    assert error["extensions"]["code"] in {"BAD_REQUEST", "INVALID"}


async def test_variables_nested_past_the_limit_are_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    deep: Any = "leaf"
    for _ in range(settings.max_json_depth + 1):
        deep = [deep]
    response = await post(
        client, "query Q($x: [ID!]) { nodes(ids: []) { id } }", variables={"x": deep}
    )
    assert response.status_code == 400
    assert code_of(response) == "INVALID"


# --- strings the database cannot store ------------------------------------------------------


@pytest.mark.parametrize(
    "raw_variables",
    [
        b'{"s": "a\\u0000b"}',
        b'{"s": "lone \\ud800 surrogate"}',
        b'{"s\\u0000": "key"}',
        b'{"s": ["ok", {"deeper": "\\udfff"}]}',
    ],
)
async def test_unstorable_strings_in_variables_are_invalid(
    client: httpx.AsyncClient, office: Account, raw_variables: bytes
) -> None:
    query = json.dumps("query Q($s: String) { projects(filter: {search: $s}) { totalCount } }")
    body = b'{"query": ' + query.encode() + b', "variables": ' + raw_variables + b"}"
    response = await client.post(
        "/graphql",
        content=body,
        headers={"content-type": "application/json", **office.headers},
    )
    assert response.status_code == 400
    assert code_of(response) == "INVALID"


async def test_unstorable_strings_in_document_literals_are_invalid(
    client: httpx.AsyncClient, office: Account
) -> None:
    for literal in ('"a\\u0000b"', '"\\ud800"'):
        query = f"{{ projects(filter: {{search: {literal}}}) {{ totalCount }} }}"
        response = await client.post("/graphql", json={"query": query}, headers=office.headers)
        assert response.status_code == 400, literal
        assert code_of(response) in {"INVALID", "GRAPHQL_PARSE_FAILED"}, literal


async def test_unstorable_strings_in_a_get_query_are_invalid(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "{ __typename }", "operationName": "a\x00b"}
    )
    assert response.status_code == 400
    assert code_of(response) == "INVALID"


# --- probes ---------------------------------------------------------------------------------


async def test_healthz_and_readyz_answer(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": True, "media": True}}


async def test_anonymous_multipart_is_refused_unread(client: httpx.AsyncClient) -> None:
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(100):
            pulled += 1
            yield b"x" * 65536

    response = await client.post(
        "/graphql",
        content=body(),
        headers={
            "content-type": "multipart/form-data; boundary=b",
            "X-Requested-With": "test",
        },
    )
    assert response.status_code == 401
    assert code_of(response) == "UNAUTHENTICATED"
    assert pulled <= 1


async def test_variable_defaults_and_nulls_cannot_hide_a_large_page(
    client: httpx.AsyncClient, office: Account
) -> None:
    inner = """projects(first: $n) { edges { node { milestones(first: $n) {
        edges { node { id project { milestones(first: $n) { edges { node { id } } } } } } } } } }"""
    null = await client.post(
        "/graphql",
        json={"query": f"query A($n: Int = 0) {{ {inner} }}", "variables": {"n": None}},
        headers=office.headers,
    )
    assert null.status_code == 200  # null means the default page of 20, and is costed so
    assert null.json()["extensions"]["cost"]["requested"] == 1 + 20 * (3 + 20 * (5 + 20 * 3))
    two = f"query A($n: Int = 100) {{ {inner} }} query B($n: Int = 0) {{ {inner} }}"
    chosen = await client.post(
        "/graphql", json={"query": two, "operationName": "A"}, headers=office.headers
    )
    assert chosen.status_code == 400
    assert code_of(chosen) == "TOO_COMPLEX"


async def test_repeated_fields_are_refused_within_the_validation_budget(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    query = "{" + " me { id }" * 1_200 + "}"
    response = await post(client, query)
    assert response.status_code == 400
    assert code_of(response) == "TOO_COMPLEX"
    assert app.state.graphql.documents.prepare(query).document is None  # not kept


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ('{"s": "a\\u0000b"}', "INVALID"),
        ("[" * 40 + "]" * 40, "INVALID"),
        ('{"n": ' + "9" * 5000 + "}", "BAD_REQUEST"),
        ("{not json", "BAD_REQUEST"),
    ],
)
async def test_variables_sent_as_a_string_are_checked_like_a_body(
    client: httpx.AsyncClient, variables: str, code: str
) -> None:
    response = await client.get(
        "/graphql", params={"query": "query Q($s: String) { __typename }", "variables": variables}
    )
    assert response.status_code == 400
    assert code_of(response) == code
    assert "`variables`" in response.json()["errors"][0]["message"]
