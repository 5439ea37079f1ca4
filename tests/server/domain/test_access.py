"""Which projects a user may see: site managers their own, every other role all of them."""

from __future__ import annotations

from server.domain.access import (
    EVERY_PROJECT,
    Access,
    ProjectScope,
    sees_every_project,
    visible_projects,
)
from server.domain.models import Role
from server.domain.project_lists import managed_project_page
from tests import factories
from tests.conftest import MakeAccount


async def test_site_managers_see_their_own_projects_only(make_account: MakeAccount) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "site1")).user
    office = (await make_account(Role.OFFICE, "office")).user
    mine = await factories.project("MINE")
    other = await factories.project("OTHER")
    await mine.site_managers.add(manager)

    assert not sees_every_project(manager)
    assert sees_every_project(office)
    assert [p.code for p in await visible_projects(manager)] == ["MINE"]
    assert sorted(p.code for p in await visible_projects(office)) == ["MINE", "OTHER"]
    assert [
        p.id for p in (await managed_project_page(ProjectScope(manager.id), manager.id, 0, 20))[0]
    ] == [mine.id]
    assert await Access(manager).can_see_project(mine.id)
    assert not await Access(manager).can_see_project(other.id)
    assert await Access(office).can_see_project(other.id)
    assert not await Access(None).can_see_project(mine.id)


async def test_every_role_but_site_manager_reads_everything(make_account: MakeAccount) -> None:
    for role in Role:
        user = (await make_account(role)).user
        assert sees_every_project(user) == (role != Role.SITE_MANAGER)


async def test_managed_project_page_by_code(make_account: MakeAccount) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "site1")).user
    codes = ["P-3", "P-1", "P-5", "P-2", "P-4"]
    for code in codes:
        await (await factories.project(code)).site_managers.add(manager)
    await factories.project("P-0")  # not theirs
    pages = [
        await managed_project_page(EVERY_PROJECT, manager.id, start, 2) for start in (0, 2, 4, 6)
    ]
    assert [[p.code for p in page] for page, _, _ in pages] == [
        ["P-1", "P-2"],
        ["P-3", "P-4"],
        ["P-5"],
        [],
    ]
    assert [has_next for _, has_next, _ in pages] == [True, True, False, False]
    assert {await count() for _, _, count in pages} == {5}
    page, has_next, count = await managed_project_page(EVERY_PROJECT, 0, 0, 20)
    assert (page, has_next, await count()) == ([], False, 0)
