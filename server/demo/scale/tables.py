"""The rows of one table as the scale seed builds them, and the columns it leaves to the ORM."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tortoise.models import Model

from server.domain.columns import Column, columns_of, table_of


@dataclass
class Table:
    """Rows for one table, as tuples in the order of `columns` (database column names)."""

    model: type[Model] | None
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def model_table(model: type[Model], *columns: str) -> Table:
    """An empty table of `model`, filled in the order of `columns`."""
    return Table(model, table_of(model), tuple(columns))


def through_table(name: str, *columns: str) -> Table:
    """An empty many-to-many link table (no model of its own)."""
    return Table(None, name, tuple(columns))


def _column_default(column: Column, now: dt.datetime) -> Any:
    """The value the ORM would give a column the generator does not set."""
    if column.set_by_orm:
        return now
    default = column.default
    if callable(default):
        return default()
    if default is not None:
        return getattr(default, "value", default)
    if column.nullable:
        return None
    raise ValueError(f"the scale generator gives no value for required column {column.name}")


def complete_rows(table: Table, now: dt.datetime) -> Table:
    """The table with every column of its model: unset columns get the ORM's defaults."""
    if table.model is None:
        return table
    missing = [c for c in columns_of(table.model) if c.db_column not in table.columns]
    if not missing:
        return table
    extra = tuple(_column_default(column, now) for column in missing)
    columns = table.columns + tuple(column.db_column for column in missing)
    return Table(table.model, table.name, columns, [row + extra for row in table.rows])
