"""Labour alerts (缺工预警): the streaks of low reports checked against a plain Python reading of
the docstring of `labour_alerts`, their agreement with the series, and the office's
notification when a filing starts one."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from graphql_relay import to_global_id
from tortoise.transactions import in_transaction

from server.domain import daily_reports
from server.domain.access import Access
from server.domain.daily_reports import ReportDraft, TradeCount
from server.domain.labour import (
    LABOUR_ALERT,
    AlertRule,
    LabourAlert,
    LabourGroupBy,
    labour_alerts,
    labour_series,
)
from server.domain.models import (
    OPEN_STATUSES,
    DailyReport,
    DailyReportTrade,
    Notification,
    Project,
    ProjectStatus,
    Role,
    Severity,
    ShortageKind,
    ShortageTicket,
    TicketStatus,
    Trade,
    User,
)
from server.domain.schedule import EARLIEST_DATE
from tests import factories
from tests.conftest import MakeAccount

START = dt.date(2020, 3, 1)
SPAN = 20  # days with reports: START .. START + 19
RULES = ((70, 3), (50, 2), (90, 1), (70, 1), (30, 4), (100, 2))
UC = ProjectStatus.UNDER_CONSTRUCTION
CLOSED_STATUSES = tuple(s for s in TicketStatus if s not in OPEN_STATUSES)
TRADE_ORDER = {trade: index for index, trade in enumerate(Trade)}
Counter = Callable[[], Any]
Seen = tuple[int, dt.date, int, int, dt.date, int, int, tuple[tuple[Trade, int, int], ...]]


@dataclass
class Site:
    """What the test knows of one project, kept apart from the database."""

    id: int
    status: ProjectStatus
    labour_open: bool  # an open LABOUR ticket
    reports: dict[dt.date, tuple[int, int]] = field(default_factory=dict)  # needed, on site
    trades: dict[dt.date, list[tuple[Trade, int, int]]] = field(default_factory=dict)
    report_ids: dict[dt.date, int] = field(default_factory=dict)


def _low(needed: int, on_site: int, percent: int) -> bool:
    """Workers were needed and fewer than `percent` % of them came."""
    return needed > 0 and on_site * 100 < percent * needed


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` cut into `parts` non-negative numbers."""
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]


