"""Parsing, validation and limits of GraphQL documents, cached by document text."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    validate,
)

from server.settings import Settings


@dataclass(frozen=True)
class PreparedDocument:
    """A parsed document with its validation outcome; `errors` empty means it may run."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]


class _LimitExceeded(Exception):
    pass


def _measure(document: DocumentNode, max_depth: int, max_aliases: int) -> None:
    """Raise _LimitExceeded naming the first limit the document goes past."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    aliases = 0

    def walk(
        selection_set: SelectionSetNode | None,
        depth: int,
        seen: frozenset[str],
        introspection: bool,
    ) -> None:
        nonlocal aliases
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    aliases += 1
                    if aliases > max_aliases:
                        raise _LimitExceeded(
                            f"Query uses more than {max_aliases} aliases (alias limit)."
                        )
                if selection.selection_set is not None:
                    # Introspection nests `ofType` deeply but is bounded by the schema itself,
                    # so GraphiQL's standard query is not held to the depth limit.
                    inside = introspection or selection.name.value.startswith("__")
                    if depth + 1 > max_depth and not inside:
                        raise _LimitExceeded(
                            f"Query is nested deeper than {max_depth} levels (depth limit)."
                        )
                    walk(selection.selection_set, depth + 1, seen, inside)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set, depth, seen, introspection)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:
                    walk(fragment.selection_set, depth, seen | {name}, introspection)

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            walk(definition.selection_set, 1, frozenset(), False)


class DocumentCache:
    """LRU of prepared documents: a repeated query is neither re-parsed nor re-validated."""

    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self._schema = schema
        self._settings = settings
        self._entries: OrderedDict[str, PreparedDocument] = OrderedDict()
        self.validations = 0

    def prepare(self, source: str) -> PreparedDocument:
        """The prepared document for `source`, from the cache when it was seen before."""
        entry = self._entries.get(source)
        if entry is not None:
            self._entries.move_to_end(source)
            return entry
        entry = self._prepare_uncached(source)
        if self._settings.document_cache_size > 0:
            self._entries[source] = entry
            if len(self._entries) > self._settings.document_cache_size:
                self._entries.popitem(last=False)
        return entry

    def _prepare_uncached(self, source: str) -> PreparedDocument:
        try:
            document = parse(source, max_tokens=self._settings.max_query_length)
        except GraphQLError as error:
            return PreparedDocument(None, (error,))
        try:
            _measure(document, self._settings.max_query_depth, self._settings.max_aliases)
        except _LimitExceeded as exc:
            return PreparedDocument(None, (GraphQLError(str(exc)),))
        self.validations += 1
        errors = validate(self._schema, document)
        return PreparedDocument(document, tuple(errors))
