"""The demo daily reports (a month of recovery, a few projects lagging) and the scale seed's."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from server.demo import seed_demo
from server.demo.daily_reports import DAYS, Site, site_reports, zone_weather
from server.demo.scale import ScaleGenerator, seed_scale
from server.demo.scale.daily_reports import REPORT_DAYS
from server.domain.clock import zone_today
from server.domain.models import DailyReport, DailyReportTrade, Project, ProjectStatus
from server.settings import Settings


async def _totals_match_trades() -> None:
    """Every report's workers needed and on site are the sums of its trades'."""
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for trade in await DailyReportTrade.all():
        sums[trade.report_id][0] += trade.needed
        sums[trade.report_id][1] += trade.on_site
    for report in await DailyReport.all():
        assert sums[report.id] == [report.workers_needed, report.workers_on_site], report.id
        assert report.workers_on_site >= 0


async def test_demo_reports_tell_a_recovery_with_laggards(settings: Settings) -> None:
    created = await seed_demo(settings)
    today = zone_today(settings.zone)
    reports = await DailyReport.all().order_by("date").prefetch_related("project")
    assert reports and any("daily reports" in name for name in created)
    assert {r.project.status for r in reports} == {ProjectStatus.UNDER_CONSTRUCTION}
    assert min(r.date for r in reports) == today - dt.timedelta(days=DAYS)
    assert max(r.date for r in reports) == today - dt.timedelta(days=1)
    working = await Project.filter(status=ProjectStatus.UNDER_CONSTRUCTION).count()
    assert len({r.project_id for r in reports}) == working

    needed: dict[dt.date, int] = defaultdict(int)
    on_site: dict[dt.date, int] = defaultdict(int)
    for report in reports:
        needed[report.date] += report.workers_needed
        on_site[report.date] += report.workers_on_site
    rates = [on_site[day] / needed[day] for day in sorted(needed)]
    first_week, last_week = rates[:7], rates[-7:]
    assert sum(first_week) / 7 < sum(last_week) / 7
    assert rates[0] < 0.3 < 0.7 < rates[-1]

    by_project: dict[int, list[DailyReport]] = defaultdict(list)
    for report in reports:
        by_project[report.project_id].append(report)
    lagging = [
        project_id
        for project_id, own in by_project.items()
        if all(r.workers_on_site < 0.7 * r.workers_needed for r in own[-3:])
    ]
    assert 2 <= len(lagging) < len(by_project) / 2
    for report in reports:
        assert report.work_done and report.weather is not None
        assert report.temperature_low is not None and report.temperature_high is not None
        assert report.temperature_low <= report.temperature_high
        assert report.reported_at.date() >= report.date - dt.timedelta(days=1)
    assert any(r.materials_short for r in reports) and any(r.equipment for r in reports)
    assert any(r.problems for r in reports) and any(r.materials_received for r in reports)
    await _totals_match_trades()

    count = len(reports)
    assert await seed_demo(settings) == []
    assert await DailyReport.all().count() == count


async def test_demo_reports_are_deterministic(settings: Settings) -> None:
    today = zone_today(settings.zone)
    project = Project(id=1, code="JK-1090-001", name="徐工高端装备智能制造基地（二期）")
    days = zone_weather(today - dt.timedelta(days=DAYS), DAYS)

    def draw() -> list[tuple[object, ...]]:
        reports = site_reports(Site.of(project, 1), days, settings.zone)
        return [(d.report.date, d.report.work_done, tuple(d.trades)) for d in reports]

    assert draw() == draw()


async def test_scale_seed_reports_sixty_days_of_working_projects(settings: Settings) -> None:
    report = await seed_scale(settings, projects=20, seed=5)
    today = zone_today(settings.zone)
    reports = await DailyReport.all().prefetch_related("project")
    assert report.counts["daily_report"] == len(reports) > 0
    assert report.counts["daily_report_trade"] == await DailyReportTrade.all().count()
    assert {r.project.status for r in reports} == {ProjectStatus.UNDER_CONSTRUCTION}
    days = {r.date for r in reports}
    assert min(days) == today - dt.timedelta(days=REPORT_DAYS)
    assert max(days) == today - dt.timedelta(days=1)
    assert len(days) == REPORT_DAYS
    working = await Project.filter(status=ProjectStatus.UNDER_CONSTRUCTION)
    assert working
    per_project: dict[int, set[dt.date]] = defaultdict(set)
    for r in reports:
        per_project[r.project_id].add(r.date)
    for project in working:
        first = max(project.planned_start, today - dt.timedelta(days=REPORT_DAYS))
        expected = (today - first).days
        assert 0.85 * expected <= len(per_project[project.id]) <= expected, project.code
    await _totals_match_trades()
    assert any(r.workers_on_site < r.workers_needed for r in reports)


def test_scale_generator_reports_are_reproducible() -> None:
    today = dt.date(2026, 11, 26)

    def build(seed: int) -> list[tuple[object, ...]]:
        tables = {t.name: t.rows for t in ScaleGenerator(20, today, "hash", seed).build()}
        return tables["daily_report"]

    first = build(3)
    assert first == build(3)
    assert first != build(4)