def _counts(rng: random.Random, low_phase: bool) -> tuple[int, int]:
    """A report's (needed, on site): mostly low in a low phase, mostly high otherwise, with
    days that needed nobody and days exactly at the thresholds."""
    if rng.random() < 0.07:
        return 0, rng.randint(0, 6)  # nobody needed (sometimes workers anyway)
    if rng.random() < 0.12:
        needed = rng.choice((10, 20, 30))
        return needed, needed * rng.choice((30, 50, 70, 90, 100)) // 100  # on a threshold
    needed = rng.randint(1, 40)
    if low_phase:
        return needed, rng.randint(0, needed * 65 // 100)
    return needed, rng.randint(needed * 7 // 10, needed + 5)


def _report_days(
    rng: random.Random,
) -> tuple[dict[dt.date, tuple[int, int]], dict[dt.date, list[tuple[Trade, int, int]]]]:
    """About twenty days of reports in low and high runs, some days missing; their trades."""
    reports: dict[dt.date, tuple[int, int]] = {}
    trades: dict[dt.date, list[tuple[Trade, int, int]]] = {}
    phases: list[bool] = []  # low or not, day by day
    low_phase = rng.random() < 0.5
    while len(phases) < SPAN:
        phases += [low_phase] * (rng.randint(2, 7) if low_phase else rng.randint(1, 4))
        low_phase = not low_phase
    if rng.random() < 0.6:  # end on a low run, as the alerts look at the latest reports
        ending = rng.randint(1, 7)
        phases[SPAN - ending : SPAN] = [True] * ending
    for index, low_phase in enumerate(phases[:SPAN]):
        if rng.random() < 0.15:
            continue  # no report that day: a streak counts reports, not calendar days
        day = START + dt.timedelta(days=index)
        needed, on_site = _counts(rng, low_phase)
        reports[day] = (needed, on_site)
        chosen = sorted(rng.sample(list(Trade), rng.randint(1, 3)), key=TRADE_ORDER.__getitem__)
        trades[day] = list(
            zip(
                chosen,
                _split(rng, needed, len(chosen)),
                _split(rng, on_site, len(chosen)),
                strict=True,
            )
        )
    return reports, trades


async def _ticket(project: Project, reporter: User, kind: ShortageKind, status: TicketStatus):
    if kind is ShortageKind.LABOUR:
        return await factories.ticket(project, reporter, Severity.MEDIUM, status)
    return await ShortageTicket.create(
        number=f"MAT-T-{project.id}-{status.value}",
        project=project,
        kind=ShortageKind.MATERIAL,
        title="缺水泥",
        status=status,
        reporter=reporter,
        material="水泥",
    )


async def _random_zone(seed: int, reporter: User) -> list[Site]:
    """Twelve projects of mixed statuses and tickets, about twenty days of reports each."""
    rng = random.Random(seed)
    statuses = [UC] * 7 + [
        ProjectStatus.PLANNED,
        ProjectStatus.SUSPENDED,
        ProjectStatus.SUSPENDED,
        ProjectStatus.COMPLETED,
        ProjectStatus.COMPLETED,
    ]
    rng.shuffle(statuses)
    setups = ["labour-open"] * 4 + ["labour-closed"] * 3 + ["material"] * 2 + ["none"] * 3
    rng.shuffle(setups)
    sites = []
    for number, (status, setup) in enumerate(zip(statuses, setups, strict=True)):
        project = await factories.project(f"A-{seed}-{number:02d}", status=status)
        labour_open = setup == "labour-open"
        if labour_open:
            open_status = rng.choice(OPEN_STATUSES)
            await _ticket(project, reporter, ShortageKind.LABOUR, open_status)
            if rng.random() < 0.5:  # a closed one too does not matter
                await _ticket(project, reporter, ShortageKind.LABOUR, rng.choice(CLOSED_STATUSES))
        elif setup == "labour-closed":
            for status_ in rng.sample(CLOSED_STATUSES, rng.randint(1, 2)):
                await _ticket(project, reporter, ShortageKind.LABOUR, status_)
        elif setup == "material":
            await _ticket(project, reporter, ShortageKind.MATERIAL, rng.choice(OPEN_STATUSES))
        if number == 0:
            reports, trades = {}, {}  # one project never reports
        else:
            reports, trades = _report_days(rng)
        sites.append(Site(project.id, status, labour_open, reports, trades))
    await DailyReport.bulk_create(
        [
            DailyReport(
                project_id=site.id,
                date=day,
                workers_needed=needed,
                workers_on_site=on_site,
                reported_by=reporter,
            )
            for site in sites
            for day, (needed, on_site) in site.reports.items()
        ]
    )
    by_id = {site.id: site for site in sites}
    for row in await DailyReport.all().values("id", "project_id", "date"):
        by_id[row["project_id"]].report_ids[_day(row["date"])] = row["id"]
    await DailyReportTrade.bulk_create(
        [
            DailyReportTrade(
                report_id=site.report_ids[day], trade=trade, needed=needed, on_site=on_site
            )
            for site in sites
            for day, rows in site.trades.items()
            for trade, needed, on_site in rows
        ]
    )
    return sites


def _day(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _trailing_low(site: Site, percent: int) -> list[dt.date]:
    """The days of the project's latest reports in a row that were low, newest first."""
    streak = []
    for day in sorted(site.reports, reverse=True):
        if not _low(*site.reports[day], percent):
            break
        streak.append(day)
    return streak


def _expected(
    sites: Sequence[Site],
    ids: Sequence[int] | None,
    percent: int,
    days: int,
    *,
    ignore_status_and_tickets: bool = False,
) -> list[Seen]:
    """The alerts the docstring of `labour_alerts` describes, worked out in Python."""
    found = []
    for site in sites:
        if ids is not None and site.id not in ids:
            continue
        if not ignore_status_and_tickets and (site.status != UC or site.labour_open):
            continue
        streak = _trailing_low(site, percent)
        if not streak or len(streak) < days:
            continue
        latest = streak[0]
        needed, on_site = site.reports[latest]
        short = tuple(t for t in site.trades[latest] if t[2] < t[1])
        found.append(
            (
                site.id,
                streak[-1],
                len(streak),
                site.report_ids[latest],
                latest,
                needed,
                on_site,
                short,
            )
        )
    return sorted(found, key=lambda seen: (seen[1], seen[0]))


def _seen(alert: LabourAlert) -> Seen:
    """An alert as comparable plain values, checking what ties its parts together."""
    latest = alert.latest
    assert latest.project_id == alert.project_id
    assert all(t.report_id == latest.id for t in alert.short_trades)
    assert alert.on_site_rate == latest.workers_on_site / latest.workers_needed
    return (
        alert.project_id,
        alert.since,
        alert.days,
        latest.id,
        latest.date,
        latest.workers_needed,
        latest.workers_on_site,
        tuple((t.trade, t.needed, t.on_site) for t in alert.short_trades),
    )


async def _alerts(
    count_statements: Counter, ids: Sequence[int] | None, percent: int, days: int
) -> list[LabourAlert]:
    """labour_alerts, checked to run in three statements (one when nothing is alerted)."""
    with count_statements() as counter:
        found = await labour_alerts(ids, percent, days)
    assert len(counter.statements) == (3 if found else 1), counter.statements
    return found


SEEDS = [38, 42, 46]


@pytest.mark.parametrize("seed", SEEDS)
async def test_alerts_match_python(
    seed: int, make_account: MakeAccount, count_statements: Counter
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "site")).user
    sites = await _random_zone(seed, reporter)
    rng = random.Random(seed * 7)
    ids = [s.id for s in sites]
    unknown = max(ids) + 1000
    subsets: list[list[int] | None] = [
        None,
        sorted(rng.sample(ids, 5)),
        [*sorted(rng.sample(ids, 6)), unknown],
        [unknown],
    ]
    alerted = 0
    blocked = 0
    for percent, days in RULES:
        for subset in subsets:
            actual = [_seen(a) for a in await _alerts(count_statements, subset, percent, days)]
            expected = _expected(sites, subset, percent, days)
            assert actual == expected, (percent, days, subset)
            alerted += len(expected)
            if subset is None:
                wider = _expected(sites, None, percent, days, ignore_status_and_tickets=True)
                blocked += len(wider) - len(expected)
    # The data exercises both sides: streaks alerted, and streaks held back by a status or an
    # open LABOUR ticket; and the usual rule finds a streak of three or more.
    assert alerted and blocked
    assert _expected(sites, None, 70, 3)


@pytest.mark.parametrize("seed", SEEDS)
async def test_alerts_agree_with_the_series(
    seed: int, make_account: MakeAccount, count_statements: Counter
) -> None:
    """The trailing low streak read off a one-project series is the alert's."""
    reporter = (await make_account(Role.SITE_MANAGER, "site")).user
    sites = await _random_zone(seed, reporter)
    before = START - dt.timedelta(days=1)
    end = START + dt.timedelta(days=SPAN)
    for percent, days in RULES:
        alerts = {a.project_id: a for a in await _alerts(count_statements, None, percent, days)}
        for site in sites:
            if site.status != UC or site.labour_open:
                assert site.id not in alerts
                continue
            for group_by in (LabourGroupBy.ZONE, LabourGroupBy.TOWN):
                (series,) = await labour_series([site.id], before, end, group_by, 3)
                reporting = [p for p in series.points if p.projects_reporting == 1]
                streak = []
                for point in reversed(reporting):
                    rate = point.on_site_rate
                    if rate is None or rate >= percent / 100:
                        break
                    streak.append(point)
                alert = alerts.get(site.id)
                if len(streak) >= days and streak:
                    assert alert is not None, (site, percent, days)
                    assert alert.days == len(streak)
                    assert alert.since == streak[-1].date
                    assert alert.latest.date == reporting[-1].date == streak[0].date
                    assert alert.on_site_rate == streak[0].on_site_rate
                    assert alert.on_site_rate < percent / 100
                    if len(streak) < len(reporting):  # the report before the streak was not low
                        earlier = reporting[-len(streak) - 1]
                        assert earlier.date < alert.since
                        rate = earlier.on_site_rate
                        assert rate is None or rate >= percent / 100
                else:
                    assert alert is None, (site, percent, days)


@pytest.mark.parametrize("projects", [0, 1, 25])
async def test_statements_do_not_grow_with_the_projects(
    projects: int, make_account: MakeAccount, count_statements: Counter
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "site")).user
    ids = []
    for number in range(projects):
        project = await factories.project(f"N-{number:02d}", status=UC)
        for offset in range(3):
            day = START + dt.timedelta(days=offset + number % 4)
            await factories.daily_report(project, reporter, day, needed=10, on_site=offset)
        ids.append(project.id)
    everyone = await _alerts(count_statements, None, 70, 3)
    assert sorted(a.project_id for a in everyone) == ids
    assert all(a.days == 3 and len(a.short_trades) == 1 for a in everyone)
    assert [(a.since, a.project_id) for a in everyone] == sorted(
        (a.since, a.project_id) for a in everyone
    )
    if ids:
        assert await _alerts(count_statements, ids, 70, 3) == everyone
    assert await _alerts(count_statements, None, 70, 4) == []


async def test_an_empty_list_of_projects_runs_nothing(
    make_account: MakeAccount, count_statements: Counter
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "site")).user
    project = await factories.project("E-1", status=UC)
    await factories.daily_report(project, reporter, START, needed=10, on_site=0)
    with count_statements() as counter:
        assert await labour_alerts([], 70, 1) == []
        assert await labour_alerts((), 90, 1) == []
    assert counter.statements == []
    assert [a.project_id for a in await _alerts(count_statements, None, 70, 1)] == [project.id]


