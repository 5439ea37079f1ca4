"""Parsing, budget and validation of GraphQL documents, cached by document text.

A document is parsed with a token limit, measured (`server.api.query_budget`: depth, aliases,
worst-case cost, in time linear in its size) and only then validated: a document past a limit
is refused before validation, which is itself costly. Documents whose cost depends on their
variables are measured again per request with the request's variables.

Introspection answers do not depend on the viewer or the data, so the answers of the few
latest documents that ask only for introspection (GraphiQL's schema query) are kept.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    parse,
    validate,
)
from graphql.validation.rules import overlapping_fields_can_be_merged
from graphql.validation.validate import ValidationAbortedError

from server.api.query_budget import (
    BudgetExceeded,
    Limits,
    OperationBudget,
    measure_document,
    operation_variables,
)
from server.api.request_body import check_document_strings
from server.settings import Settings
from server.telemetry import requests

INTROSPECTION_ROOTS = frozenset({"__schema", "__type", "__typename"})

INTROSPECTION_ANSWERS_KEPT = 4

VALIDATION_BUDGET = 20_000
"""Work graphql-core's overlapping-fields check may do on one document.

Its default (500 000) lets a 12 kB document of one field repeated 1 200 times hold the event
loop for half a second; at 20 000 such documents are refused in about 20 ms, while the
largest real documents (GraphiQL's schema query, the home screen) pass with less than 5 000.
graphql-core documents this module attribute as the way to set it.
"""
overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = VALIDATION_BUDGET


@dataclass
class PreparedDocument:
    """A parsed document with its validation outcome; `errors` empty means it may run.

    `budgets` holds the measured figures of each operation (by name, None for an anonymous
    one) when they hold for every request; an operation missing there is measured per request.
    """

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]
    budgets: dict[str | None, OperationBudget] = field(default_factory=dict)
    sized: OrderedDict[Hashable, OperationBudget] = field(default_factory=OrderedDict)
    """Figures of variable-sized operations, by operation name and variable values (the
    latest SIZED_KEPT): a phone polling with the same `$first` is measured once."""
    dependences: dict[str | None, Any] = field(default_factory=dict)
    """What each operation's answer depends on, by operation name, worked out on its first
    GET (`server.api.conditional.Dependence`): a poll walks the document once."""


SIZED_KEPT = 32
SCALARS = (str, int, float, bool, type(None))


def _sizing_key(name: str | None, values: Mapping[str, Any]) -> Hashable | None:
    """A key for figures measured with these variable values (None: values not kept)."""
    if not all(isinstance(value, SCALARS) for value in values.values()):
        return None
    return (name, tuple(sorted((key, type(v).__name__, v) for key, v in values.items())))


def refusal(exc: BudgetExceeded) -> GraphQLError:
    """The GraphQL error of a budget refusal, with its code and figures in `extensions`."""
    return GraphQLError(exc.message, extensions=exc.extensions)


def validation_error(error: GraphQLError) -> GraphQLError:
    """A validation error as clients see it, with its code, keeping no syntax tree alive.

    Every validation error is the document's fault, a scalar refusing a literal too;
    validation given up for too much work is TOO_COMPLEX.
    """
    if isinstance(error, ValidationAbortedError):
        return GraphQLError(
            "The document repeats fields in too many ways to be checked (validation budget); "
            "send fewer repeated or overlapping fields.",
            extensions={"code": "TOO_COMPLEX"},
        )
    return GraphQLError(
        error.message,
        source=error.source,
        positions=error.positions,
        extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
    )


def single_operation(document: DocumentNode) -> bool:
    """True when the document defines one operation (and any number of fragments)."""
    operations = (d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return sum(1 for _ in operations) == 1


def is_introspection_only(operation: OperationDefinitionNode) -> bool:
    """True when the operation is a query of introspection fields only, with no variables."""
    return (
        operation.operation.value == "query"
        and not operation.variable_definitions
        and all(
            isinstance(selection, FieldNode) and selection.name.value in INTROSPECTION_ROOTS
            for selection in operation.selection_set.selections
        )
    )


class DocumentCache:
    """LRU of prepared documents: a repeated query is neither re-parsed nor re-validated."""

    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self._schema = schema
        self._settings = settings
        self._entries: OrderedDict[str, PreparedDocument] = OrderedDict()
        self.limits = Limits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_cost=settings.max_query_cost,
        )
        self._introspection_answers: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.validations = 0
        self.measured_nodes = 0

    def prepare(self, source: str) -> PreparedDocument:
        """The prepared document for `source`, from the cache when it was seen before (the
        request's facts say which)."""
        entry = self._entries.get(source)
        facts = requests.current()
        if facts is not None:
            facts.document_cached = entry is not None
        if entry is not None:
            self._entries.move_to_end(source)
            return entry
        entry = self._prepare_uncached(source)
        if self._settings.document_cache_size > 0:
            self._entries[source] = entry
            if len(self._entries) > self._settings.document_cache_size:
                self._entries.popitem(last=False)
        return entry

    def introspection_answer(self, source: str) -> dict[str, Any] | None:
        """The kept answer of an introspection-only document, if there is one."""
        return self._introspection_answers.get(source)

    def keep_introspection_answer(self, source: str, answer: dict[str, Any]) -> None:
        """Keep the answer of an introspection-only document; only the latest few are kept
        (each can be megabytes)."""
        self._introspection_answers[source] = answer
        self._introspection_answers.move_to_end(source)
        while len(self._introspection_answers) > INTROSPECTION_ANSWERS_KEPT:
            self._introspection_answers.popitem(last=False)

    def budget(
        self,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
    ) -> OperationBudget:
        """The figures of the operation about to run; raises BudgetExceeded past a limit."""
        name = operation.name.value if operation.name else None
        known = prepared.budgets.get(name)
        if known is not None:
            return known
        assert prepared.document is not None
        values = operation_variables(operation, variables)
        key = _sizing_key(name, values)
        if key is not None and key in prepared.sized:
            return prepared.sized[key]
        measure = measure_document(self._schema, prepared.document, self.limits, values)
        self.measured_nodes += measure.nodes_visited
        figures = measure.operation(operation)
        if key is not None:
            prepared.sized[key] = figures
            while len(prepared.sized) > SIZED_KEPT:
                prepared.sized.popitem(last=False)
        return figures

    def _prepare_uncached(self, source: str) -> PreparedDocument:
        try:
            document = parse(source, max_tokens=self._settings.max_query_tokens)
        except GraphQLError as error:
            code = "LIMIT" if "tokens" in error.message else "GRAPHQL_PARSE_FAILED"
            return PreparedDocument(None, (GraphQLError(error.message, extensions={"code": code}),))
        reason = check_document_strings(source, document)
        if reason is not None:
            message = f"A string in the document {reason}."
            return PreparedDocument(None, (GraphQLError(message, extensions={"code": "INVALID"}),))
        try:
            budgets = self._measure(document)
        except BudgetExceeded as exc:
            return PreparedDocument(None, (refusal(exc),))
        self.validations += 1
        errors = tuple(validation_error(e) for e in validate(self._schema, document))
        # A refused document is not kept: only its errors (which hold no syntax tree).
        return PreparedDocument(None if errors else document, errors, budgets)

    def _measure(self, document: DocumentNode) -> dict[str | None, OperationBudget]:
        """Figures of the operations whose figures are the same for every request.

        An operation with a list sized by a variable is measured again per request, so that
        its cost is the request's own; here it must be within the limits at its worst, or at
        least with every variable-sized list empty.
        """
        measure = measure_document(self._schema, document, self.limits)
        self.measured_nodes += measure.nodes_visited
        budgets: dict[str | None, OperationBudget] = {}
        for operation in measure.operations:
            name = operation.name.value if operation.name else None
            try:
                budget = measure.operation(operation)
            except BudgetExceeded as exc:
                if exc.code != "TOO_COMPLEX" or not measure.variable_sized:
                    raise
                smallest = measure_document(self._schema, document, self.limits, _EMPTY_LISTS)
                self.measured_nodes += smallest.nodes_visited
                smallest.operation(operation)
                continue
            if not budget.variable_sized:
                budgets[name] = budget
        return budgets


class _EmptyLists(Mapping[str, Any]):
    """Variables as small as they can be: every variable is 0 (a page of nothing)."""

    def __getitem__(self, key: str) -> Any:
        return 0

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


_EMPTY_LISTS = _EmptyLists()


def root_field_names(document: DocumentNode, operation: OperationDefinitionNode) -> frozenset[str]:
    """The names of the fields an operation asks of its root type, through fragments too."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    names: set[str] = set()
    pending = [operation.selection_set]
    seen: set[str] = set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    pending.append(fragments[name].selection_set)
    return frozenset(names)
