"""The fields a selection asks of one object type, collected as graphql-core collects them.

Fields are grouped by response key (alias or name) in the order they first appear; fragments
apply when their type condition is the object type or one of its interfaces; `@skip` and
`@include` are honoured with the request's variables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    NamedTypeNode,
    SelectionNode,
    SelectionSetNode,
)
from graphql.execution import get_directive_values


@dataclass(frozen=True, slots=True)
class Asked:
    """One response key of a selection: the field it names and every node asking for it."""

    key: str
    name: str
    nodes: tuple[FieldNode, ...]

    def selection_sets(self) -> list[SelectionSetNode | None]:
        """The sub-selections of every node, merged by the caller."""
        return [node.selection_set for node in self.nodes]


@dataclass(frozen=True, slots=True)
class Request:
    """What collecting needs from the request: its fragments and variable values."""

    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]


def _included(selection: SelectionNode, request: Request) -> bool:
    if not selection.directives:
        return True
    skip = get_directive_values(GraphQLSkipDirective, selection, request.variables)
    if skip is not None and skip["if"]:
        return False
    include = get_directive_values(GraphQLIncludeDirective, selection, request.variables)
    return include is None or bool(include["if"])


def _applies(condition: NamedTypeNode | None, object_type: GraphQLObjectType) -> bool:
    if condition is None or condition.name.value == object_type.name:
        return True
    return any(interface.name == condition.name.value for interface in object_type.interfaces)


def collect(
    object_type: GraphQLObjectType,
    selection_sets: Iterable[SelectionSetNode | None],
    request: Request,
) -> list[Asked]:
    """The response keys the selection sets ask of an object of `object_type`, in order."""
    nodes: dict[str, list[FieldNode]] = {}

    def walk(selection_set: SelectionSetNode | None, seen: frozenset[str]) -> None:
        for selection in selection_set.selections if selection_set else ():
            if not _included(selection, request):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                nodes.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if _applies(selection.type_condition, object_type):
                    walk(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = request.fragments.get(name)
                usable = fragment is not None and name not in seen
                if usable and _applies(fragment.type_condition, object_type):  # type: ignore[union-attr]
                    walk(fragment.selection_set, seen | {name})  # type: ignore[union-attr]

    for selection_set in selection_sets:
        walk(selection_set, frozenset())
    return [Asked(key, found[0].name.value, tuple(found)) for key, found in nodes.items()]
