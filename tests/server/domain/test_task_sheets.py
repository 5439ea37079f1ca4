"""Task sheets: each save issues the next revision of the year's sheet, with its items."""

from __future__ import annotations

import decimal

import pytest

from server.domain.access import Access
from server.domain.errors import Refused
from server.domain.models import AuditEntry, Role, TaskItem
from server.domain.task_sheets import ItemValues, SheetValues, save_task_sheet
from server.domain.validation import MAX_ITEMS
from tests import factories
from tests.conftest import MakeAccount


async def test_saving_again_issues_the_next_revision(make_account: MakeAccount) -> None:
    office = Access((await make_account(Role.OFFICE)).user)
    project = await factories.project()
    items = (ItemValues(" 主体封顶 "), ItemValues("竣工", responsible_unit="建设局", done=True))
    first = await save_task_sheet(office, project.id, SheetValues(2020, items=items))
    second = await save_task_sheet(office, project.id, SheetValues(2020, scope="改"))
    other_year = await save_task_sheet(office, project.id, SheetValues(2021))
    assert [s.revision for s in (first, second, other_year)] == [1, 2, 1]
    saved = await TaskItem.filter(sheet_id=first.id).order_by("position")
    assert [(i.title, i.done) for i in saved] == [("主体封顶", False), ("竣工", True)]
    entry = await AuditEntry.filter(action="task_sheet.save").order_by("id").first()
    assert entry is not None and entry.after["items"] == [" 主体封顶 ", "竣工"]


async def test_a_sheet_is_checked_field_by_field(make_account: MakeAccount) -> None:
    office = Access((await make_account(Role.OFFICE)).user)
    project = await factories.project()
    values = SheetValues(
        1999,
        completed_investment=decimal.Decimal("0.001"),
        items=(ItemValues(" "), ItemValues("x" * 1000)),
    )
    with pytest.raises(Refused) as refused:
        await save_task_sheet(office, project.id, values)
    assert [p.field for p in refused.value.problems] == [
        ("input", "year"),
        ("input", "completedInvestment"),
        ("input", "items", "0", "title"),
        ("input", "items", "1", "title"),
    ]
    with pytest.raises(Refused) as refused:
        many = SheetValues(2020, items=(ItemValues("x"),) * (MAX_ITEMS + 1))
        await save_task_sheet(office, project.id, many)
    assert [p.field for p in refused.value.problems] == [("input", "items")]


async def test_a_hidden_project_has_no_sheet(make_account: MakeAccount) -> None:
    manager = Access((await make_account(Role.SITE_MANAGER)).user)
    project = await factories.project()
    with pytest.raises(Refused) as refused:
        await save_task_sheet(manager, project.id, SheetValues(2020))
    assert refused.value.code == "NOT_FOUND"
