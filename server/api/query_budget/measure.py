"""Depth, aliases and worst-case cost of each operation of a document, in linear time.

Each fragment is measured once, after the fragments it spreads, and its figures are reused at
every spread. Every field counts 1, what a list holds as often as the list can be long
(`arguments`), introspection by walking the schema (`introspection`).
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
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
)

from server.api.query_budget.arguments import Arguments
from server.api.query_budget.introspection import IntrospectionCounter
from server.api.query_budget.limits import (
    MAX_FRAGMENT_CHAIN,
    MAX_INTROSPECTION_DEPTH,
    BudgetExceeded,
    Limits,
    add,
    times,
    too_complex,
    too_deep,
    too_long_a_chain,
    too_many_aliases,
)


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
        self.arguments = Arguments(schema, variables)
        self.exact_introspection = exact_introspection
        self.introspects = False
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

    @property
    def variable_sized(self) -> bool:
        """True when a list size was a variable measured at its largest (no variables given)."""
        return self.arguments.variable_sized

    def _operation(self, operation: OperationDefinitionNode) -> OperationBudget:
        root = self.schema.get_root_type(operation.operation)
        figures = self._selection(root, operation.selection_set)
        depth = figures.depth + 1
        if depth > self.limits.max_depth:
            raise too_deep("Query", depth, self.limits.max_depth)
        if figures.full_depth + 1 > MAX_INTROSPECTION_DEPTH:
            raise too_deep("Query, introspection included,", figures.full_depth + 1)
        if figures.aliases > self.limits.max_aliases:
            raise too_many_aliases(figures.aliases, self.limits.max_aliases)
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
        by_type: dict[str, tuple[int, int]] = {}  # fragment cost, item cost per object type
        for selection in selection_set.selections:
            self.nodes_visited += 1
            if isinstance(selection, FieldNode):
                found = self._field(parent, selection)
                if connection and selection.name.value in ("edges", "nodes"):
                    item_cost = add(item_cost, found.cost)
                else:
                    cost = add(cost, found.cost)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                found = self._selection(inner, selection.selection_set)
                if isinstance(inner, GraphQLObjectType) and inner is not parent:
                    # An object is one concrete type: of fragments on different object
                    # types, only one applies, so the dearest counts.
                    narrowed = by_type.get(inner.name, (0, 0))
                    by_type[inner.name] = (
                        add(narrowed[0], found.cost),
                        add(narrowed[1], found.item_cost),
                    )
                else:
                    cost = add(cost, found.cost)
                    item_cost = add(item_cost, found.item_cost)
            else:
                found = self.figures.get(selection.name.value, Figures())
                cost = add(cost, found.cost)
                item_cost = add(item_cost, found.item_cost)
                if found.chain + 1 > MAX_FRAGMENT_CHAIN:
                    raise too_long_a_chain()
                chain = max(chain, found.chain + 1)
            depth = max(depth, found.depth)
            full_depth = max(full_depth, found.full_depth)
            aliases = add(aliases, found.aliases)
            chain = max(chain, found.chain)
        if by_type:
            cost = add(cost, max(costs[0] for costs in by_type.values()))
            item_cost = add(item_cost, max(costs[1] for costs in by_type.values()))
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
            cost = add(add(1, inner.cost), times(self.arguments.page_size(node), inner.item_cost))
        elif (
            definition is not None
            and isinstance(get_nullable_type(definition.type), GraphQLList)
            and not (_is_connection(parent) and name in ("edges", "nodes"))
        ):
            cost = add(1, times(self.arguments.list_bound(parent, node), inner.cost))
        else:
            cost = add(1, inner.cost)
        return Figures(
            inner.depth + 1,
            inner.full_depth + 1,
            add(alias, inner.aliases),
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
            type_name = self.arguments.string(node, "name")
            found = self.schema.get_type(type_name) if type_name is not None else None
            counted = self.introspection.count(node.selection_set, "__Type", found) if found else 0
        return Figures(
            0, inner.full_depth + 1, add(alias, inner.aliases), add(1, counted), 0, inner.chain
        )


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
