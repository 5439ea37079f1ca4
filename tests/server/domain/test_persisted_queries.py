"""Registered documents: hashing, registering (idempotent, one transaction), removing, and the
checks documents from files go through before they are registered."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from graphql import GraphQLSchema

from schema import build_schema
from server.api.persisted_queries import (
    DocumentFileError,
    documents_to_register,
    read_document_files,
)
from server.domain import persisted_queries
from server.domain.models import PersistedQuery
from server.domain.persisted_queries import (
    DocumentToRegister,
    document_hash,
    is_document_hash,
    registered_document,
)
from server.settings import Settings

ME = "query Me { me { id } }"


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return build_schema().graphql_schema


def test_document_hash_is_sha256_of_the_exact_utf8_text() -> None:
    text = 'query { projects(search: "复工") { totalCount } }'
    assert document_hash(text) == hashlib.sha256(text.encode()).hexdigest()
    assert document_hash(text + " ") != document_hash(text)
    assert is_document_hash(document_hash(text))
    for bad in ("", "A" * 64, "0" * 63, "0" * 65, "g" * 64, " " + "0" * 63):
        assert not is_document_hash(bad)


async def test_register_is_idempotent_and_lookups_find_the_text() -> None:
    first = await persisted_queries.register(
        [
            DocumentToRegister(ME, ("Me",), "a.graphql"),
            DocumentToRegister(ME, ("Me",), "copy.graphql"),
        ]
    )
    assert [outcome.added for outcome in first] == [True, False]
    again = await persisted_queries.register([DocumentToRegister(ME, ("Me",), "b.graphql")])
    assert [outcome.added for outcome in again] == [False]
    row = await PersistedQuery.get(sha256=document_hash(ME))
    assert (row.document, row.operation_names, row.source) == (ME, "Me", "a.graphql")
    assert await registered_document(document_hash(ME)) == ME
    assert await registered_document("0" * 64) is None


async def test_long_names_and_sources_are_clipped() -> None:
    names = tuple(f"Operation{i}" for i in range(100))
    await persisted_queries.register([DocumentToRegister(ME, names, "x" * 1000)])
    row = await PersistedQuery.get(sha256=document_hash(ME))
    assert len(row.operation_names) == 500 and row.operation_names.endswith("…")
    assert len(row.source) == 500


async def test_unregister_and_list() -> None:
    other = "query Other { __typename }"
    await persisted_queries.register(
        [DocumentToRegister(ME, ("Me",), "a"), DocumentToRegister(other, ("Other",), "b")]
    )
    listed = await persisted_queries.registered_documents()
    assert {row.sha256 for row in listed} == {document_hash(ME), document_hash(other)}
    removed = await persisted_queries.unregister([document_hash(ME), "0" * 64])
    assert removed == [document_hash(ME)]
    assert await registered_document(document_hash(ME)) is None
    assert await persisted_queries.unregister([document_hash(ME)]) == []


def test_files_folders_and_manifests_are_read(tmp_path: Path) -> None:
    (tmp_path / "app" / "deep").mkdir(parents=True)
    (tmp_path / "app" / "me.graphql").write_text(ME)
    (tmp_path / "app" / "deep" / "two.gql").write_text(
        "fragment F on User { id }\nquery A { me { ...F } }\nquery B { me { id } }\n"
    )
    (tmp_path / "app" / "package.json").write_text("{}")  # not read from a folder
    manifest = tmp_path / "persisted-query-manifest.json"
    body = "query FromManifest { __typename }"
    manifest.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": document_hash(body), "name": "FromManifest", "body": body}],
            }
        )
    )
    simple = tmp_path / "hashes.json"
    simple.write_text(json.dumps({document_hash(ME): ME}))
    found = read_document_files([tmp_path / "app", manifest, simple])
    assert [item.text for item in found] == [
        (tmp_path / "app" / "deep" / "two.gql").read_text(),
        ME,
        body,
        ME,
    ]
    assert found[2].source.endswith("#FromManifest")
    assert found[2].declared_hash == document_hash(body)


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("missing.graphql", None, "no such file"),
        ("bad.json", "{not json", "Expecting"),
        ("list.json", "[1, 2]", "not a persisted-query manifest"),
        ("ops.json", '{"operations": [{"id": "x"}]}', "no `body`"),
        ("latin1.graphql", b"query { \xff }", "decode"),
    ],
)
def test_unreadable_files_are_named(
    tmp_path: Path, name: str, content: str | bytes | None, fragment: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(DocumentFileError) as caught:
        read_document_files([path])
    assert str(path) in caught.value.problems[0]
    assert fragment in caught.value.problems[0]


def test_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DocumentFileError, match=r"no \.graphql"):
        read_document_files([tmp_path])


def test_documents_are_checked_against_the_schema_and_the_limits(
    tmp_path: Path, graphql_schema: GraphQLSchema, settings: Settings
) -> None:
    good = tmp_path / "good.graphql"
    good.write_text(ME)
    checked = documents_to_register(read_document_files([good]), graphql_schema, settings)
    assert [(d.operation_names, d.source) for d in checked] == [(("Me",), str(good))]
    cases = {
        "unknown.graphql": "query { noSuchField }",
        "syntax.graphql": "query {",
        "empty.graphql": "",
        "nul.graphql": "query { me { id } }\x00",
        "aliases.graphql": "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }",
        "long.graphql": "{ __typename }" + " " * settings.max_query_length,
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(DocumentFileError) as caught:
        documents_to_register(read_document_files([tmp_path]), graphql_schema, settings)
    problems = "\n".join(caught.value.problems)
    for name in cases:
        assert name in problems
    assert "good.graphql" not in problems
    assert "noSuchField" in problems and "line 1" in problems


def test_a_manifest_hash_must_be_its_body(
    tmp_path: Path, graphql_schema: GraphQLSchema, settings: Settings
) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"0" * 64: ME}))
    with pytest.raises(DocumentFileError, match="is not the SHA-256"):
        documents_to_register(read_document_files([manifest]), graphql_schema, settings)
