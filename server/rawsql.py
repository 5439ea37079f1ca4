"""Hand-written SQL that runs unchanged on SQLite and PostgreSQL, with named parameters."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from tortoise import connections
from tortoise.models import Model

M = TypeVar("M", bound=Model)

PLACEHOLDER = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")
"""A named parameter, `:name`, in hand-written SQL."""


def bind(sql: str, params: Mapping[str, Any], dialect: str) -> tuple[str, list[Any]]:
    """Turn `:name` placeholders into the dialect's positional ones, with their values.

    A list or tuple value expands to one placeholder per element (for `IN (:ids)`); it must
    not be empty. Calendar dates go to SQLite as ISO strings, the way Tortoise stores them;
    datetimes are left to the driver, which writes them as Tortoise does ("YYYY-MM-DD HH:MM").
    """
    values: list[Any] = []

    def one(value: Any) -> str:
        if dialect == "sqlite" and type(value) is dt.date:
            value = value.isoformat()
        values.append(value)
        return "?" if dialect == "sqlite" else f"${len(values)}"

    def replace(match: re.Match[str]) -> str:
        value = params[match.group(1)]
        if isinstance(value, list | tuple):
            if not value:
                raise ValueError(f"parameter {match.group(1)!r} is an empty list")
            return ", ".join(one(item) for item in value)
        return one(value)

    return PLACEHOLDER.sub(replace, sql), values


async def fetch(sql: str, params: Mapping[str, Any]) -> Sequence[dict[str, Any]]:
    """Run a SELECT with named parameters on the default connection; rows as dicts."""
    connection = connections.get("default")
    query, values = bind(sql, params, connection.capabilities.dialect)
    return await connection.execute_query_dict(query, values)


@cache
def columns_of(model: type[Model], alias: str | None = None, prefix: str = "") -> str:
    """Every column of a model, quoted, for a SELECT (known once the ORM is initialised).

    Names are quoted: `user` is a reserved word on PostgreSQL, and so may a column be. With
    `alias`, each column is qualified by it (for joins); with `prefix`, each is renamed
    `<prefix><column>`, so that two tables' columns can come back side by side.
    """
    qualifier = f"{alias}." if alias else ""
    columns = model._meta.fields_db_projection.values()
    if prefix:
        return ", ".join(f'{qualifier}"{column}" AS "{prefix}{column}"' for column in columns)
    return ", ".join(f'{qualifier}"{column}"' for column in columns)


def build_models(model: type[M], rows: Sequence[Mapping[str, Any]], prefix: str = "") -> list[M]:
    """Model instances from rows holding every column, built the way the ORM builds them.

    With `prefix`, the model's columns are those selected by `columns_of(..., prefix=prefix)`.
    """
    if prefix:
        rows = [
            {
                key.removeprefix(prefix): value
                for key, value in row.items()
                if key.startswith(prefix)
            }
            for row in rows
        ]
    return [model._init_from_db(**row) for row in rows]


async def fetch_models(model: type[M], clauses: str, params: Mapping[str, Any]) -> list[M]:
    """Rows of `model` chosen by `clauses` (WHERE, ORDER BY ...), as model instances.

    For hot paths where building the query with the ORM costs more than running it.
    """
    sql = f'SELECT {columns_of(model)} FROM "{model._meta.db_table}" {clauses}'
    return build_models(model, await fetch(sql, params))
