"""What a field's arguments say about the size of its answer, given the request's variables.

A connection's edges (and nodes) count by its `first` (20 when absent, at most 100),
`nodes(ids:)` by its number of ids, any other list by its declared bound (`schema.cost`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    GraphQLSchema,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    StringValueNode,
    VariableNode,
    value_from_ast_untyped,
)

from schema.cost import DEFAULT_LIST_BOUND, LIST_BOUNDS, NARROWED_LIST_BOUNDS
from schema.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


class Arguments:
    """Reads the arguments of fields against the request's `variables`.

    With `variables` None every variable counts as unknown, so a variable-sized list is
    measured at its largest (a worst case that holds for any request); `variable_sized` then
    says that one was.
    """

    def __init__(self, schema: GraphQLSchema, variables: Mapping[str, Any] | None) -> None:
        self.schema = schema
        self.variables = variables
        self.variable_sized = False

    def page_size(self, node: FieldNode) -> int:
        """The most items the connection `node` answers."""
        value = _argument(node, "first")
        if value is None:
            return DEFAULT_PAGE_SIZE
        if isinstance(value, VariableNode):
            given = self._variable(value.name.value)
            if given is None and self.variables is not None:
                return DEFAULT_PAGE_SIZE
        elif isinstance(value, IntValueNode):
            given = int(value.value)
        else:
            given = None
        if not isinstance(given, int) or isinstance(given, bool):
            return MAX_PAGE_SIZE
        return max(0, min(given, MAX_PAGE_SIZE))

    def list_bound(self, parent: Any, node: FieldNode) -> int:
        """The most items the plain list field `node` of `parent` answers."""
        name = node.name.value
        if parent is self.schema.query_type and name == "nodes":
            ids = _argument(node, "ids")
            if isinstance(ids, ListValueNode):
                return min(len(ids.values), MAX_PAGE_SIZE)
            if isinstance(ids, VariableNode):
                given = self._variable(ids.name.value)
                if isinstance(given, list):
                    return min(len(given), MAX_PAGE_SIZE)
            return MAX_PAGE_SIZE
        key = f"{parent.name}.{name}"
        narrowed = NARROWED_LIST_BOUNDS.get(key)
        if narrowed is not None and self._given(node, narrowed[0]):
            return narrowed[1]
        return LIST_BOUNDS.get(key, DEFAULT_LIST_BOUND)

    def string(self, node: FieldNode, name: str) -> str | None:
        """The string value of argument `name` (None when absent, null or unknown)."""
        value = _argument(node, name)
        if isinstance(value, StringValueNode):
            return value.value
        if isinstance(value, VariableNode):
            given = self._variable(value.name.value)
            return given if isinstance(given, str) else None
        return None

    def _variable(self, name: str) -> Any:
        """The variable's value for this operation (None: null or absent)."""
        if self.variables is None:
            self.variable_sized = True
            return None
        return self.variables.get(name)

    def _given(self, node: FieldNode, name: str) -> bool:
        """True when the argument will not be null (a variable: when its value is known)."""
        value = _argument(node, name)
        if isinstance(value, VariableNode):
            return self._variable(value.name.value) is not None
        return value is not None and not isinstance(value, NullValueNode)


def _argument(node: FieldNode, name: str) -> Any:
    """The value node of argument `name` of `node`, None when absent."""
    for argument in node.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


def operation_variables(
    operation: OperationDefinitionNode, variables: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The values the operation's variables will have when it runs.

    A variable the request gives (null included) has that value; one it omits has the
    default written in this operation's own definition, if any.
    """
    given = variables or {}
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in given:
            values[name] = given[name]
        elif definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    return values
