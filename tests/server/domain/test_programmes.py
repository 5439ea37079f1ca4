"""Programmes: listed by year, created once per code and year, audited."""

from __future__ import annotations

import pytest

from server.domain.errors import Refused
from server.domain.models import AuditEntry, Role
from server.domain.programmes import create_programme, programmes_of
from tests import factories
from tests.conftest import MakeAccount


async def test_programmes_of_a_year_newest_first() -> None:
    await factories.programme("1090", 2020)
    await factories.programme("1050", 2021)
    await factories.programme("765", 2020)
    assert [(p.code, p.year) for p in await programmes_of(None)] == [
        ("1050", 2021),
        ("1090", 2020),
        ("765", 2020),
    ]
    assert [p.code for p in await programmes_of(2020)] == ["1090", "765"]
    with pytest.raises(ValueError, match="year must be from 1900 to 2999"):
        await programmes_of(3000)


async def test_create_programme_checks_every_field_and_audits(make_account: MakeAccount) -> None:
    office = (await make_account(Role.OFFICE)).user
    created = await create_programme(office, " 1090 ", " 重大产业项目 ", 2020)
    assert (created.code, created.name) == ("1090", "重大产业项目")
    entry = await AuditEntry.get(action="programme.create")
    assert (entry.actor_id, entry.object_id) == (office.id, str(created.id))

    with pytest.raises(Refused) as refused:
        await create_programme(office, "1090", " ", 1999)
    assert [(p.code, p.field) for p in refused.value.problems] == [
        ("INVALID", ("input", "name")),
        ("INVALID", ("input", "year")),
    ]
    with pytest.raises(Refused) as refused:
        await create_programme(office, "1090", "again", 2020)
    assert (refused.value.code, refused.value.field) == ("CONFLICT", ("input", "code"))
