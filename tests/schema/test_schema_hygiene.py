"""API hygiene: everything in the schema is described, and no change skips a deprecation."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import graphene
import pytest
from graphql import (
    BreakingChangeType,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from schema import build_schema
from schema.compatibility import main, unapproved_breaking_changes
from schema.enums import described_enum

SCHEMA_FILE = Path(__file__).parents[2] / "schema" / "schema.graphql"

OLD = """
type Query {
  "Projects."
  projects: [Project!]!
  "Kept."
  programme(code: String): String
  "Going."
  legacyBoard: Board @deprecated(reason: "Use projects.")
}
"A project."
type Project { "Name." name: String!  "Colour." colour: Colour! }
"Only the deprecated field uses it."
type Board { "Rows." rows: Int! }
"Colours."
enum Colour { RED GREEN AMBER @deprecated(reason: "Use RED.") }
"""


def _undescribed() -> list[str]:
    schema = build_schema().graphql_schema
    missing = [] if schema.description else ["the schema"]
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__"):
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [
                    f"{name}.{field_name}({arg_name})"
                    for arg_name, arg in field.args.items()
                    if not arg.description
                ]
        elif isinstance(graphql_type, GraphQLInputObjectType):
            missing += [
                f"{name}.{field_name}"
                for field_name, field in graphql_type.fields.items()
                if not field.description
            ]
        elif isinstance(graphql_type, GraphQLEnumType):
            missing += [
                f"{name}.{value_name}"
                for value_name, value in graphql_type.values.items()
                if not value.description
            ]
    return missing


def test_every_type_field_argument_enum_value_and_input_field_is_described() -> None:
    assert _undescribed() == []


def test_the_schema_itself_is_described_in_the_printed_file() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8").startswith('"""\nwallchart: ')


def test_the_live_schema_breaks_nothing_against_the_committed_one() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert unapproved_breaking_changes(committed, str(build_schema())) == []


def test_removing_what_was_not_deprecated_is_reported() -> None:
    new = OLD.replace('"Kept."\n  programme(code: String): String\n', "").replace("GREEN ", "")
    changes = unapproved_breaking_changes(OLD, new)
    assert {(c.type, c.description) for c in changes} == {
        (BreakingChangeType.FIELD_REMOVED, "Query.programme was removed."),
        (BreakingChangeType.VALUE_REMOVED_FROM_ENUM, "GREEN was removed from enum type Colour."),
    }


def test_changing_a_type_or_adding_a_required_argument_is_reported() -> None:
    new = OLD.replace("name: String!", "name: Int!").replace("code: String", "code: String!")
    kinds = sorted(c.type.name for c in unapproved_breaking_changes(OLD, new))
    assert kinds == ["ARG_CHANGED_KIND", "FIELD_CHANGED_KIND"]


def test_removing_what_was_deprecated_is_allowed() -> None:
    new = (
        OLD.replace('"Going."\n  legacyBoard: Board @deprecated(reason: "Use projects.")\n', "")
        .replace('"Only the deprecated field uses it."\ntype Board { "Rows." rows: Int! }\n', "")
        .replace(' AMBER @deprecated(reason: "Use RED.")', "")
    )
    assert "legacyBoard" not in new and "AMBER" not in new and "type Board" not in new
    assert unapproved_breaking_changes(OLD, new) == []


@pytest.mark.parametrize(
    ("deprecation", "exit_code"), [("", 1), (' @deprecated(reason: "Use projects.")', 0)]
)
def test_the_command_fails_only_on_an_unapproved_removal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], deprecation: str, exit_code: int
) -> None:
    previous = tmp_path / "previous.graphql"
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    previous.write_text(
        committed + f'\nextend type Query {{\n  "Retired."\n  retired: String{deprecation}\n}}\n',
        encoding="utf-8",
    )
    assert main([str(previous)]) == exit_code
    reported = "Query.retired was removed." in capsys.readouterr().err
    assert reported is (exit_code == 1)


class _Colour(StrEnum):
    RED = "RED"
    AMBER = "AMBER"


def test_an_enum_value_cannot_reach_the_schema_undescribed() -> None:
    with pytest.raises(ValueError, match=r"missing \['AMBER'\]"):
        described_enum(_Colour, "Colours.", {"RED": "Stop."})


def test_an_enum_value_is_deprecated_with_its_reason() -> None:
    colours = described_enum(
        _Colour, "Colours.", {"RED": "Stop.", "AMBER": "Wait."}, deprecated={"AMBER": "Use RED."}
    )

    class Query(graphene.ObjectType):
        colour = graphene.Field(colours, description="The colour.")

    printed = str(graphene.Schema(query=Query))
    assert '"""Wait."""\n  AMBER @deprecated(reason: "Use RED.")' in printed
    assert '"""Stop."""\n  RED\n' in printed
