"""Generic batched reads as plain rows: rows by id, the children of many parents, the rows
many projects link to.

Each answers a whole batch of keys in one statement, grouped by key. Table and column names
come from the row types and their callers' class attributes, never from a client; the keys are
bound as parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from server.domain.rows import Row, fetch_records, fetch_rows

R = TypeVar("R", bound=Row)


def order_clause(alias: str, order_by: Sequence[str]) -> str:
    """An ORDER BY list from column names, each descending when written with a leading '-'."""
    terms = []
    for column in order_by:
        name = column.removeprefix("-")
        terms.append(f'{alias}."{name}"' + (" DESC" if column.startswith("-") else ""))
    return ", ".join(terms)


async def rows_by_id(row_type: type[R], ids: Iterable[int]) -> dict[int, R]:
    """The rows of `row_type` with these ids, by id (ids without a row are absent)."""
    ids = list(ids)
    if not ids:
        return {}
    rows = await fetch_rows(
        row_type,
        f'SELECT {row_type.select_list("t")} FROM "{row_type.TABLE}" t WHERE t.id IN (:ids)',
        {"ids": ids},
    )
    return {row.id: row for row in rows}  # type: ignore[attr-defined]


async def children_of(
    row_type: type[R], parent_field: str, parent_ids: Iterable[int], order_by: Sequence[str]
) -> dict[int, list[R]]:
    """The rows of `row_type` whose `parent_field` is one of `parent_ids`, grouped by parent.

    One statement; each parent's rows keep `order_by`. Parents without rows are absent.
    """
    parent_ids = list(parent_ids)
    if not parent_ids:
        return {}
    rows = await fetch_rows(
        row_type,
        f'SELECT {row_type.select_list("t")} FROM "{row_type.TABLE}" t'
        f' WHERE t."{parent_field}" IN (:ids) ORDER BY {order_clause("t", order_by)}',
        {"ids": parent_ids},
    )
    grouped: dict[int, list[R]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, parent_field), []).append(row)
    return grouped


async def linked_rows(
    project_ids: Sequence[int],
    through: str,
    column: str,
    row_type: type[R],
    order_by: Sequence[str],
) -> dict[int, list[R]]:
    """The `row_type` rows each project links to through the table `through`, whose `column`
    holds the linked row's id; each project's rows in `order_by`.

    One statement; a row linked to several projects is built once per project. Projects
    without links are absent.
    """
    project_ids = list(project_ids)
    if not project_ids:
        return {}
    sql = (
        f"SELECT l.project_id AS link_project_id, {row_type.select_list('t')}"
        f' FROM "{through}" l JOIN "{row_type.TABLE}" t ON t.id = l."{column}"'
        f" WHERE l.project_id IN (:ids) ORDER BY {order_clause('t', order_by)}"
    )
    records, dialect = await fetch_records(sql, {"ids": project_ids})
    grouped: dict[int, list[R]] = {}
    for record, row in zip(records, row_type.build(records, dialect), strict=True):
        grouped.setdefault(record["link_project_id"], []).append(row)
    return grouped
