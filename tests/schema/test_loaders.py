"""Loaders whose finished values resolve without a task, and what a connection's query asks."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from graphql import FieldNode, GraphQLObjectType, OperationDefinitionNode, parse

from schema import build_schema
from schema.loaders import ReadyLoader, page_loads, then
from schema.loaders.projects import ProjectHealthLoader
from schema.loaders.schedule import ProjectScheduleLoader
from schema.loaders.tickets import OpenTicketCountLoader
from schema.relay import node_fields


class Doubling(ReadyLoader):
    """Twice each key, counting its batches."""

    batches: list[list[int]]

    async def batch_load_fn(self, keys: Iterable[int]) -> list[int]:
        keys = list(keys)
        self.batches.append(keys)
        return [2 * key for key in keys]


def doubling() -> Doubling:
    loader = Doubling(SimpleNamespace())  # type: ignore[arg-type]
    loader.batches = []
    return loader


async def test_load_now_answers_loaded_keys_at_once_and_the_rest_later() -> None:
    loader = doubling()
    pending = loader.load_now(1)
    assert inspect.isawaitable(pending)
    assert await pending == 2
    assert loader.load_now(1) == 2  # already loaded: a plain value
    assert await loader.load_many([3, 4]) == [6, 8]
    assert [loader.load_now(key) for key in (3, 4)] == [6, 8]
    assert loader.batches == [[1], [3, 4]]


async def test_then_applies_now_or_after_awaiting() -> None:
    loader = doubling()
    assert then(5, lambda value: value + 1) == 6
    later = then(loader.load_now(5), lambda value: value + 1)
    assert inspect.isawaitable(later)
    assert await later == 11


def test_node_fields_follow_edges_node_through_fragments() -> None:
    document = parse(
        """
        query { projects { totalCount edges { cursor node { id ...Card ... on Project {
          health } } } }
        }
        fragment Card on Project { name milestones(filter: {overdueOnly: true}) { totalCount } }
        """
    )
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    fragments = {d.name.value: d for d in document.definitions[1:]}  # type: ignore[attr-defined]
    info: Any = SimpleNamespace(
        field_nodes=[operation.selection_set.selections[0]], fragments=fragments, variable_values={}
    )
    fields = node_fields(info)
    assert [f.name.value for f in fields] == ["id", "name", "milestones", "health"]
    assert [a.name.value for a in fields[2].arguments] == ["filter"]


def _asked(document: str, variables: dict[str, Any]) -> list[FieldNode]:
    """The fields the document's first root connection asks of each node."""
    parsed = parse(document)
    operation = parsed.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    fragments = {d.name.value: d for d in parsed.definitions[1:]}  # type: ignore[attr-defined]
    info: Any = SimpleNamespace(
        field_nodes=[operation.selection_set.selections[0]],
        fragments=fragments,
        variable_values=variables,
    )
    return node_fields(info)


def test_node_fields_honour_skip_and_include() -> None:
    document = """
        query($yes: Boolean!, $no: Boolean!) { projects { edges { node {
          code health @skip(if: $yes) name @include(if: $no) status @include(if: $yes)
          ... on Project @skip(if: true) { town }
          ...Card @include(if: $no)
          ...Card @skip(if: $no)
        } } } }
        fragment Card on Project { openTicketCount }
    """
    fields = _asked(document, {"yes": True, "no": False})
    assert [f.name.value for f in fields] == ["code", "status", "openTicketCount"]


def test_page_loads_come_from_the_resolvers_declarations() -> None:
    project = build_schema().graphql_schema.get_type("Project")
    assert isinstance(project, GraphQLObjectType)
    document = """
        query { projects { edges { node {
          code health openTicketCount roadmap { name } milestones { totalCount } __typename
        } } } }
    """
    asked = _asked(document, {})
    assert page_loads(project, asked) == {
        ProjectHealthLoader,
        OpenTicketCountLoader,
        ProjectScheduleLoader,
    }
    filtered = _asked(
        "query { projects { edges { node { milestones(filter: {overdueOnly: true}) { totalCount }"
        " nextMilestone { title } } } } }",
        {},
    )
    assert [f.name.value for f in filtered] == ["milestones", "nextMilestone"]
    assert page_loads(project, filtered[:1]) == set()
    assert page_loads(project, filtered) == {ProjectScheduleLoader}
    # Every declaration names a loader that answers without awaiting once loaded.
    for field in project.fields.values():
        declared = getattr(field.resolve, "page_load", None)
        if declared is not None:
            assert issubclass(declared.loader, ReadyLoader)
