"""Field execution with a short path for leaf fields without arguments.

Most fields of a large answer (titles, dates, statuses, ids, overdue flags) are leaves read
straight off their parent, by graphene's default resolver or by a small synchronous resolver.
graphql-core still coerces the (absent) arguments, checks the result for awaitables and runs
the generic completion for each of them: about half the execution time of the site manager's
home screen. `ExecutionContext` answers such a field and serialises it directly; anything
else, and any value the short path cannot vouch for (null in a non-null field, an exception, a
serialisation error, an awaitable), goes through graphql-core's own `execute_field`, so answers
and errors are the same. (A synchronous resolver whose value is refused runs a second time
there; resolvers of leaf fields only read.)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import FunctionType
from typing import Any, ClassVar

from graphene.relay.node import GlobalID
from graphene.types.resolver import dict_or_attr_resolver
from graphql import (
    ExecutionContext as CoreExecutionContext,
)
from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    Undefined,
    get_nullable_type,
    is_leaf_type,
)
from graphql.pyutils import Path

_LONG_PATH = object()
"""What the short path answers when graphql-core must resolve the field itself."""


@dataclass(frozen=True, slots=True)
class LeafPlan:
    """How to answer one leaf field without graphql-core's generic machinery."""

    attname: str
    default: Any
    leaf_type: GraphQLLeafType
    nullable: bool
    # For a Relay `id`: the Node class that encodes it and the type name it encodes with.
    node: Any = None
    global_type_name: str | None = None
    # For a field with a synchronous resolver of its own: the field and that resolver.
    field: GraphQLField | None = None
    resolve: Callable[..., Any] | None = None


def _default_attname(resolve: Any) -> tuple[str, Any] | None:
    """(attribute name, default) when `resolve` is graphene's default resolver for a field."""
    if (
        isinstance(resolve, partial)
        and resolve.func is dict_or_attr_resolver
        and not resolve.keywords
    ):
        attname, default = resolve.args
        return attname, default
    return None


def leaf_plan(parent_type: GraphQLObjectType, field_name: str) -> LeafPlan | None:
    """The short path for `parent_type.field_name`, or None when the field needs the long one."""
    field = parent_type.fields.get(field_name)
    if field is None or field.args:
        return None
    leaf_type = get_nullable_type(field.type)
    if not is_leaf_type(leaf_type):
        return None
    nullable = leaf_type is field.type
    resolve = field.resolve
    plain = _default_attname(resolve)
    if plain is not None:
        return LeafPlan(plain[0], plain[1], leaf_type, nullable)  # type: ignore[arg-type]
    if isinstance(resolve, partial) and resolve.func is GlobalID.id_resolver:
        parent_resolver, node = resolve.args
        inner = _default_attname(parent_resolver)
        if inner is not None and set(resolve.keywords) <= {"parent_type_name"}:
            type_name = resolve.keywords.get("parent_type_name") or parent_type.name
            return LeafPlan(inner[0], inner[1], leaf_type, nullable, node, type_name)  # type: ignore[arg-type]
    if isinstance(resolve, FunctionType) and not inspect.iscoroutinefunction(resolve):
        return LeafPlan(field_name, None, leaf_type, nullable, field=field, resolve=resolve)  # type: ignore[arg-type]
    return None


class ExecutionContext(CoreExecutionContext):
    """graphql-core's execution context, answering plain leaf fields directly."""

    _plans: ClassVar[dict[tuple[GraphQLObjectType, str], LeafPlan | None]] = {}

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_nodes: list[FieldNode],
        path: Path,
    ) -> Any:
        """Answer a plain leaf from its parent; hand everything else to graphql-core."""
        if self.middleware_manager is None:
            key = (parent_type, field_nodes[0].name.value)
            try:
                plan = self._plans[key]
            except KeyError:
                plan = self._plans[key] = leaf_plan(parent_type, key[1])
            if plan is not None:
                if plan.resolve is None:
                    answer = self._answer_leaf(plan, source)
                else:
                    answer = self._call_leaf(plan, parent_type, source, field_nodes, path)
                if answer is not _LONG_PATH:
                    return answer
        return super().execute_field(parent_type, source, field_nodes, path)

    def _call_leaf(
        self,
        plan: LeafPlan,
        parent_type: GraphQLObjectType,
        source: Any,
        field_nodes: list[FieldNode],
        path: Path,
    ) -> Any:
        """The serialised value of a synchronous resolver, or `_LONG_PATH`."""
        info = self.build_resolve_info(plan.field, field_nodes, parent_type, path)  # type: ignore[arg-type]
        try:
            value = plan.resolve(source, info)  # type: ignore[misc]
            if value is None:
                return None if plan.nullable else _LONG_PATH
            if self.is_awaitable(value):
                if inspect.iscoroutine(value):
                    value.close()  # never started; the long path makes its own
                return _LONG_PATH
            serialized = plan.leaf_type.serialize(value)
        except Exception:  # the long path raises it again and reports it where it belongs
            return _LONG_PATH
        return _LONG_PATH if serialized is Undefined or serialized is None else serialized

    def _answer_leaf(self, plan: LeafPlan, source: Any) -> Any:
        """The serialised value, or `_LONG_PATH` to let graphql-core answer (and report errors)."""
        try:
            if isinstance(source, dict):
                value = source.get(plan.attname, plan.default)
            else:
                value = getattr(source, plan.attname, plan.default)
            if value is None:
                return None if plan.nullable and plan.node is None else _LONG_PATH
            if self.is_awaitable(value):
                return _LONG_PATH
            if plan.node is not None:
                value = plan.node.to_global_id(plan.global_type_name, value)
            serialized = plan.leaf_type.serialize(value)
        except Exception:  # the long path raises it again and reports it where it belongs
            return _LONG_PATH
        return _LONG_PATH if serialized is Undefined or serialized is None else serialized
