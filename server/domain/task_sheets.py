"""Task sheets (任务书): a project's yearly targets, issued again as numbered revisions."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from dataclasses import dataclass, field

from server.domain import audit
from server.domain.access import Access
from server.domain.errors import Problems
from server.domain.models import TaskItem, TaskSheet
from server.domain.rows.plans import TaskSheetRow
from server.domain.validation import (
    MAX_ITEMS,
    check_item_count,
    check_money,
    check_plan_year,
    check_text_lengths,
    conflict_on_duplicate,
)


@dataclass(frozen=True)
class ItemValues:
    """One line of a task sheet as the planner writes it."""

    title: str
    responsible_unit: str | None = None
    responsible_person: str | None = None
    due_date: dt.date | None = None
    done: bool = False


@dataclass(frozen=True)
class SheetValues:
    """A task sheet for a year as the planner writes it."""

    year: int
    scope: str | None = None
    annual_investment_target: decimal.Decimal | None = None
    completed_investment: decimal.Decimal | None = None
    approved_at: dt.datetime | None = None
    items: Sequence[ItemValues] = field(default_factory=tuple)


def _check(values: SheetValues, problems: Problems) -> None:
    """Field-by-field checks of a sheet and its items."""
    check_plan_year(values.year, problems, "input", "year")
    check_money(values.annual_investment_target, problems, "input", "annualInvestmentTarget")
    check_money(values.completed_investment, problems, "input", "completedInvestment")
    check_item_count(values.items, problems, "input", "items")
    for index, item in enumerate(values.items[:MAX_ITEMS]):
        path = ("input", "items", str(index))
        if not item.title.strip():
            problems.add("INVALID", "Must not be empty.", *path, "title")
        texts = {
            "title": item.title,
            "responsible_unit": item.responsible_unit,
            "responsible_person": item.responsible_person,
        }
        check_text_lengths(TaskItem, texts, problems, *path)


async def save_task_sheet(
    access: Access, project_id: int | None, values: SheetValues
) -> TaskSheetRow:
    """Issue a visible project's task sheet for a year: revision 1, or the next one; the row
    of the sheet as written."""
    project = await access.project(project_id, ("input", "projectId"))
    problems = Problems()
    _check(values, problems)
    problems.raise_if_any()
    latest = await TaskSheet.filter(project=project, year=values.year).order_by("-revision").first()
    async with conflict_on_duplicate(
        ("input", "year"), "The sheet was re-issued meanwhile; retry."
    ):
        sheet = await TaskSheet.create(
            project=project,
            year=values.year,
            revision=(latest.revision + 1) if latest else 1,
            scope=values.scope,
            annual_investment_target=values.annual_investment_target,
            completed_investment=values.completed_investment,
            approved_at=values.approved_at,
        )
    for position, item in enumerate(values.items):
        await TaskItem.create(
            sheet=sheet,
            position=position,
            title=item.title.strip(),
            responsible_unit=item.responsible_unit,
            responsible_person=item.responsible_person,
            due_date=item.due_date,
            done=item.done,
        )
    after = audit.snapshot(sheet) or {}
    after["items"] = [item.title for item in values.items]
    await audit.record(access.user, "task_sheet.save", sheet, after=after)
    return TaskSheetRow.of(sheet)
