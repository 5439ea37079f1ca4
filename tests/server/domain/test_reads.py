"""Generic batched reads: rows by id, children by parent and linked rows, grouped per key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.domain.models import Role
from server.domain.reads import children_of, linked_rows, rows_by_id
from server.domain.rows.accounts import UserRow
from server.domain.rows.plans import ProgrammeRow, ProjectRow, TaskSheetRow
from tests import factories
from tests.conftest import MakeAccount


async def test_children_are_grouped_by_parent_in_order(
    count_statements: Callable[[], Any],
) -> None:
    first = await factories.project("P-1")
    second = await factories.project("P-2")
    empty = await factories.project("P-3")
    for year in (2020, 2022, 2021):
        await factories.task_sheet(first, year)
    await factories.task_sheet(second, 2020)

    with count_statements() as counter:
        found = await children_of(
            TaskSheetRow, "project_id", [first.id, second.id, empty.id], ("-year", "id")
        )

    assert len(counter.statements) == 1
    assert all(isinstance(sheet, TaskSheetRow) for sheet in found[first.id])
    assert [sheet.year for sheet in found[first.id]] == [2022, 2021, 2020]
    assert [sheet.year for sheet in found[second.id]] == [2020]
    assert empty.id not in found


async def test_linked_rows_follow_the_relation_and_the_order(
    make_account: MakeAccount, count_statements: Callable[[], Any]
) -> None:
    old = await factories.programme("1050", 2019)
    new = await factories.programme("1090", 2020)
    first = await factories.project("P-1", programmes=(old, new))
    second = await factories.project("P-2", programmes=(old,))
    alone = await factories.project("P-3")
    zed = (await make_account(Role.SITE_MANAGER, "zed")).user
    amy = (await make_account(Role.SITE_MANAGER, "amy")).user
    await first.site_managers.add(zed, amy)

    with count_statements() as counter:
        programmes = await linked_rows(
            [first.id, second.id, alone.id],
            "project_programme",
            "programme_id",
            ProgrammeRow,
            ("-year", "code"),
        )
    managers = await linked_rows(
        [first.id, second.id], "project_site_manager", "user_id", UserRow, ("username",)
    )

    assert len(counter.statements) == 1
    assert [p.code for p in programmes[first.id]] == ["1090", "1050"]
    assert all(isinstance(p, ProgrammeRow) for p in programmes[first.id])
    assert [p.code for p in programmes[second.id]] == ["1050"]
    assert alone.id not in programmes
    assert [u.username for u in managers[first.id]] == ["amy", "zed"]
    assert second.id not in managers


async def test_rows_by_id_skip_missing_ids_and_take_none(
    count_statements: Callable[[], Any],
) -> None:
    project = await factories.project("P-1")

    with count_statements() as counter:
        found = await rows_by_id(ProjectRow, [project.id, project.id + 1000])
        none = await rows_by_id(ProjectRow, [])

    assert len(counter.statements) == 1
    assert list(found) == [project.id]
    assert found[project.id] == ProjectRow.of(project)
    assert none == {}
