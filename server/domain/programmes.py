"""Programmes: the numbered yearly lists of major projects, read and created."""

from __future__ import annotations

from server.domain import audit
from server.domain.errors import Problems
from server.domain.models import Programme, User
from server.domain.rows import queryset_rows
from server.domain.rows.plans import ProgrammeRow
from server.domain.schedule import EARLIEST_DATE, LATEST_DATE, in_calendar_year
from server.domain.validation import (
    check_plan_year,
    check_text_lengths,
    conflict_on_duplicate,
    fits,
)


async def programmes_of(year: int | None) -> list[ProgrammeRow]:
    """The programmes (of `year` when given), newest year first, then by code.

    ValueError names the problem when `year` is outside the calendar.
    """
    queryset = Programme.all()
    if year is not None:
        if not in_calendar_year(year):
            raise ValueError(f"year must be from {EARLIEST_DATE.year} to {LATEST_DATE.year}.")
        queryset = queryset.filter(year=year)
    return await queryset_rows(ProgrammeRow, queryset.order_by("-year", "code"))


async def create_programme(actor: User | None, code: str, name: str, year: int) -> ProgrammeRow:
    """Create a programme and answer its row; code and year together are unique. Refused:
    empty or over-long texts, a year outside 2000 to 2100, a programme with this code that
    year."""
    problems = Problems()
    code, name = code.strip(), name.strip()
    if not code:
        problems.add("INVALID", "Must not be empty.", "input", "code")
    if not name:
        problems.add("INVALID", "Must not be empty.", "input", "name")
    check_text_lengths(Programme, {"code": code, "name": name}, problems, "input")
    check_plan_year(year, problems, "input", "year")
    looked_up = code and fits(Programme, "code", code)
    if looked_up and await Programme.exists(code=code, year=year):
        problems.add("CONFLICT", "This programme exists for that year.", "input", "code")
    problems.raise_if_any()
    async with conflict_on_duplicate(("input", "code"), "This programme exists for that year."):
        programme = await Programme.create(code=code, name=name, year=year)
    await audit.record(actor, "programme.create", programme)
    return ProgrammeRow.of(programme)
