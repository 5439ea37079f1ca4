"""Depth, aliases and worst-case cost of a GraphQL document, in time linear in its size.

Everything is measured before validation and before sign-in, so the measuring itself must not
be a way to stall the service. Each fragment is measured once, after the fragments it spreads,
and its figures are reused at every spread: a document of ten fragments that each spread the
next six times takes ten measurements, not 6**10. Figures saturate instead of growing without
bound.

The cost is the most fields the answer can hold. Every field counts 1; what a list holds
counts as often as the list can be long: a connection's edges (and nodes) by its `first` (20
when absent, at most 100), `nodes(ids:)` by its number of ids, any other list by its declared
bound (`schema.cost`). A fragment counts at every spread. Introspection counts its fields
exactly, by walking the schema itself (the schema is finite and known), with the walk's work
capped by the cost limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLWrappingType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_enum_type,
    value_from_ast_untyped,
)

from schema.cost import DEFAULT_LIST_BOUND, LIST_BOUNDS, NARROWED_LIST_BOUNDS
from schema.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

SATURATED = 1 << 62
"""Figures stop growing here: a document past every limit needs no exact count."""

MAX_FRAGMENT_CHAIN = 32
"""Deepest chain of fragments spreading fragments (GraphiQL's own query nests three)."""

MAX_INTROSPECTION_DEPTH = 32
"""Deepest nesting counting introspection (GraphiQL's own query nests about 15)."""


class BudgetExceeded(Exception):
    """A document goes past a limit; `code` and `extensions` say which and by how much."""

    def __init__(self, code: str, message: str, **figures: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extensions: dict[str, Any] = {"code": code, **figures}


@dataclass(frozen=True)
class Limits:
    """The most a document may ask for."""

    max_depth: int
    max_aliases: int
    max_cost: int


@dataclass(frozen=True, slots=True)
class Figures:
    """What a selection set adds up to.

    `depth` counts nested selection levels outside introspection, `full_depth` inside it too;
    `cost` is the fields of the worst-case answer, and `item_cost`, for a selection on a
    connection type, the part repeated for each item (its `edges` and `nodes`).
    """

    depth: int = 0
    full_depth: int = 0
    aliases: int = 0
    cost: int = 0
    item_cost: int = 0
    chain: int = 0


@dataclass(frozen=True)
class OperationBudget:
    """The measured figures of one operation; `variable_sized` when a list size is a variable."""

    depth: int
    aliases: int
    cost: int
    variable_sized: bool


def _add(a: int, b: int) -> int:
    return min(a + b, SATURATED)


def _times(a: int, b: int) -> int:
    return min(a * b, SATURATED)


def _is_connection(named: GraphQLNamedType | None) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and "edges" in named.fields
        and "pageInfo" in named.fields
    )


class DocumentMeasure:
    """Measures the operations of one parsed document against the schema.

    `variables` are the request's raw variables; None measures every variable-sized list at
    its largest (a worst case that holds for any request), noting that it did. With
    `exact_introspection` False, introspection counts 1 per `__schema`/`__type` (a lower bound:
    cheap, and enough to refuse most documents that abuse it); `introspects` then says whether
    an exact count could change the figures.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        limits: Limits,
        variables: Mapping[str, Any] | None = None,
        *,
        exact_introspection: bool = True,
    ) -> None:
        self.schema = schema
        self.limits = limits
        self.variables = variables
        self.exact_introspection = exact_introspection
        self.introspects = False
        self.variable_sized = False
        self.fragments: dict[str, FragmentDefinitionNode] = {}
        self.operations: list[OperationDefinitionNode] = []
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                self.fragments.setdefault(definition.name.value, definition)
            elif isinstance(definition, OperationDefinitionNode):
                self.operations.append(definition)
        self.figures: dict[str, Figures] = {}
        self.introspection = IntrospectionCounter(
            schema,
            self.fragments,
            limits.max_cost,
            document.loc.source.body if document.loc else "",
        )
        self.nodes_visited = 0
        self._measured: dict[int, OperationBudget] = {}
        for name in self._fragment_order():
            fragment = self.fragments[name]
            parent = schema.get_type(fragment.type_condition.name.value)
            self.figures[name] = self._selection(parent, fragment.selection_set)

    def operation(self, operation: OperationDefinitionNode) -> OperationBudget:
        """The figures of `operation`; raises BudgetExceeded past any limit."""
        known = self._measured.get(id(operation))
        if known is None:
            known = self._measured[id(operation)] = self._operation(operation)
        return known

    def _operation(self, operation: OperationDefinitionNode) -> OperationBudget:
        root = self.schema.get_root_type(operation.operation)
        figures = self._selection(root, operation.selection_set)
        depth = figures.depth + 1
        if depth > self.limits.max_depth:
            raise too_deep("Query", depth, self.limits.max_depth)
        if figures.full_depth + 1 > MAX_INTROSPECTION_DEPTH:
            raise too_deep("Query, introspection included,", figures.full_depth + 1)
        if figures.aliases > self.limits.max_aliases:
            raise BudgetExceeded(
                "LIMIT",
                f"Query uses more than {self.limits.max_aliases} aliases (alias limit).",
                aliases=figures.aliases,
                limit=self.limits.max_aliases,
            )
        if figures.cost > self.limits.max_cost:
            raise too_complex(figures.cost, self.limits.max_cost)
        return OperationBudget(depth, figures.aliases, figures.cost, self.variable_sized)

    # --- fragments ------------------------------------------------------------------------

    def _fragment_order(self) -> list[str]:
        """Fragment names, each after every fragment it spreads; refuses cycles."""
        spreads = {name: _spreads_of(f.selection_set) for name, f in self.fragments.items()}
        order: list[str] = []
        state: dict[str, int] = {}  # 1: being visited, 2: done
        for start in self.fragments:
            if state.get(start):
                continue
            stack: list[tuple[str, int]] = [(start, 0)]
            state[start] = 1
            while stack:
                name, index = stack[-1]
                children = spreads[name]
                if index < len(children):
                    stack[-1] = (name, index + 1)
                    child = children[index]
                    if child not in self.fragments or state.get(child) == 2:
                        continue
                    if state.get(child) == 1:
                        raise BudgetExceeded(
                            "GRAPHQL_VALIDATION_FAILED",
                            f"Cannot spread fragment '{child}' within itself.",
                        )
                    state[child] = 1
                    stack.append((child, 0))
                else:
                    stack.pop()
                    state[name] = 2
                    order.append(name)
        return order

    # --- selections -----------------------------------------------------------------------

    def _selection(self, parent: Any, selection_set: SelectionSetNode) -> Figures:
        depth = full_depth = aliases = cost = item_cost = chain = 0
        connection = _is_connection(parent)
        for selection in selection_set.selections:
            self.nodes_visited += 1
            if isinstance(selection, FieldNode):
                found = self._field(parent, selection)
                if connection and selection.name.value in ("edges", "nodes"):
                    item_cost = _add(item_cost, found.cost)
                else:
                    cost = _add(cost, found.cost)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                found = self._selection(inner, selection.selection_set)
                cost = _add(cost, found.cost)
                item_cost = _add(item_cost, found.item_cost)
            else:
                found = self.figures.get(selection.name.value, Figures())
                cost = _add(cost, found.cost)
                item_cost = _add(item_cost, found.item_cost)
                if found.chain + 1 > MAX_FRAGMENT_CHAIN:
                    raise BudgetExceeded(
                        "LIMIT",
                        f"Fragments spread fragments more than {MAX_FRAGMENT_CHAIN} deep.",
                    )
                chain = max(chain, found.chain + 1)
            depth = max(depth, found.depth)
            full_depth = max(full_depth, found.full_depth)
            aliases = _add(aliases, found.aliases)
            chain = max(chain, found.chain)
        return Figures(depth, full_depth, aliases, cost, item_cost, chain)

    def _field(self, parent: Any, node: FieldNode) -> Figures:
        alias = 1 if node.alias is not None else 0
        if node.selection_set is None:
            return Figures(aliases=alias, cost=1)
        name = node.name.value
        if name in ("__schema", "__type"):
            return self._introspection(node, alias)
        definition: GraphQLField | None = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(name)
        named = get_named_type(definition.type) if definition is not None else None
        inner = self._selection(named, node.selection_set)
        if _is_connection(named):
            cost = _add(_add(1, inner.cost), _times(self._page_size(node), inner.item_cost))
        elif (
            definition is not None
            and isinstance(get_nullable_type(definition.type), GraphQLList)
            and not (_is_connection(parent) and name in ("edges", "nodes"))
        ):
            cost = _add(1, _times(self._list_bound(parent, node), inner.cost))
        else:
            cost = _add(1, inner.cost)
        return Figures(
            inner.depth + 1,
            inner.full_depth + 1,
            _add(alias, inner.aliases),
            cost,
            0,
            inner.chain,
        )

    def _introspection(self, node: FieldNode, alias: int) -> Figures:
        """`__schema` or `__type(name:)`: counted exactly; outside the (data) depth limit."""
        assert node.selection_set is not None
        root = "__Schema" if node.name.value == "__schema" else "__Type"
        inner = self._selection(self.schema.get_type(root), node.selection_set)
        if inner.full_depth + 1 > MAX_INTROSPECTION_DEPTH:
            raise too_deep("Introspection", inner.full_depth + 1)
        self.introspects = True
        if not self.exact_introspection:
            counted = 0
        elif node.name.value == "__schema":
            counted = self.introspection.count(node.selection_set, "__Schema", self.schema)
        else:
            type_name = self._string_argument(node, "name")
            found = self.schema.get_type(type_name) if type_name is not None else None
            counted = self.introspection.count(node.selection_set, "__Type", found) if found else 0
        return Figures(
            0, inner.full_depth + 1, _add(alias, inner.aliases), _add(1, counted), 0, inner.chain
        )

    # --- list sizes -----------------------------------------------------------------------

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return argument.value
        return None

    def _variable(self, name: str) -> Any:
        """The variable's value for this operation (None: null or absent)."""
        if self.variables is None:
            self.variable_sized = True
            return None
        return self.variables.get(name)

    def _page_size(self, node: FieldNode) -> int:
        value = self._argument(node, "first")
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

    def _list_bound(self, parent: Any, node: FieldNode) -> int:
        name = node.name.value
        if parent is self.schema.query_type and name == "nodes":
            ids = self._argument(node, "ids")
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

    def _given(self, node: FieldNode, name: str) -> bool:
        """True when the argument will not be null (a variable: when its value is known)."""
        value = self._argument(node, name)
        if isinstance(value, VariableNode):
            return self._variable(value.name.value) is not None
        return value is not None and not isinstance(value, NullValueNode)

    def _string_argument(self, node: FieldNode, name: str) -> str | None:
        value = self._argument(node, name)
        if isinstance(value, StringValueNode):
            return value.value
        if isinstance(value, VariableNode):
            given = self._variable(value.name.value)
            return given if isinstance(given, str) else None
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


def measure_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    limits: Limits,
    variables: Mapping[str, Any] | None = None,
) -> DocumentMeasure:
    """The document measured, introspection counted exactly; raises BudgetExceeded.

    A first pass counts introspection at its lower bound: a document already past the limits
    then is refused without walking the schema at all.
    """
    cheap = DocumentMeasure(schema, document, limits, variables, exact_introspection=False)
    for operation in cheap.operations:
        try:
            cheap.operation(operation)
        except BudgetExceeded as exc:
            if exc.code != "TOO_COMPLEX" or not cheap.variable_sized or variables is not None:
                raise
    if not cheap.introspects:
        return cheap
    exact = DocumentMeasure(schema, document, limits, variables)
    exact.nodes_visited += cheap.nodes_visited
    return exact


