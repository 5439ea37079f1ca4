"""The overdue query and summary, checked against a plain Python reading of the same rows."""

from __future__ import annotations

import base64
import datetime as dt
import random

import pytest

from server.domain.models import Milestone, MilestoneStatus, Programme, Project, Role
from server.domain.overdue import (
    OverdueCursor,
    OverdueFilter,
    OverdueGroupBy,
    days_overdue,
    overdue_count,
    overdue_page,
    overdue_queryset,
    overdue_summary,
)
from server.domain.schedule import MAX_DAYS_OVERDUE
from tests import factories
from tests.conftest import MakeAccount

AS_OF = dt.date(2020, 3, 1)
UNITS = ("经开区建设局", "徐工集团", "城投公司")
TOWNS = ("金山桥街道", "东环街道", "大庙街道", None)


async def _random_zone(seed: int) -> None:
    """Programmes of two years, 30 projects in zero to two of them, 300 milestones."""
    rng = random.Random(seed)
    programmes = [
        await factories.programme(code, year)
        for code in ("1090", "1050", "765")
        for year in (2020, 2021)
    ]
    for number in range(30):
        project = await factories.project(
            code=f"R-{seed}-{number:03d}",
            programmes=tuple(rng.sample(programmes, rng.randint(0, 2))),
            responsible_unit=rng.choice(UNITS),
            town=rng.choice(TOWNS),
        )
        rows = []
        for _ in range(10):
            planned = AS_OF + dt.timedelta(days=rng.randint(-60, 10))
            done = rng.random() < 0.3
            rows.append(
                Milestone(
                    project=project,
                    title="节点",
                    baseline_date=planned,
                    planned_date=planned,
                    actual_date=planned if done else None,
                    status=MilestoneStatus.DONE if done else MilestoneStatus.PENDING,
                )
            )
        await Milestone.bulk_create(rows)


async def _expected(flt: OverdueFilter, manager_of: set[int] | None = None) -> list[Milestone]:
    """The overdue milestones under `flt`, worked out in Python from every row."""
    programmes = {p.id: p for p in await Programme.all()}
    projects = {p.id: p for p in await Project.all().prefetch_related("programmes")}
    found = []
    for milestone in await Milestone.all():
        project = projects[milestone.project_id]
        days = days_overdue(milestone.planned_date, flt.as_of)
        if milestone.status != MilestoneStatus.PENDING or days < max(flt.min_days_overdue, 1):
            continue
        if (flt.programme_codes is not None or flt.year is not None) and not any(
            (flt.programme_codes is None or programmes[p.id].code in flt.programme_codes)
            and (flt.year is None or programmes[p.id].year == flt.year)
            for p in project.programmes
        ):
            continue
        if flt.responsible_unit is not None and project.responsible_unit != flt.responsible_unit:
            continue
        if flt.town is not None and project.town != flt.town:
            continue
        if flt.project_ids is not None and project.id not in flt.project_ids:
            continue
        if manager_of is not None and project.id not in manager_of:
            continue
        found.append(milestone)
    found.sort(key=lambda m: (m.planned_date, m.project_id, m.id))
    return found


FILTERS = (
    {},
    {"programme_codes": ("1090",)},
    {"programme_codes": ("1090", "765"), "year": 2020},
    {"year": 2021},
    {"programme_codes": ("9999",)},
    {"responsible_unit": "徐工集团"},
    {"town": "东环街道", "min_days_overdue": 20},
    {"min_days_overdue": 0},
    {"min_days_overdue": 45},
    {"programme_codes": ()},
)


@pytest.mark.parametrize("fields", FILTERS)
async def test_list_matches_python_and_pages_cover_it_once(
    fields: dict, make_account: MakeAccount
) -> None:
    await _random_zone(1)
    boss = await make_account(Role.SUPERVISOR, "boss")
    flt = OverdueFilter(as_of=AS_OF, **fields)
    expected = await _expected(flt)
    assert await overdue_queryset(flt, boss.user).count() == len(expected)
    assert await overdue_count(flt, boss.user) == len(expected)  # the SQL rendering agrees

    listed: list[Milestone] = []
    cursor = None
    while True:
        page, has_next = await overdue_page(flt, boss.user, 7, cursor)
        listed.extend(page)
        if not has_next:
            break
        cursor = OverdueCursor.decode(OverdueCursor.of(page[-1]).encode())
    assert [m.id for m in listed] == [m.id for m in expected]