async def test_reports_that_needed_nobody_never_alert(
    make_account: MakeAccount, count_statements: Counter
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "site")).user
    idle = await factories.project("Z-1", status=UC)
    for offset in range(6):
        day = START + dt.timedelta(days=offset)
        await factories.daily_report(idle, reporter, day, needed=0, on_site=offset % 2)
    for percent in (1, 50, 70, 100, 1000):
        for days in (1, 2, 6):
            assert await _alerts(count_statements, None, percent, days) == []
            assert await _alerts(count_statements, [idle.id], percent, days) == []
    # A day that needed nobody ends a streak: the alert counts only the reports after it.
    await factories.daily_report(idle, reporter, START + dt.timedelta(days=6), needed=8, on_site=1)
    (alert,) = await _alerts(count_statements, None, 70, 1)
    assert (alert.since, alert.days) == (START + dt.timedelta(days=6), 1)


@pytest.mark.parametrize(
    "status", [ProjectStatus.SUSPENDED, ProjectStatus.PLANNED, ProjectStatus.COMPLETED]
)
async def test_only_projects_under_construction_are_alerted(
    status: ProjectStatus, make_account: MakeAccount, count_statements: Counter
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "site")).user
    resting = await factories.project("S-1", status=status)
    working = await factories.project("S-2", status=UC)
    for offset in range(5):
        day = START + dt.timedelta(days=offset)
        await factories.daily_report(resting, reporter, day, needed=20, on_site=0)
        await factories.daily_report(working, reporter, day + dt.timedelta(days=1), on_site=0)
    for percent, days in RULES:
        found = await _alerts(count_statements, None, percent, days)
        assert [a.project_id for a in found] == ([working.id] if days <= 5 else [])
        assert await _alerts(count_statements, [resting.id], percent, days) == []
    await Project.filter(id=resting.id).update(status=UC)
    found = await _alerts(count_statements, None, 70, 3)
    assert [(a.project_id, a.since, a.days) for a in found] == [
        (resting.id, START, 5),
        (working.id, START + dt.timedelta(days=1), 5),
    ]


