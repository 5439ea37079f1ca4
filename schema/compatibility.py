"""The breaking-change check: does a new schema break clients that followed deprecations?

The policy: a field, argument, input field or enum value is first deprecated (graphene's
`deprecation_reason`), kept for at least one release, and only then removed or changed. A
breaking change is therefore approved when it only touches what the previous schema had
already deprecated, and any other breaking change fails the check.

    python -m schema.compatibility OLD.graphql      # OLD against the live schema
    git show origin/main:schema/schema.graphql | python -m schema.compatibility -

exits 1 and lists the unapproved breaking changes, if any.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, cast

from graphql import (
    REMOVE,
    BreakingChange,
    DocumentNode,
    GraphQLObjectType,
    GraphQLSchema,
    Visitor,
    build_ast_schema,
    find_breaking_changes,
    parse,
    visit,
)

from schema import build_schema


class _DropDeprecated(Visitor):
    """Removes every field, argument, input field and enum value marked @deprecated."""

    @staticmethod
    def _drop_if_deprecated(node: Any, *_: Any) -> Any:
        directives = node.directives or ()
        return REMOVE if any(d.name.value == "deprecated" for d in directives) else None

    enter_field_definition = _drop_if_deprecated
    enter_input_value_definition = _drop_if_deprecated
    enter_enum_value_definition = _drop_if_deprecated


def _reachable(schema: GraphQLSchema) -> GraphQLSchema:
    """The schema without the types no client can reach any more.

    Reachable means from the root types, or as an implementation of a reachable interface
    (a `node` query, a fragment on the interface), so a type used only by deprecated fields
    goes with them.
    """
    roots = (schema.query_type, schema.mutation_type, schema.subscription_type)
    from_roots = GraphQLSchema(*roots, directives=schema.directives)
    implementations = [
        graphql_type
        for graphql_type in schema.type_map.values()
        if isinstance(graphql_type, GraphQLObjectType)
        and any(interface.name in from_roots.type_map for interface in graphql_type.interfaces)
    ]
    return GraphQLSchema(*roots, types=implementations, directives=schema.directives)


def without_deprecated(sdl: str) -> GraphQLSchema:
    """The schema of `sdl` with what it deprecates, and the types only that used, taken out."""
    document = cast(DocumentNode, visit(parse(sdl), _DropDeprecated()))
    return _reachable(build_ast_schema(document))


def unapproved_breaking_changes(old_sdl: str, new_sdl: str) -> list[BreakingChange]:
    """The breaking changes from the schema `old_sdl` to `new_sdl` that skipped a deprecation.

    Removing or changing a field, argument, input field or enum value that `old_sdl` marks
    @deprecated is approved; every other change graphql-core's `find_breaking_changes`
    reports (a removed type or field, a changed type, a new required argument...) is listed.
    Both sides are built from SDL, so graphene's own type classes do not count as changes.
    """
    return find_breaking_changes(without_deprecated(old_sdl), build_ast_schema(parse(new_sdl)))


def main(argv: list[str] | None = None) -> int:
    """Compare the previous schema (a file, or - for stdin) with the live one; 1 if broken."""
    parser = argparse.ArgumentParser(
        prog="python -m schema.compatibility",
        description="Fail on breaking schema changes that did not go through a deprecation.",
    )
    parser.add_argument("old", help="the previous release's schema.graphql, or - for stdin")
    args = parser.parse_args(argv)
    if args.old == "-":
        old_sdl = sys.stdin.read()
    else:
        with open(args.old, encoding="utf-8") as old_file:
            old_sdl = old_file.read()

    changes = unapproved_breaking_changes(old_sdl, str(build_schema()))
    for change in changes:
        print(f"breaking change ({change.type.name}): {change.description}", file=sys.stderr)
    if changes:
        print(
            "Deprecate first (deprecation_reason), keep it for a release, then remove it: "
            "see the README's API conventions and deprecation policy.",
            file=sys.stderr,
        )
        return 1
    print("schema compatibility: no breaking change without a deprecation.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
