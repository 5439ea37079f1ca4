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

`measure` walks the document, `arguments` reads list sizes, `introspection` counts the schema
walk, `limits` holds the limits and the refusals past them.
"""

from __future__ import annotations

from server.api.query_budget.arguments import operation_variables
from server.api.query_budget.limits import (
    MAX_FRAGMENT_CHAIN,
    MAX_INTROSPECTION_DEPTH,
    SATURATED,
    BudgetExceeded,
    Limits,
)
from server.api.query_budget.measure import DocumentMeasure, OperationBudget, measure_document

__all__ = [
    "MAX_FRAGMENT_CHAIN",
    "MAX_INTROSPECTION_DEPTH",
    "SATURATED",
    "BudgetExceeded",
    "DocumentMeasure",
    "Limits",
    "OperationBudget",
    "measure_document",
    "operation_variables",
]
