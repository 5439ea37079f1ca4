"""Exact counts of the fields an introspection selection answers, by walking the schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLWrappingType,
    InlineFragmentNode,
    SelectionSetNode,
    is_abstract_type,
    is_enum_type,
)

from server.api.query_budget.limits import SATURATED, add, too_complex


class IntrospectionCounter:
    """Counts the fields an introspection selection answers, by walking the schema.

    Memoised by (text of the selection set, schema element): copies of one selection within
    a document are counted once. Each field the walk visits is at least one field of the
    answer, so the walk stops as soon as it has visited more fields than the cost limit.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        limit: int,
        source: str,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.limit = limit
        self.source = source
        self.memo: dict[tuple[str | int, int], int] = {}
        self.steps = 0
        self._texts: dict[int, str | int] = {}

    def _text(self, selection_set: SelectionSetNode) -> str | int:
        """The selection set's text (its identity when the document has no locations)."""
        key = self._texts.get(id(selection_set))
        if key is None:
            loc = selection_set.loc
            key = self.source[loc.start : loc.end] if loc and self.source else id(selection_set)
            self._texts[id(selection_set)] = key
        return key

    def count(self, selection_set: SelectionSetNode, kind: str, value: Any) -> int:
        """Fields answered by `selection_set` on the introspection object `value` of `kind`."""
        key = (self._text(selection_set), id(value))
        known = self.memo.get(key)
        if known is not None:
            return known
        self.memo[key] = 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.steps += 1
                if self.steps > self.limit:
                    raise too_complex(SATURATED, self.limit)
                total = add(total, 1)
                if selection.selection_set is not None:
                    for child_kind, child in self._children(kind, value, selection.name.value):
                        total = add(total, self.count(selection.selection_set, child_kind, child))
            elif isinstance(selection, InlineFragmentNode):
                total = add(total, self.count(selection.selection_set, kind, value))
            else:
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    total = add(total, self.count(fragment.selection_set, kind, value))
        self.memo[key] = total
        return total

    def _children(self, kind: str, value: Any, field: str) -> list[tuple[str, Any]]:
        """The introspection objects `field` of `value` answers with (empty for null)."""
        if kind == "__Schema":
            return self._schema_children(field)
        if kind == "__Type":
            return self._type_children(value, field)
        if kind in ("__Field", "__Directive") and field == "args":
            return [("__InputValue", arg) for arg in value.args.values()]
        if kind in ("__Field", "__InputValue") and field == "type":
            return [("__Type", value.type)]
        return []

    def _schema_children(self, field: str) -> list[tuple[str, Any]]:
        schema = self.schema
        if field == "types":
            return [("__Type", t) for t in schema.type_map.values()]
        if field == "directives":
            return [("__Directive", d) for d in schema.directives]
        root = {
            "queryType": schema.query_type,
            "mutationType": schema.mutation_type,
            "subscriptionType": schema.subscription_type,
        }.get(field)
        return [("__Type", root)] if root is not None else []

    def _type_children(self, value: Any, field: str) -> list[tuple[str, Any]]:
        if field == "ofType":
            return [("__Type", value.of_type)] if isinstance(value, GraphQLWrappingType) else []
        if field == "fields" and isinstance(value, GraphQLObjectType | GraphQLInterfaceType):
            return [("__Field", f) for f in value.fields.values()]
        if field == "interfaces" and isinstance(value, GraphQLObjectType | GraphQLInterfaceType):
            return [("__Type", i) for i in value.interfaces]
        if field == "possibleTypes" and is_abstract_type(value):
            return [("__Type", t) for t in self.schema.get_possible_types(value)]
        if field == "enumValues" and is_enum_type(value):
            return [("__EnumValue", v) for v in value.values.values()]
        if field == "inputFields" and isinstance(value, GraphQLInputObjectType):
            return [("__InputValue", f) for f in value.fields.values()]
        return []
