"""Field execution with a short completion for leaf fields without arguments.

Most fields of a large answer (titles, dates, statuses, ids, overdue flags) are leaves without
arguments. graphql-core still coerces their (absent) arguments and completes each value through
its generic `complete_value` (non-null, list, leaf, abstract, object). `ExecutionContext`
resolves such a field with the field's own resolver and serialises the value directly; errors
are located and handled as graphql-core's own `execute_field` does, so answers and errors are the
same. Only graphql-core's public types and the execution context's own methods are used: the
short path knows nothing of how graphene builds its resolvers. (graphql-core 3.2, pinned below
3.3, tags those methods internal in its docs though they are what `execution_context_class` is
for; `python -m bench.execution_ablation` measures what this saves: ~11 % of the CPU of the
home screen and of an office report.)
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ExecutionContext as CoreExecutionContext,
)
from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    Undefined,
    located_error,
)
from graphql.pyutils import Path

from schema.compiled import compiled_edges, edges_plan


class ExecutionContext(CoreExecutionContext):
    """graphql-core's execution context, completing leaf fields without arguments directly."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_nodes: list[FieldNode],
        path: Path,
    ) -> Any:
        """Resolve and serialise a leaf without arguments; hand anything else to graphql-core."""
        field = parent_type.fields.get(field_nodes[0].name.value)
        if field is None or field.args or self.middleware_manager is not None:
            return super().execute_field(parent_type, source, field_nodes, path)
        return_type = field.type
        leaf_type = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        if not isinstance(leaf_type, GraphQLScalarType | GraphQLEnumType):
            return super().execute_field(parent_type, source, field_nodes, path)
        info = self.build_resolve_info(field, field_nodes, parent_type, path)
        try:
            result = (field.resolve or self.field_resolver)(source, info)
            if self.is_awaitable(result):
                return self._complete_later(field, field_nodes, info, path, result)
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                if leaf_type is return_type:
                    return None
                name = f"{parent_type.name}.{info.field_name}"
                raise TypeError(f"Cannot return null for non-nullable field {name}.")
            return self.complete_leaf_value(leaf_type, result)
        except Exception as raw_error:
            error = located_error(raw_error, field_nodes, path.as_list())
            self.handle_field_error(error, return_type, path)
            return None

    def complete_list_value(
        self,
        return_type: GraphQLList[Any],
        field_nodes: list[FieldNode],
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
    ) -> Any:
        """A page's edges from one statement when `schema.compiled` covers them; otherwise
        graphql-core's completion, item by item."""
        if isinstance(result, list) and result:
            plan = edges_plan(info, return_type, field_nodes, path)
            if plan is not None:
                return compiled_edges(plan, result)
        return super().complete_list_value(return_type, field_nodes, info, path, result)

    async def _complete_later(
        self,
        field: GraphQLField,
        field_nodes: list[FieldNode],
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
    ) -> Any:
        """Await a resolver's awaitable and complete its value as graphql-core does."""
        try:
            return self.complete_value(field.type, field_nodes, info, path, await result)
        except Exception as raw_error:
            error = located_error(raw_error, field_nodes, path.as_list())
            self.handle_field_error(error, field.type, path)
            return None
