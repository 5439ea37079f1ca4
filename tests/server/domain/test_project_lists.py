"""Lists of projects: the filter's checks, the scope, the orders and a user's projects."""

from __future__ import annotations

import datetime as dt

import pytest

from server.domain.access import EVERY_PROJECT, ProjectScope
from server.domain.health import Cutoffs, Health
from server.domain.models import Project, ProjectStatus, Role
from server.domain.project_lists import (
    ProjectFilter,
    ProjectOrder,
    managed_project_page,
    project_list,
)
from server.domain.validation import MAX_ITEMS
from server.settings import Settings
from tests import factories
from tests.conftest import MakeAccount

TODAY = dt.date(2020, 6, 1)


def test_a_filter_the_database_should_not_be_asked_is_refused() -> None:
    too_long = "x" * (Project._meta.fields_map["town"].max_length + 1)
    cases = [
        (ProjectFilter(search=" " + "x" * 10 + " "), None),
        (ProjectFilter(search="x" * 11), "search may be at most 10 characters."),
        (
            ProjectFilter(programme_codes=("1090",) * (MAX_ITEMS + 1)),
            f"programmeCodes may have at most {MAX_ITEMS} items.",
        ),
        (ProjectFilter(town=too_long), "town may be at most"),
        (ProjectFilter(year=3000), "year must be from 1900 to 2999."),
    ]
    for flt, message in cases:
        if message is None:
            flt.check(10)
        else:
            with pytest.raises(ValueError, match=message):
                flt.check(10)


async def test_project_list_filters_within_the_scope(
    settings: Settings, make_account: MakeAccount
) -> None:
    manager = (await make_account(Role.SITE_MANAGER)).user
    programme = await factories.programme("1090", 2020)
    late = await factories.project("B-LATE", name="Alpha", programmes=(programme,))
    await factories.milestone(late, TODAY - dt.timedelta(days=40))
    calm = await factories.project("A-CALM", name="Beta", programmes=(programme,))
    await calm.site_managers.add(manager)
    await factories.project("C-DONE", name="Gamma", status=ProjectStatus.COMPLETED)
    cutoffs = Cutoffs.of(TODAY, settings)

    async def codes(scope: ProjectScope, *args: object, **kwargs: object) -> list[str]:
        return [p.code for p in await (await project_list(scope, cutoffs, *args, **kwargs))]

    assert await codes(EVERY_PROJECT) == ["A-CALM", "B-LATE", "C-DONE"]
    assert await codes(ProjectScope(manager.id)) == ["A-CALM"]
    assert await codes(EVERY_PROJECT, programme_id=programme.id) == ["A-CALM", "B-LATE"]
    assert await codes(EVERY_PROJECT, order=ProjectOrder.HEALTH) == ["B-LATE", "A-CALM", "C-DONE"]
    assert await codes(EVERY_PROJECT, order=ProjectOrder.NAME) == ["B-LATE", "A-CALM", "C-DONE"]
    red = ProjectFilter(health=frozenset({Health.RED}))
    assert await codes(EVERY_PROJECT, red) == ["B-LATE"]
    assert await codes(EVERY_PROJECT, ProjectFilter(programme_codes=("1090",), year=2021)) == []
    assert await codes(EVERY_PROJECT, ProjectFilter(search="calm")) == ["A-CALM"]
    done = ProjectFilter(status=frozenset({ProjectStatus.COMPLETED}))
    assert await codes(EVERY_PROJECT, done) == ["C-DONE"]


async def test_a_users_projects_as_far_as_the_scope_shows_them(
    make_account: MakeAccount,
) -> None:
    viewer = (await make_account(Role.SITE_MANAGER, "viewer")).user
    other = (await make_account(Role.SITE_MANAGER, "other")).user
    for code in ("P-3", "P-1", "P-2"):
        project = await factories.project(code)
        await project.site_managers.add(other)
        if code != "P-2":
            await project.site_managers.add(viewer)
    page, has_next, count = await managed_project_page(ProjectScope(viewer.id), other.id, 0, 1)
    assert ([p.code for p in page], has_next, await count()) == (["P-1"], True, 2)
    page, has_next, _ = await managed_project_page(ProjectScope(viewer.id), other.id, 1, 1)
    assert ([p.code for p in page], has_next) == (["P-3"], False)
    page, _, count = await managed_project_page(ProjectScope(other.id), other.id, 0, 5)
    assert ([p.code for p in page], await count()) == (["P-1", "P-2", "P-3"], 3)