async def test_the_threshold_itself_is_not_low(
    make_account: MakeAccount, count_statements: Counter
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "site")).user
    project = await factories.project("T-1", status=UC)
    await factories.daily_report(project, reporter, START, needed=10, on_site=7)
    await factories.daily_report(project, reporter, START + dt.timedelta(days=1), on_site=12)
    assert await _alerts(count_statements, None, 60, 1) == []  # 12 of 20 is 60 %
    (alert,) = await _alerts(count_statements, None, 70, 1)  # 7 of 10 is 70 %: not low
    assert (alert.since, alert.days) == (START + dt.timedelta(days=1), 1)
    (alert,) = await _alerts(count_statements, None, 71, 2)
    assert (alert.since, alert.days, alert.on_site_rate) == (START, 2, 0.6)


async def test_tickets_that_hold_an_alert_back(
    make_account: MakeAccount, count_statements: Counter
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "site")).user
    project = await factories.project("K-1", status=UC)
    for offset in range(3):
        day = START + dt.timedelta(days=offset)
        await factories.daily_report(project, reporter, day, needed=10, on_site=2)
    for status in CLOSED_STATUSES:
        await _ticket(project, reporter, ShortageKind.LABOUR, status)
    await _ticket(project, reporter, ShortageKind.MATERIAL, TicketStatus.OPEN)
    assert len(await _alerts(count_statements, None, 70, 3)) == 1
    ticket = await _ticket(project, reporter, ShortageKind.LABOUR, TicketStatus.OPEN)
    for status in OPEN_STATUSES:
        await ShortageTicket.filter(id=ticket.id).update(status=status)
        assert await _alerts(count_statements, None, 70, 3) == [], status
    await ShortageTicket.filter(id=ticket.id).update(status=TicketStatus.RESOLVED)
    assert len(await _alerts(count_statements, None, 70, 3)) == 1