@pytest.mark.parametrize("seed", [2, 3])
@pytest.mark.parametrize("fields", FILTERS)
async def test_summary_agrees_with_the_list(
    seed: int, fields: dict, make_account: MakeAccount
) -> None:
    await _random_zone(seed)
    boss = await make_account(Role.SUPERVISOR, "boss")
    flt = OverdueFilter(as_of=AS_OF, **fields)
    listed = await _expected(flt)
    projects = {p.id: p for p in await Project.all()}
    for group_by in OverdueGroupBy:
        groups = await overdue_summary(flt, boss.user, group_by)
        for group in groups:
            if group_by is OverdueGroupBy.PROGRAMME:
                programme = await Programme.get(id=int(group.key))
                narrowed = {**fields, "programme_codes": (programme.code,), "year": programme.year}
            elif group_by is OverdueGroupBy.RESPONSIBLE_UNIT:
                narrowed = {**fields, "responsible_unit": group.key}
            elif group_by is OverdueGroupBy.TOWN:
                members = [m for m in listed if (projects[m.project_id].town or "") == group.key]
                narrowed = None
            else:
                narrowed = {**fields, "project_ids": (int(group.key),)}
            if narrowed is not None:
                members = await _expected(OverdueFilter(as_of=AS_OF, **narrowed))
                assert (
                    group.overdue_count
                    == await overdue_queryset(
                        OverdueFilter(as_of=AS_OF, **narrowed), boss.user
                    ).count()
                )
            assert group.overdue_count == len(members) > 0
            assert group.project_count == len({m.project_id for m in members})
            assert group.max_days_overdue == days_overdue(members[0].planned_date, AS_OF)
        if group_by is not OverdueGroupBy.PROGRAMME:
            assert sum(g.overdue_count for g in groups) == len(listed)
            assert sum(g.project_count for g in groups) == len({m.project_id for m in listed})
        counts = [(-g.overdue_count, -g.max_days_overdue, g.key) for g in groups]
        assert counts == sorted(counts)


async def test_site_managers_see_only_their_projects(make_account: MakeAccount) -> None:
    await _random_zone(4)
    manager = await make_account(Role.SITE_MANAGER, "site")
    mine = await Project.all().order_by("id").limit(3)
    for project in mine:
        await project.site_managers.add(manager.user)
    flt = OverdueFilter(as_of=AS_OF)
    expected = await _expected(flt, manager_of={p.id for p in mine})
    page, _ = await overdue_page(flt, manager.user, 100)
    assert [m.id for m in page] == [m.id for m in expected]
    groups = await overdue_summary(flt, manager.user, OverdueGroupBy.PROJECT)
    assert {int(g.key) for g in groups} <= {p.id for p in mine}
    assert sum(g.overdue_count for g in groups) == len(expected)
    assert await overdue_count(flt, manager.user) == len(expected)
    narrowed = OverdueFilter(as_of=AS_OF, town="金山桥街道", programme_codes=("1090",), year=2020)
    assert await overdue_count(narrowed, manager.user) == (
        await overdue_queryset(narrowed, manager.user).count()
    )


def test_filter_and_cursor_refuse_bad_values() -> None:
    with pytest.raises(ValueError, match="minDaysOverdue"):
        OverdueFilter(as_of=AS_OF, min_days_overdue=-1)
    for bad in ("nonsense", "b2Zmc2V0OjE=", ""):
        with pytest.raises(ValueError, match="cursor"):
            OverdueCursor.decode(bad)
    cursor = OverdueCursor(AS_OF, 3, 9)
    assert OverdueCursor.decode(cursor.encode()) == cursor


def test_days_overdue_counts_calendar_days() -> None:
    assert days_overdue(dt.date(2020, 2, 29), AS_OF) == 1
    assert days_overdue(AS_OF, AS_OF) == 0
    assert days_overdue(dt.date(2020, 3, 5), AS_OF) == 0


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"as_of": dt.date(1, 1, 1)}, "asOf"),
        ({"as_of": dt.date(9999, 12, 31)}, "asOf"),
        ({"min_days_overdue": MAX_DAYS_OVERDUE + 1}, "minDaysOverdue"),
        ({"min_days_overdue": 2**31 - 1}, "minDaysOverdue"),
        ({"year": 3000}, "year"),
        ({"year": 9223372036854775808}, "year"),
        ({"town": "镇" * 65}, "town"),
        ({"responsible_unit": "局" * 129}, "responsibleUnit"),
        ({"programme_codes": ("1090", "9" * 33)}, "programmeCodes"),
    ],
)
def test_filters_out_of_range_are_refused(fields: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        OverdueFilter(**{"as_of": AS_OF, **fields})


async def test_the_widest_filter_in_range_runs(make_account: MakeAccount) -> None:
    office = await make_account(Role.OFFICE)
    project = await factories.project()
    await factories.milestone(project, dt.date(1900, 1, 1))
    flt = OverdueFilter(as_of=dt.date(2999, 12, 31), min_days_overdue=MAX_DAYS_OVERDUE)
    page, more = await overdue_page(flt, office.user, 10)
    assert [m.project_id for m in page] == [project.id] and not more
    assert OverdueFilter(as_of=dt.date(1900, 1, 1)).latest_planned_date == dt.date(1899, 12, 31)


@pytest.mark.parametrize(
    "raw",
    [
        "overdue:0001-01-01:1:1",
        "overdue:9999-12-31:1:1",
        f"overdue:2020-01-01:{2**31}:1",
        "overdue:2020-01-01:1:0",
        "overdue:2020-01-01:-1:1",
    ],
)
def test_cursors_out_of_range_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="cursor"):
        OverdueCursor.decode(base64.urlsafe_b64encode(raw.encode()).decode())
    with pytest.raises(ValueError, match="cursor"):
        OverdueCursor.decode("\ud800")
