"""Generic batched reads for loaders: the children of many parents, the rows many projects link to.

Each answers a whole batch of keys in one or two statements, grouped by key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from tortoise.models import Model

from server.domain.models import Project

M = TypeVar("M", bound=Model)


async def children_of(
    model: type[M], parent_field: str, parent_ids: Iterable[int], order_by: Sequence[str]
) -> dict[int, list[M]]:
    """The rows of `model` whose `parent_field` is one of `parent_ids`, grouped by parent.

    One statement; each parent's rows keep `order_by`. Parents without rows are absent.
    """
    rows = await model.filter(**{f"{parent_field}__in": list(parent_ids)}).order_by(*order_by)
    grouped: dict[int, list[M]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, parent_field), []).append(row)
    return grouped


async def linked_rows(
    project_ids: Sequence[int], relation: str, target: type[M], order_by: Sequence[str]
) -> dict[int, list[M]]:
    """The `target` rows each project links to through its many-to-many `relation`.

    Two statements: the links, then the rows in `order_by`. Projects without links are absent.
    """
    pairs = await Project.filter(
        id__in=list(project_ids), **{f"{relation}__id__isnull": False}
    ).values_list("id", f"{relation}__id")
    rows = await target.filter(id__in={linked for _, linked in pairs}).order_by(*order_by)
    wanted: dict[int, set[int]] = {}
    for project_id, linked in pairs:
        wanted.setdefault(project_id, set()).add(linked)
    return {pid: [row for row in rows if row.pk in ids] for pid, ids in wanted.items()}
