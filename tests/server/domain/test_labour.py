"""The labour series and resumption (复工), checked against a plain Python reading of the rows."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from server.domain.labour import (
    MAX_SERIES_DAYS,
    LabourGroupBy,
    LabourPoint,
    labour_series,
    resumed_on,
    worker_days_of,
)
from server.domain.models import DailyReport, Programme, ProjectStatus, Role, User
from tests import factories
from tests.conftest import MakeAccount

START = dt.date(2020, 3, 1)
END = START + dt.timedelta(days=24)  # a 25-day span
FIRST_REPORT = START - dt.timedelta(days=12)  # reports before the span feed its first windows
LAST_REPORT = END + dt.timedelta(days=4)  # and reports after it must not count
GAPS = (1, 3, 7)
UNITS = ("经开区建设局", "徐工集团", "城投公司")
TOWNS = ("金山桥街道", "东环街道", "大庙街道", None)
NO_TOWN = "未填镇(街)"
UC = ProjectStatus.UNDER_CONSTRUCTION
Counter = Callable[[], Any]


@dataclass
class Site:
    """What the test knows of one project, kept apart from the database."""

    id: int
    status: ProjectStatus
    town: str | None
    unit: str
    programmes: list[Programme]
    reports: dict[dt.date, tuple[int, int]] = field(default_factory=dict)  # needed, on site


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _report_days(rng: random.Random) -> dict[dt.date, tuple[int, int]]:
    """Runs of reports split by gaps of 1 to 10 days; some with no one needed, some empty."""
    found: dict[dt.date, tuple[int, int]] = {}
    day = FIRST_REPORT + dt.timedelta(days=rng.randint(0, 5))
    while day <= LAST_REPORT:
        for _ in range(rng.randint(1, 6)):
            if day > LAST_REPORT:
                break
            if rng.random() < 0.85:
                kind = rng.random()
                if kind < 0.15:
                    found[day] = (0, rng.randint(1, 8))  # workers although none needed
                elif kind < 0.35:
                    found[day] = (rng.randint(0, 30), 0)  # nobody on site
                else:
                    needed = rng.randint(1, 40)
                    found[day] = (needed, rng.randint(1, needed + 5))
            day += dt.timedelta(days=1)
        day += dt.timedelta(days=rng.randint(1, 10))
    return found


async def _random_zone(seed: int, reporter: User) -> list[Site]:
    """Three programmes, twelve projects of every status in zero to two of them, reports."""
    rng = random.Random(seed)
    programmes = [
        await factories.programme("1090", 2020, "重大产业项目"),
        await factories.programme("1050", 2021, "城市更新"),
        await factories.programme("765", 2020, "民生实事"),
    ]
    statuses = [UC] * 6 + [
        ProjectStatus.PLANNED,
        ProjectStatus.SUSPENDED,
        ProjectStatus.COMPLETED,
    ] * 2
    rng.shuffle(statuses)
    sites = []
    rows = []
    for number, status in enumerate(statuses):
        count = 0 if number == 0 else 2 if number == 1 else rng.choice((0, 1, 1, 2))
        chosen = rng.sample(programmes, count)
        town = rng.choice(TOWNS)
        unit = rng.choice(UNITS)
        project = await factories.project(
            f"L-{seed}-{number:02d}",
            programmes=tuple(chosen),
            status=status,
            town=town,
            responsible_unit=unit,
        )
        site = Site(project.id, status, town, unit, chosen, _report_days(rng))
        sites.append(site)
        rows.extend(
            DailyReport(
                project_id=project.id,
                date=day,
                workers_needed=needed,
                workers_on_site=on_site,
                reported_by=reporter,
            )
            for day, (needed, on_site) in site.reports.items()
        )
    await DailyReport.bulk_create(rows)
    return sites


def _groups_of(site: Site, group_by: LabourGroupBy) -> list[tuple[str, str]]:
    """The (key, label) of each group the project belongs to."""
    if group_by is LabourGroupBy.ZONE:
        return [("ZONE", "全区")]
    if group_by is LabourGroupBy.TOWN:
        return [(site.town or "", site.town or NO_TOWN)]
    if group_by is LabourGroupBy.RESPONSIBLE_UNIT:
        return [(site.unit, site.unit)]
    return [(str(g.id), f"{g.code} {g.name} ({g.year})") for g in site.programmes]


def _resumed(site: Site, day: dt.date, gap: int) -> bool:
    """Expected to work, with a report with workers on site in [day - gap + 1, day]."""
    since = day - dt.timedelta(days=gap - 1)
    return site.status == UC and any(
        since <= when <= day and on_site > 0 for when, (_, on_site) in site.reports.items()
    )


def _expected(
    sites: Sequence[Site],
    ids: Sequence[int] | None,
    start: dt.date,
    end: dt.date,
    group_by: LabourGroupBy,
    gap: int,
) -> dict[str, tuple[str, tuple[LabourPoint, ...]]]:
    """The series the module docstring describes, worked out in Python."""
    members: dict[str, list[Site]] = {}
    labels: dict[str, str] = {}
    for site in sites:
        if ids is not None and site.id not in ids:
            continue
        for key, label in _groups_of(site, group_by):
            members.setdefault(key, []).append(site)
            labels[key] = label
    found = {}
    for key, group in members.items():
        points = []
        for day in _days(start, end):
            todays = [s.reports[day] for s in group if day in s.reports]
            points.append(
                LabourPoint(
                    date=day,
                    workers_needed=sum(needed for needed, _ in todays),
                    workers_on_site=sum(on_site for _, on_site in todays),
                    projects_reporting=len(todays),
                    projects_expected=sum(1 for s in group if s.status == UC),
                    projects_resumed=sum(1 for s in group if _resumed(s, day, gap)),
                )
            )
        found[key] = (labels[key], tuple(points))
    return found


async def _series(
    count_statements: Counter,
    ids: Sequence[int] | None,
    start: dt.date,
    end: dt.date,
    group_by: LabourGroupBy,
    gap: int,
) -> dict[str, tuple[str, tuple[LabourPoint, ...]]]:
    """labour_series as a dict by key, checked to run in one statement with unique keys."""
    with count_statements() as counter:
        result = await labour_series(ids, start, end, group_by, gap)
    assert len(counter.statements) == 1, counter.statements
    assert len({s.key for s in result}) == len(result)
    return {s.key: (s.label, s.points) for s in result}


@pytest.mark.parametrize("group_by", list(LabourGroupBy))
@pytest.mark.parametrize("seed", [11, 12, 13])
async def test_series_matches_python(
    seed: int, group_by: LabourGroupBy, make_account: MakeAccount, count_statements: Counter
) -> None:
    reporter = await make_account(Role.SITE_MANAGER, "site")
    sites = await _random_zone(seed, reporter.user)
    rng = random.Random(seed * 7)
    subset = sorted(rng.sample([s.id for s in sites], 5))
    unknown = max(s.id for s in sites) + 1000
    for ids in (None, subset, [*subset, unknown]):
        for gap in GAPS:
            actual = await _series(count_statements, ids, START, END, group_by, gap)
            expected = _expected(sites, ids, START, END, group_by, gap)
            assert actual.keys() == expected.keys(), (ids, gap)
            for key, (label, points) in expected.items():
                assert actual[key][0] == label, (ids, gap, key)
                assert actual[key][1] == points, (ids, gap, key)
            for _, points in actual.values():
                for point in points:
                    if point.workers_needed:
                        assert point.on_site_rate == point.workers_on_site / point.workers_needed
                    else:
                        assert point.on_site_rate is None
                    if point.projects_expected:
                        assert point.resumption_rate == (
                            point.projects_resumed / point.projects_expected
                        )
                    else:
                        assert point.resumption_rate is None


async def test_rates_are_none_without_a_denominator(
    make_account: MakeAccount, count_statements: Counter
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "site")).user
    working = await factories.project("W-1", status=UC, responsible_unit="甲")
    planned = await factories.project("W-2", status=ProjectStatus.PLANNED, responsible_unit="乙")
    await factories.daily_report(working, reporter, START, needed=0, on_site=5)
    await factories.daily_report(planned, reporter, START, needed=10, on_site=4)
    series = await _series(
        count_statements,
        None,
        START,
        START + dt.timedelta(days=1),
        LabourGroupBy.RESPONSIBLE_UNIT,
        3,
    )
    first, second = series["甲"][1]
    assert (first.workers_needed, first.workers_on_site, first.on_site_rate) == (0, 5, None)
    assert (first.projects_expected, first.projects_resumed, first.resumption_rate) == (1, 1, 1.0)
    assert (second.projects_reporting, second.on_site_rate, second.resumption_rate) == (
        0,
        None,
        1.0,
    )
    only_planned = series["乙"][1][0]
    assert only_planned.on_site_rate == 0.4
    assert (only_planned.projects_expected, only_planned.resumption_rate) == (0, None)
    assert LabourPoint(START, 0, 0, 0, 0, 0).on_site_rate is None
    assert LabourPoint(START, 0, 0, 0, 0, 0).resumption_rate is None
    assert LabourPoint(START, 8, 6, 1, 4, 3).on_site_rate == 0.75
    assert LabourPoint(START, 8, 6, 1, 4, 3).resumption_rate == 0.75


async def test_groups_without_reports_have_every_day(count_statements: Counter) -> None:
    await factories.project("Q-1", status=UC, town=None)
    await factories.project("Q-2", status=ProjectStatus.SUSPENDED, town="东环街道")
    series = await _series(count_statements, None, START, END, LabourGroupBy.TOWN, 3)
    assert series == {
        "": (NO_TOWN, tuple(LabourPoint(day, 0, 0, 0, 1, 0) for day in _days(START, END))),
        "东环街道": (
            "东环街道",
            tuple(LabourPoint(day, 0, 0, 0, 0, 0) for day in _days(START, END)),
        ),
    }


async def test_an_empty_town_is_labelled_as_no_town(count_statements: Counter) -> None:
    await factories.project("E-1", status=UC, town="")
    await factories.project("E-2", status=UC, town=None)
    series = await _series(count_statements, None, START, START, LabourGroupBy.TOWN, 3)
    assert series == {"": (NO_TOWN, (LabourPoint(START, 0, 0, 0, 2, 0),))}


@pytest.mark.parametrize("projects", [0, 1, 40])
async def test_one_statement_whatever_the_number_of_projects(
    projects: int, make_account: MakeAccount, count_statements: Counter
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "site")).user
    programme = await factories.programme()
    ids = []
    for number in range(projects):
        project = await factories.project(f"N-{number:02d}", programmes=(programme,), status=UC)
        await factories.daily_report(project, reporter, START + dt.timedelta(days=number % 5))
        ids.append(project.id)
    for group_by in LabourGroupBy:
        series = await _series(count_statements, None, START, END, group_by, 3)
        assert len(series) == (1 if projects else 0)
        if ids:
            assert await _series(count_statements, ids, START, END, group_by, 3) == series


@pytest.mark.parametrize("gap", GAPS)
@pytest.mark.parametrize("seed", [21, 22])
async def test_resumed_on_agrees_with_the_series(
    seed: int, gap: int, make_account: MakeAccount, count_statements: Counter
) -> None:
    reporter = await make_account(Role.SITE_MANAGER, "site")
    sites = await _random_zone(seed, reporter.user)
    with count_statements() as counter:
        worker_days = await worker_days_of([s.id for s in sites], FIRST_REPORT)
    assert len(counter.statements) == 1
    for site in sites:
        assert sorted(worker_days.get(site.id, [])) == sorted(
            day for day, (_, on_site) in site.reports.items() if on_site > 0
        )
    # From the day before the first report, so every stretch of resumed days starts inside.
    before = FIRST_REPORT - dt.timedelta(days=1)
    for site in sites:
        series = await _series(count_statements, [site.id], before, END, LabourGroupBy.ZONE, gap)
        (_, points), *_ = series.values()
        assert points[0].projects_resumed == 0
        stretch_start: dt.date | None = None
        for point in points:
            resumed = point.projects_resumed == 1
            assert point.projects_resumed in (0, 1)
            stretch_start = (stretch_start or point.date) if resumed else None
            answer = resumed_on(worker_days.get(site.id, []), site.status, point.date, gap)
            assert (answer is not None) == resumed, (site, point)
            assert answer == stretch_start, (site, point)
            if site.status != UC:
                assert answer is None and point.projects_expected == 0


T = dt.date(2020, 3, 15)


def _ago(*days: int) -> list[dt.date]:
    return [T - dt.timedelta(days=d) for d in days]


@pytest.mark.parametrize(
    ("worker_days", "status", "gap", "expected"),
    [
        ([], UC, 3, None),
        (_ago(0), UC, 3, T),
        (_ago(2), UC, 3, T - dt.timedelta(days=2)),
        (_ago(3), UC, 3, None),  # the last worker day gap_days before today: not resumed
        (_ago(30), UC, 3, None),
        (_ago(5, 2), UC, 3, T - dt.timedelta(days=5)),  # exactly gap_days apart: one run
        (_ago(6, 2), UC, 3, T - dt.timedelta(days=2)),  # more than gap_days apart: split
        (_ago(10, 7, 4, 1), UC, 3, T - dt.timedelta(days=10)),
        (_ago(11, 7, 4, 1), UC, 3, T - dt.timedelta(days=7)),
        (_ago(1, 4, 4, 7, 11), UC, 3, T - dt.timedelta(days=7)),  # any order, duplicates
        (_ago(20, 19, 18, 10, 7, 0), UC, 7, T - dt.timedelta(days=10)),
        (_ago(20, 19, 18, 11, 7, 0), UC, 7, T - dt.timedelta(days=20)),
        (_ago(8, 0), UC, 7, T),
        (_ago(-1), UC, 3, None),  # future days ignored
        (_ago(-1, -2, 1), UC, 3, T - dt.timedelta(days=1)),
        (_ago(8, -1, -2), UC, 3, None),
        (_ago(5, -1), UC, 3, None),
        (_ago(1, 0), UC, 1, T - dt.timedelta(days=1)),  # gap 1: consecutive days, one run
        (_ago(2, 0), UC, 1, T),
        (_ago(1), UC, 1, None),
        (_ago(0), ProjectStatus.SUSPENDED, 3, None),
        (_ago(2, 1, 0), ProjectStatus.PLANNED, 3, None),
        (_ago(0), ProjectStatus.COMPLETED, 3, None),
    ],
)
def test_resumed_on(
    worker_days: list[dt.date], status: ProjectStatus, gap: int, expected: dt.date | None
) -> None:
    assert resumed_on(worker_days, status, T, gap) == expected
    assert resumed_on(tuple(reversed(worker_days)), status, T, gap) == expected


async def test_worker_days_of_keeps_days_with_workers_from_since(
    make_account: MakeAccount, count_statements: Counter
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "site")).user
    first = await factories.project("D-1", status=UC)
    second = await factories.project("D-2", status=UC)
    other = await factories.project("D-3", status=UC)
    await factories.daily_report(first, reporter, START - dt.timedelta(days=1), on_site=3)
    await factories.daily_report(first, reporter, START, on_site=3)
    await factories.daily_report(first, reporter, START + dt.timedelta(days=1), on_site=0)
    await factories.daily_report(first, reporter, START + dt.timedelta(days=2), needed=0)
    await factories.daily_report(second, reporter, START, on_site=0)
    await factories.daily_report(other, reporter, START, on_site=9)
    with count_statements() as counter:
        found = await worker_days_of([first.id, second.id], START)
    assert len(counter.statements) == 1
    assert {k: sorted(v) for k, v in found.items()} == {
        first.id: [START, START + dt.timedelta(days=2)]
    }
    with count_statements() as counter:
        assert await worker_days_of([], START) == {}
    assert counter.statements == []


async def test_bad_spans_are_refused(count_statements: Counter) -> None:
    await factories.project("S-1", status=UC)
    with count_statements() as counter:
        with pytest.raises(ValueError):
            await labour_series(None, START, START - dt.timedelta(days=1), LabourGroupBy.ZONE, 3)
        too_long = START + dt.timedelta(days=MAX_SERIES_DAYS)
        for ids in (None, [1], []):
            with pytest.raises(ValueError):
                await labour_series(ids, START, too_long, LabourGroupBy.TOWN, 3)
        for group_by in LabourGroupBy:
            assert await labour_series([], START, END, group_by, 3) == []
            assert await labour_series((), START, START, group_by, 3) == []
    assert counter.statements == []


async def test_the_longest_span_runs(make_account: MakeAccount, count_statements: Counter) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "site")).user
    project = await factories.project("M-1", status=UC, programmes=(await factories.programme(),))
    last = START + dt.timedelta(days=MAX_SERIES_DAYS - 1)
    await factories.daily_report(project, reporter, last, needed=4, on_site=2)
    for group_by in LabourGroupBy:
        series = await _series(count_statements, [project.id], START, last, group_by, 3)
        ((_, points),) = series.values()
        assert len(points) == MAX_SERIES_DAYS
        assert [p.date for p in points] == _days(START, last)
        assert points[-1] == LabourPoint(last, 4, 2, 1, 1, 1)
        assert sum(p.projects_resumed for p in points) == 1