async def test_a_report_on_the_first_day_of_the_calendar_counts(
    make_account: MakeAccount, count_statements: Counter
) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "site")).user
    project = await factories.project("F-1", status=UC)
    await factories.daily_report(project, reporter, EARLIEST_DATE, needed=10, on_site=0)
    await factories.daily_report(
        project, reporter, EARLIEST_DATE + dt.timedelta(days=1), needed=10, on_site=0
    )
    (alert,) = await _alerts(count_statements, None, 70, 1)
    assert (alert.since, alert.days) == (EARLIEST_DATE, 2)


# --- the office's notification ------------------------------------------------------------

CREATED = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 2)
RULE = AlertRule(70, 3)


@dataclass
class Office:
    """A project with its site manager, and the users who should or should not hear."""

    project: Project
    manager: User
    told: list[int]  # the active office users


async def _office(make_account: MakeAccount, status: ProjectStatus = UC) -> Office:
    manager = (await make_account(Role.SITE_MANAGER, "site")).user
    told = [(await make_account(Role.OFFICE, f"office{n}")).user.id for n in range(2)]
    await make_account(Role.OFFICE, "retired", is_active=False)
    for role in (Role.ADMIN, Role.SUPERVISOR, Role.COORDINATOR, Role.SITE_MANAGER):
        await make_account(role)
    project = await factories.project("LA-1", status=status, created_at=CREATED)
    await project.site_managers.add(manager)
    return Office(project, manager, told)


async def _file(
    office: Office,
    day: dt.date,
    workforce: Sequence[tuple[Trade, int, int]],
    rule: AlertRule | None = RULE,
) -> int:
    """File (or amend) the day's report in its own transaction, as the mutation does."""
    draft = ReportDraft(
        office.project.id, day, [TradeCount(t, needed, on_site) for t, needed, on_site in workforce]
    )
    async with in_transaction():
        row = await daily_reports.file_report(
            Access(office.manager), draft, today=day, alert_rule=rule
        )
    return row.id


def _low_day(needed: int = 10, on_site: int = 5) -> list[tuple[Trade, int, int]]:
    return [(Trade.REBAR, needed, on_site), (Trade.CONCRETE, 4, 4)]


async def _told() -> list[tuple[int, str | None]]:
    """Every labour-alert notification as (user, subject), in a stable order."""
    rows = await Notification.filter(kind=LABOUR_ALERT).values_list("user_id", "subject_id")
    return sorted(rows)


def _to_each(office: Office, report_id: int) -> list[tuple[int, str]]:
    subject = to_global_id("DailyReport", str(report_id))
    return sorted((user_id, subject) for user_id in office.told)


async def test_the_office_hears_once_when_an_alert_starts(make_account: MakeAccount) -> None:
    office = await _office(make_account)
    day = [DAY + dt.timedelta(days=n) for n in range(14)]
    start = await _file(office, day[0], _low_day())
    await _file(office, day[1], _low_day(on_site=2))
    assert await _told() == []
    third = await _file(office, day[2], _low_day())  # (5 + 4) / (10 + 4) = 64 %
    first = _to_each(office, start)  # an alert is known by its streak's first report
    assert await _told() == first
    messages = await Notification.filter(kind=LABOUR_ALERT).values_list("message", flat=True)
    project = office.project
    assert set(messages) == {
        f"{project.code} {project.name}: 到岗率 64%, below 70% for 3 reports in a row"
        f" since {day[0].isoformat()}."
    }
    # Amending the third report, still low, and filing a fourth low one: no news.
    assert await _file(office, day[2], _low_day(on_site=1)) == third
    await _file(office, day[3], _low_day(on_site=3))
    assert await _told() == first
    # A good report ends the streak; a new one is told again, its reports days apart.
    await _file(office, day[4], _low_day(on_site=10))
    restart = await _file(office, day[6], _low_day())
    await _file(office, day[9], _low_day())
    assert await _told() == first
    await _file(office, day[13], _low_day())
    assert await _told() == sorted([*first, *_to_each(office, restart)])


