"""The printed schema in schema/schema.graphql is current and keeps the contract's names."""

from __future__ import annotations

from pathlib import Path

from server.cli import print_schema

SCHEMA_FILE = Path(__file__).parents[2] / "schema" / "schema.graphql"


def test_printed_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == print_schema(), (
        "schema/schema.graphql is stale: run `make schema`"
    )


def test_every_type_and_field_has_a_description() -> None:
    from graphql import GraphQLObjectType

    from schema import build_schema

    missing = []
    for name, graphql_type in build_schema().graphql_schema.type_map.items():
        if name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        if not graphql_type.description:
            missing.append(name)
        for field_name, field in graphql_type.fields.items():
            if not field.description and field_name != "id":
                missing.append(f"{name}.{field_name}")
    assert missing == []
