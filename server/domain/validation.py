"""Shared input checks: each adds what is wrong to a `Problems` at the input path given.

Paths are the client's (camelCase field names, list positions as strings), so the checks
take the path prefix and append the field at fault.
"""

from __future__ import annotations

import contextlib
import decimal
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from server.domain.columns import column_length
from server.domain.errors import FieldPath, Problems, Refused

MAX_ITEMS = 100
"""Most items of a list input (each costs a lookup); the API's largest page, too."""

CENT = decimal.Decimal("0.01")
"""Money columns are DECIMAL(16, 2): the API's Decimal scalar bounds the digits, this the cents."""


def camel(name: str) -> str:
    """A column name as the client spells the field: `responsible_unit` → `responsibleUnit`."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def fits(model: type[Model], key: str, value: str) -> bool:
    """True when `value` fits the text column `key`; the ORM refuses longer values even in
    a lookup, so a value that does not fit is never looked up."""
    limit = column_length(model, key)
    return limit is None or len(value) <= limit


def check_text_lengths(
    model: type[Model], values: Mapping[str, Any], problems: Problems, *path: str
) -> None:
    """An INVALID problem for each text value longer than its column of `model` holds, at
    `path` + the field's camelCase name (`values` is keyed by column name)."""
    for key, value in values.items():
        if isinstance(value, str) and not fits(model, key, value):
            limit = column_length(model, key)
            problems.add("INVALID", f"At most {limit} characters.", *path, camel(key))


def check_item_count(items: Sequence[Any] | None, problems: Problems, *path: str) -> bool:
    """False, with an INVALID problem at `path`, when a list input has more than MAX_ITEMS."""
    if items is not None and len(items) > MAX_ITEMS:
        problems.add("INVALID", f"At most {MAX_ITEMS} items.", *path)
        return False
    return True


def check_money(value: decimal.Decimal | None, problems: Problems, *path: str) -> None:
    """An INVALID problem at `path` for a negative amount or one with fractions of a cent."""
    if value is None:
        return
    if value < 0:
        problems.add("INVALID", "Must not be negative.", *path)
    elif value != value.quantize(CENT):
        problems.add("INVALID", "At most 2 digits after the point.", *path)


def check_plan_year(year: int, problems: Problems, *path: str) -> None:
    """An INVALID problem at `path` for a programme or task sheet year outside 2000 to 2100."""
    if not 2000 <= year <= 2100:
        problems.add("INVALID", "The year is 2000 to 2100.", *path)


@contextlib.asynccontextmanager
async def conflict_on_duplicate(field: FieldPath, message: str) -> AsyncIterator[None]:
    """Refuse with CONFLICT at `field` when the block breaks a unique constraint (a
    concurrent request wrote the same key first)."""
    try:
        yield
    except IntegrityError:
        raise Refused("CONFLICT", message, field) from None
