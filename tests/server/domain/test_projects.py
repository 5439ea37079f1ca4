"""The project register: creating and changing projects, their programmes and site managers."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from server.domain.access import Access
from server.domain.errors import Refused
from server.domain.models import AuditEntry, ProjectStatus, Role
from server.domain.projects import Location, create_project, set_site_managers, update_project
from tests import factories
from tests.conftest import MakeAccount

VALUES = {"code": " NEW-1 ", "name": "新项目", "responsible_unit": "建设局"}


async def test_create_project_trims_links_and_audits(make_account: MakeAccount) -> None:
    office = (await make_account(Role.OFFICE)).user
    manager = (await make_account(Role.SITE_MANAGER)).user
    programme = await factories.programme()
    values = {**VALUES, "location": Location(34.2, 117.2), "status": None}
    project = await create_project(office, values, [programme.id], [manager.id, manager.id])
    assert (project.code, project.latitude, project.status) == (
        "NEW-1",
        34.2,
        ProjectStatus.PLANNED,
    )
    assert [p.id for p in await project.programmes.all()] == [programme.id]
    assert [u.id for u in await project.site_managers.all()] == [manager.id]
    entry = await AuditEntry.get(action="project.create")
    assert entry.after["programmes"] == [programme.id]
    assert entry.after["site_managers"] == [manager.id]


async def test_create_project_reports_every_problem(make_account: MakeAccount) -> None:
    office = (await make_account(Role.OFFICE)).user
    coordinator = (await make_account(Role.COORDINATOR)).user
    await factories.project("TAKEN")
    values = {
        "code": "TAKEN",
        "name": " ",
        "responsible_unit": "u",
        "total_investment": decimal.Decimal("-1"),
        "location": Location(91, 0),
        "planned_start": dt.date(2020, 5, 1),
        "planned_finish": dt.date(2020, 4, 1),
    }
    with pytest.raises(Refused) as refused:
        await create_project(office, values, [None], [coordinator.id])
    assert [(p.code, p.field) for p in refused.value.problems] == [
        ("INVALID", ("input", "name")),
        ("INVALID", ("input", "totalInvestment")),
        ("INVALID", ("input", "location", "latitude")),
        ("INVALID", ("input", "plannedFinish")),
        ("NOT_FOUND", ("input", "programmeIds", "0")),
        ("INVALID", ("input", "siteManagerIds", "0")),
        ("CONFLICT", ("input", "code")),
    ]


async def test_update_project_changes_only_what_is_given(make_account: MakeAccount) -> None:
    office = Access((await make_account(Role.OFFICE)).user)
    programme = await factories.programme()
    project = await factories.project("OLD", programmes=(programme,), lead_official="张")
    changed = await update_project(office, project.id, {"name": " 改名 ", "lead_official": None})
    assert (changed.code, changed.name, changed.lead_official) == ("OLD", "改名", None)
    assert [p.id for p in await changed.programmes.all()] == [programme.id]
    await update_project(office, project.id, {}, programme_ids=[])
    assert await changed.programmes.all() == []
    with pytest.raises(Refused) as refused:
        await update_project(office, project.id, {"code": None, "status": None})
    assert [p.field for p in refused.value.problems] == [("input", "code"), ("input", "status")]


async def test_planned_dates_are_checked_against_the_stored_ones(
    make_account: MakeAccount,
) -> None:
    office = Access((await make_account(Role.OFFICE)).user)
    project = await factories.project(planned_start=dt.date(2020, 5, 1))
    with pytest.raises(Refused) as refused:
        await update_project(office, project.id, {"planned_finish": dt.date(2020, 4, 1)})
    assert refused.value.field == ("input", "plannedFinish")


async def test_hidden_projects_are_not_found(make_account: MakeAccount) -> None:
    manager = Access((await make_account(Role.SITE_MANAGER)).user)
    project = await factories.project()
    for change in (
        update_project(manager, project.id, {"name": "x"}),
        set_site_managers(manager, project.id, []),
        update_project(manager, None, {}),
    ):
        with pytest.raises(Refused) as refused:
            await change
        assert (refused.value.code, refused.value.field) == ("NOT_FOUND", ("input", "projectId"))


async def test_set_site_managers_replaces_the_list(make_account: MakeAccount) -> None:
    office = Access((await make_account(Role.OFFICE)).user)
    first = (await make_account(Role.SITE_MANAGER)).user
    second = (await make_account(Role.SITE_MANAGER)).user
    project = await factories.project()
    await project.site_managers.add(first)
    await set_site_managers(office, project.id, [second.id])
    assert [u.id for u in await project.site_managers.all()] == [second.id]
    entry = await AuditEntry.get(action="project.site_managers")
    assert (entry.before["site_managers"], entry.after["site_managers"]) == (
        [first.id],
        [second.id],
    )
