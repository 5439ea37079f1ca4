"""What the models declare about their tables, read through Tortoise's public `describe()`.

Hand-written SQL, the audit log's snapshots, input checks and the bulk seed need a model's
table name, its columns and their limits; each model is described once and remembered.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from tortoise.models import Model


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a model's table."""

    name: str
    """The model's attribute (for a foreign key, its `_id` attribute)."""
    db_column: str
    nullable: bool
    default: Any
    max_length: int | None
    set_by_orm: bool
    """Filled in by the ORM on save (auto_now, auto_now_add)."""


@functools.cache
def _description(model: type[Model]) -> dict[str, Any]:
    return model.describe(serializable=False)


def table_of(model: type[Model]) -> str:
    """The name of the model's table."""
    return _description(model)["table"]


@functools.cache
def columns_of(model: type[Model]) -> tuple[Column, ...]:
    """Every column of the model's table: the primary key, then the data columns."""
    description = _description(model)
    return tuple(
        Column(
            name=field["name"],
            db_column=field["db_column"],
            nullable=field["nullable"],
            default=field["default"],
            max_length=field["constraints"].get("max_length"),
            set_by_orm=bool(field.get("auto_now") or field.get("auto_now_add")),
        )
        for field in (description["pk_field"], *description["data_fields"])
    )


def column_length(model: type[Model], name: str) -> int | None:
    """The most characters the text column `name` of `model` holds (None: no limit)."""
    for column in columns_of(model):
        if column.name == name:
            return column.max_length
    return None
