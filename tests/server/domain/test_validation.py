"""Shared input checks: each names the field at fault, in the client's spelling."""

from __future__ import annotations

import decimal

import pytest

from server.domain.errors import Problems, Refused
from server.domain.models import Project
from server.domain.validation import (
    MAX_ITEMS,
    camel,
    check_item_count,
    check_money,
    check_plan_year,
    check_text_lengths,
    conflict_on_duplicate,
    fits,
)


def _found(problems: Problems) -> list[tuple[str, str, tuple[str, ...] | None]]:
    return [(p.code, p.message, p.field) for p in problems.found]


def test_camel_spells_columns_as_the_client_does() -> None:
    assert camel("responsible_unit") == "responsibleUnit"
    assert camel("code") == "code"


def test_text_lengths_follow_the_columns() -> None:
    limit = Project._meta.fields_map["code"].max_length
    assert fits(Project, "code", "x" * limit)
    assert not fits(Project, "code", "x" * (limit + 1))
    problems = Problems()
    values = {"code": "x" * (limit + 1), "name": "fine", "site_radius_meters": 5}
    check_text_lengths(Project, values, problems, "input")
    assert _found(problems) == [("INVALID", f"At most {limit} characters.", ("input", "code"))]


def test_item_counts_money_and_years() -> None:
    problems = Problems()
    assert check_item_count([0] * MAX_ITEMS, problems, "input", "items")
    assert check_item_count(None, problems, "input", "items")
    assert not check_item_count([0] * (MAX_ITEMS + 1), problems, "input", "items")
    check_money(decimal.Decimal("-1"), problems, "input", "a")
    check_money(decimal.Decimal("1.005"), problems, "input", "b")
    check_money(decimal.Decimal("1.05"), problems, "input", "c")
    check_money(None, problems, "input", "d")
    check_plan_year(1999, problems, "input", "year")
    check_plan_year(2100, problems, "input", "ok")
    assert _found(problems) == [
        ("INVALID", f"At most {MAX_ITEMS} items.", ("input", "items")),
        ("INVALID", "Must not be negative.", ("input", "a")),
        ("INVALID", "At most 2 digits after the point.", ("input", "b")),
        ("INVALID", "The year is 2000 to 2100.", ("input", "year")),
    ]


async def test_a_duplicate_key_is_a_conflict_at_the_field() -> None:
    await Project.create(code="DUP", name="a", responsible_unit="u")
    with pytest.raises(Refused) as refused:
        async with conflict_on_duplicate(("input", "code"), "Taken."):
            await Project.create(code="DUP", name="b", responsible_unit="u")
    assert (refused.value.code, refused.value.field) == ("CONFLICT", ("input", "code"))
