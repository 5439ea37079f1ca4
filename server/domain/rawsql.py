"""Hand-written SQL that runs unchanged on SQLite and PostgreSQL, with named parameters."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from tortoise import connections

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