def _spreads_of(selection_set: SelectionSetNode) -> list[str]:
    """Names of the fragments spread anywhere inside a selection set (iteratively)."""
    names: list[str] = []
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.append(selection.name.value)
            elif selection.selection_set is not None:
                stack.append(selection.selection_set)
    return names


def too_deep(what: str, depth: int, limit: int = MAX_INTROSPECTION_DEPTH) -> BudgetExceeded:
    """The refusal of a selection nested `depth` levels, past `limit`."""
    return BudgetExceeded(
        "LIMIT",
        f"{what} is nested deeper than {limit} levels (depth limit).",
        depth=depth,
        limit=limit,
    )


def too_complex(cost: int, limit: int) -> BudgetExceeded:
    """The refusal of a document whose worst-case answer is larger than the limit."""
    shown = f"more than {limit}" if cost >= SATURATED else str(cost)
    return BudgetExceeded(
        "TOO_COMPLEX",
        f"Query could answer {shown} fields; the limit is {limit}. Ask for fewer items per "
        "page (`first`) or fewer nested lists.",
        cost=min(cost, SATURATED),
        limit=limit,
    )


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
                total = _add(total, 1)
                if selection.selection_set is not None:
                    for child_kind, child in self._children(kind, value, selection.name.value):
                        total = _add(total, self.count(selection.selection_set, child_kind, child))
            elif isinstance(selection, InlineFragmentNode):
                total = _add(total, self.count(selection.selection_set, kind, value))
            else:
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    total = _add(total, self.count(fragment.selection_set, kind, value))
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
