"""Plain rows: the read side's frozen records, built straight from SQL results.

A row type is a frozen, slotted dataclass naming its table and the columns a read selects,
with the same attribute names as the model of that table. A read selects exactly those
columns (`Row.select_list`) and builds one row per result (`fetch_rows`); each value is
converted once, by the field's declared type: SQLite hands back dates, instants, decimals and
booleans as text or numbers, PostgreSQL as Python values, and every text enum becomes its
member on both. ORM instances stay on the write side; `Row.of(instance)` turns what a
mutation wrote into the row the schema's types read.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any, ClassVar, Self, TypeVar

import orjson
from tortoise import connections
from tortoise.queryset import QuerySet

from server.domain.rawsql import bind

Convert = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Scale:
    """Digits after the point of a decimal column: `Annotated[Decimal, Scale(2)]`.

    PostgreSQL hands back numerics at their scale; SQLite keeps the text as written, so its
    values are brought to the column's scale on reading, as the ORM does.
    """

    places: int


R = TypeVar("R", bound="Row")


class Row:
    """Base of the row types: `TABLE` names the table a row type's columns come from."""

    __slots__ = ()
    TABLE: ClassVar[str]

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """The row type's columns, in declaration order (the table's column names)."""
        return _columns(cls)

    @classmethod
    def select_list(cls, alias: str) -> str:
        """The SELECT list of the row type's columns, qualified by a table alias."""
        return ", ".join(f'{alias}."{name}"' for name in _columns(cls))

    @classmethod
    def build(cls, records: Iterable[Mapping[str, Any]], dialect: str) -> list[Self]:
        """One row per record (a mapping from column name to the driver's value)."""
        names, converters = _plan(cls, dialect)
        if not converters:
            return [cls(*[record[name] for name in names]) for record in records]
        built = []
        for record in records:
            values = [record[name] for name in names]
            for index, convert in converters:
                value = values[index]
                if value is not None:
                    values[index] = convert(value)
            built.append(cls(*values))
        return built

    @classmethod
    def of(cls, instance: Any) -> Self:
        """The row of an ORM instance (what a write just saved), attribute by attribute."""
        return cls(*[getattr(instance, name) for name in _columns(cls)])


def dialect() -> str:
    """The SQL dialect of the default connection: "sqlite" or "postgres"."""
    return connections.get("default").capabilities.dialect


async def fetch_records(sql: str, params: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """Run a SELECT with named parameters (`:name`): its records and the connection's dialect."""
    connection = connections.get("default")
    name = connection.capabilities.dialect
    query, values = bind(sql, params, name)
    return list(await connection.execute_query_dict(query, values)), name


async def fetch_rows(row_type: type[R], sql: str, params: Mapping[str, Any]) -> list[R]:
    """Run a SELECT with named parameters (`:name`) and build a `row_type` from each result.

    The statement must select the row type's columns by their names (`select_list`).
    """
    records, name = await fetch_records(sql, params)
    return row_type.build(records, name)


async def queryset_rows(row_type: type[R], queryset: QuerySet[Any]) -> list[R]:
    """The rows of a filtered, ordered queryset, selected as the row type's columns (the ORM
    builds the statement; no model instance is made)."""
    return row_type.build(await queryset.values(*_columns(row_type)), dialect())


@functools.cache
def _columns(row_type: type[Row]) -> tuple[str, ...]:
    return tuple(field.name for field in fields(row_type))  # type: ignore[arg-type]


def _instant(value: Any) -> dt.datetime:
    """An aware instant in UTC from a driver's value (text on SQLite)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _day(value: Any) -> dt.date:
    """A calendar date from a driver's value (text on SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value[:10])


def _exact(value: Any) -> decimal.Decimal:
    """A decimal from a driver's value (text on SQLite)."""
    return value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))


@dataclass(frozen=True, slots=True)
class Json:
    """A JSON column: `Annotated[list[Any], Json()]`. Drivers hand back its text; the row
    holds the parsed value."""


def _parsed(value: Any) -> Any:
    """A JSON column's value from a driver's value (text, or already parsed by the ORM)."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _scaled(places: int) -> Convert:
    """A decimal from a driver's value, brought to `places` digits after the point."""
    quantum = decimal.Decimal(1).scaleb(-places)
    return lambda value: _exact(value).quantize(quantum)


def _converter(hint: Any, dialect: str) -> Convert | None:
    """How to convert a value of the declared type `hint` on `dialect` (None: as it comes)."""
    kind = _declared(hint)
    if typing.get_origin(kind) is typing.Annotated:
        kind, *extras = typing.get_args(kind)
        if any(isinstance(extra, Json) for extra in extras):
            return _parsed
        scales = [extra for extra in extras if isinstance(extra, Scale)]
        if kind is decimal.Decimal and scales and dialect == "sqlite":
            return _scaled(scales[0].places)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind
    if kind is dt.datetime:
        return _instant
    if dialect != "sqlite":
        return None
    if kind is dt.date:
        return _day
    if kind is decimal.Decimal:
        return _exact
    if kind is bool:
        return bool
    return None


def _declared(hint: Any) -> Any:
    """The type a field holds, without its `| None`."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return options[0] if len(options) == 1 else Any
    return hint


@functools.cache
def _plan(
    row_type: type[Row], dialect: str
) -> tuple[tuple[str, ...], tuple[tuple[int, Convert], ...]]:
    """The row type's columns and, by position, the converters its values need on `dialect`."""
    hints = typing.get_type_hints(row_type, include_extras=True)
    names = _columns(row_type)
    converters = []
    for index, name in enumerate(names):
        convert = _converter(hints[name], dialect)
        if convert is not None:
            converters.append((index, convert))
    return names, tuple(converters)
