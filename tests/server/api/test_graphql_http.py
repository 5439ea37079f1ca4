"""The /graphql endpoint over real HTTP: transports, limits, cache, masking, bad input."""

from __future__ import annotations

import json

import graphene
import httpx
import pytest
from graphql import get_introspection_query
from starlette.applications import Starlette
from starlette.responses import JSONResponse

from server.api.app import create_app
from server.api.json_response import GraphQLJSONResponse
from server.settings import Settings


async def test_post_json_runs_a_query(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


async def test_get_runs_a_query_with_variables(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={
            "query": "query Q($id: ID!) { node(id: $id) { id } }",
            "variables": json.dumps({"id": "bm9wZQ=="}),
        },
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"node": None}


async def test_mutation_over_get_is_refused_with_405(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "mutation { logout { ok } }"})
    assert response.status_code == 405
    assert "POST" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("content", "content_type", "fragment"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "Batched"),
        (b'"just a string"', "application/json", "JSON object"),
        (b"{}", "application/json", "no `query`"),
        (b'{"query": "{ me { id } }", "variables": [1]}', "application/json", "variables"),
        (b"query={__typename}", "application/x-www-form-urlencoded", "application/json"),
        (b"{ __typename }", "text/plain", "application/json"),
    ],
)
async def test_bad_requests_get_400_with_a_clear_error(
    client: httpx.AsyncClient, content: bytes, content_type: str, fragment: str
) -> None:
    response = await client.post(
        "/graphql", content=content, headers={"content-type": content_type}
    )
    assert response.status_code == 400
    assert fragment in response.json()["errors"][0]["message"]


async def test_array_batching_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}]
    )
    assert response.status_code == 400
    assert "Batched" in response.json()["errors"][0]["message"]


async def test_syntax_and_validation_errors_are_400(client: httpx.AsyncClient) -> None:
    syntax = await client.post("/graphql", json={"query": "{ me { "})
    assert syntax.status_code == 400
    assert "Syntax Error" in syntax.json()["errors"][0]["message"]
    unknown = await client.post("/graphql", json={"query": "{ noSuchField }"})
    assert unknown.status_code == 400
    assert "noSuchField" in unknown.json()["errors"][0]["message"]


async def test_variables_of_the_wrong_type_are_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": "query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            "variables": {"ids": 5.5},
        },
    )
    assert response.status_code == 400
    assert "$ids" in response.json()["errors"][0]["message"]


async def test_unknown_operation_name_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "query A { __typename } query B { __typename }", "operationName": "C"},
    )
    assert response.status_code == 400
    assert "Unknown operation named 'C'" in response.json()["errors"][0]["message"]


async def test_operation_name_picks_one_of_several(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "query A { a: __typename } query B { b: __typename }", "operationName": "B"},
    )
    assert response.json()["data"] == {"b": "Query"}


async def test_several_operations_without_a_name_are_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "query A { __typename } query B { __typename }"}
    )
    assert response.status_code == 400
    assert "operationName" in response.json()["errors"][0]["message"]


async def test_graphiql_introspection_query_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": get_introspection_query()})
    assert response.status_code == 200
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_alias_limit(client: httpx.AsyncClient) -> None:
    many = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    response = await client.post("/graphql", json={"query": many})
    assert response.status_code == 400
    assert "alias limit" in response.json()["errors"][0]["message"]
    thirty = "{ " + " ".join(f"a{i}: __typename" for i in range(30)) + " }"
    assert (await client.post("/graphql", json={"query": thirty})).status_code == 200


async def test_document_length_limit(client: httpx.AsyncClient, settings: Settings) -> None:
    query = "{ __typename }" + " " * settings.max_query_length
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 400
    assert "document length limit" in response.json()["errors"][0]["message"]


async def test_identical_documents_are_validated_once(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    cache = app.state.graphql.documents
    query = "query CacheProbe { __typename cacheProbe: __typename }"
    before = cache.validations
    for _ in range(3):
        response = await client.post("/graphql", json={"query": query})
        assert response.status_code == 200
    assert cache.validations == before + 1


def _failing_app(settings: Settings, debug: bool) -> Starlette:
    class Query(graphene.ObjectType):
        boom = graphene.String()

        @staticmethod
        def resolve_boom(root: object, info: object) -> str:
            raise RuntimeError("secret database detail")

    application = create_app(Settings(**{**settings.__dict__, "debug": debug}))
    endpoint = application.state.graphql
    endpoint.schema = graphene.Schema(query=Query)
    endpoint.documents.__init__(endpoint.schema.graphql_schema, endpoint.settings)
    return application


@pytest.mark.parametrize("debug", [False, True])
async def test_unexpected_errors_are_masked_unless_debugging(
    settings: Settings, debug: bool, caplog: pytest.LogCaptureFixture
) -> None:
    application = _failing_app(settings, debug)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.post("/graphql", json={"query": "{ boom }"})
    error = response.json()["errors"][0]
    if debug:
        assert error["message"] == "secret database detail"
    else:
        assert error == {
            "message": "Internal error",
            "path": ["boom"],
            "extensions": {"code": "INTERNAL"},
        }
        assert "secret" not in response.text
    assert "secret database detail" in caplog.text
    assert "Traceback" in caplog.text


async def test_browser_gets_graphiql_or_instructions(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "GraphiQL" in response.text


def _project_loop(levels: int) -> str:
    """A query looping project -> milestones -> project, `levels` selection sets deep."""
    parts = ["projects", "edges", "node"]
    while len(parts) < levels - 1:
        parts += ["milestones", "edges", "node", "project"]
    parts = parts[: levels - 1]
    return "{ " + " { ".join(parts) + " { id }" + " }" * (len(parts) - 1) + " }"


async def test_depth_limit_over_http(client: httpx.AsyncClient, settings: Settings) -> None:
    too_deep = await client.post(
        "/graphql", json={"query": _project_loop(settings.max_query_depth + 1)}
    )
    assert too_deep.status_code == 400
    assert "depth limit" in too_deep.json()["errors"][0]["message"]
    at_limit = await client.post(
        "/graphql", json={"query": _project_loop(settings.max_query_depth)}
    )
    assert at_limit.status_code == 200
    assert at_limit.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


BODIES = [
    {
        "data": {
            "name": "桩基工程 · 主体封顶",
            "quote": 'say "hi" \\ /path',
            "ctl": "a\nb\tc\x01\x7f",
        }
    },
    {"data": {"n": [0, -1, 2**63 - 1, 1.5, 0.1, 30.123456, True, False, None, [], {}]}},
    {"errors": [{"message": "x", "locations": [{"line": 1, "column": 2}], "path": ["a", 0]}]},
    {"data": {"emoji": "🏗️", "separators": "\u2028\u2029", "keys": {"b": 1, "a": 2}}},
]


@pytest.mark.parametrize("body", BODIES)
def test_responses_have_the_bytes_of_starlettes_json_response(body: dict[str, object]) -> None:
    assert GraphQLJSONResponse(body).body == JSONResponse(body).body


def test_bodies_orjson_refuses_are_rendered_by_starlette() -> None:
    big = {"data": {"n": 2**70}}
    assert GraphQLJSONResponse(big).body == JSONResponse(big).body == b'{"data":{"n":%d}}' % 2**70
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate fails as it always did
        GraphQLJSONResponse({"data": "\ud800"})


async def test_non_ascii_is_sent_as_utf8(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": "query Q($x: Boolean!) { __typename @include(if: $x) }",
            "variables": {"x": "桩基"},
        },
    )
    assert response.headers["content-type"] == "application/json"
    assert "桩基".encode() in response.content
    assert b"\\u" not in response.content