async def test_a_day_that_needed_nobody_restarts_the_count(make_account: MakeAccount) -> None:
    office = await _office(make_account)
    day = [DAY + dt.timedelta(days=n) for n in range(6)]
    await _file(office, day[0], _low_day())
    await _file(office, day[1], _low_day())
    await _file(office, day[2], [(Trade.REBAR, 0, 0)])
    start = await _file(office, day[3], _low_day())
    await _file(office, day[4], _low_day())
    assert await _told() == []
    await _file(office, day[5], _low_day())
    assert await _told() == _to_each(office, start)


async def test_no_news_without_a_rule_or_while_a_labour_ticket_is_open(
    make_account: MakeAccount,
) -> None:
    office = await _office(make_account)
    day = [DAY + dt.timedelta(days=n) for n in range(8)]
    for n in range(3):
        await _file(office, day[n], _low_day(), rule=None)
    assert await _told() == []
    await _file(office, day[3], _low_day(on_site=9))  # the streak ends
    ticket = await _ticket(office.project, office.manager, ShortageKind.LABOUR, TicketStatus.OPEN)
    streak = [await _file(office, day[n], _low_day()) for n in range(4, 7)]
    assert await _told() == []  # the office knows already: the site asked for workers
    await ShortageTicket.filter(id=ticket.id).update(status=TicketStatus.CLOSED)
    # With the ticket closed the streak is an alert, and the next filing tells the office.
    await _file(office, day[7], _low_day())
    assert await _told() == _to_each(office, streak[0])


async def test_an_open_material_ticket_does_not_hold_the_news_back(
    make_account: MakeAccount,
) -> None:
    office = await _office(make_account)
    await _ticket(office.project, office.manager, ShortageKind.MATERIAL, TicketStatus.OPEN)
    await _ticket(office.project, office.manager, ShortageKind.LABOUR, TicketStatus.RESOLVED)
    ids = [await _file(office, DAY + dt.timedelta(days=n), _low_day()) for n in range(3)]
    assert await _told() == _to_each(office, ids[0])


async def test_a_suspended_project_is_not_told(make_account: MakeAccount) -> None:
    office = await _office(make_account, ProjectStatus.SUSPENDED)
    for n in range(4):
        await _file(office, DAY + dt.timedelta(days=n), _low_day())
    assert await _told() == []


async def test_another_rule(make_account: MakeAccount) -> None:
    office = await _office(make_account)
    rule = AlertRule(50, 2)
    await _file(office, DAY, _low_day(on_site=3), rule=rule)  # 7 / 14 = 50 %: not low
    start = await _file(office, DAY + dt.timedelta(days=1), _low_day(on_site=2), rule=rule)
    assert await _told() == []
    await _file(office, DAY + dt.timedelta(days=2), _low_day(on_site=2), rule=rule)
    assert await _told() == _to_each(office, start)


async def test_a_day_filed_late_that_completes_a_streak_tells_the_office(
    make_account: MakeAccount,
) -> None:
    """Whichever report completes a streak tells the office, the newest or a day filed late;
    an amendment that completes one tells it too."""
    office = await _office(make_account)
    day = [DAY + dt.timedelta(days=n) for n in range(8)]
    start = await _file(office, day[0], _low_day())
    await _file(office, day[2], _low_day())
    assert await _told() == []
    draft = ReportDraft(office.project.id, day[1], [TradeCount(Trade.REBAR, 10, 1)])
    async with in_transaction():  # the missing day, filed the next day: the second in a row
        await daily_reports.file_report(
            Access(office.manager), draft, today=day[2], alert_rule=RULE
        )
    assert [(a.since, a.days) for a in await labour_alerts([office.project.id], 70, 3)] == [
        (day[0], 3)
    ]
    first = _to_each(office, start)
    assert await _told() == first
    await _file(office, day[4], _low_day(on_site=10))  # a good report ends the streak
    restart = await _file(office, day[5], _low_day())
    await _file(office, day[6], _low_day())
    await _file(office, day[7], _low_day(on_site=10))
    assert await _told() == first
    await _file(office, day[7], _low_day())  # amended: now the third low in a row
    assert await _told() == sorted([*first, *_to_each(office, restart)])
