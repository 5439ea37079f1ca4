"""Small builders of plan rows for tests: programmes, projects, milestones, links, tickets."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from server.domain.models import (
    DailyReport,
    DailyReportTrade,
    Milestone,
    MilestoneDependency,
    MilestoneStatus,
    Phase,
    Programme,
    Project,
    Severity,
    ShortageKind,
    ShortageTicket,
    SupervisionReview,
    TaskItem,
    TaskSheet,
    TicketStatus,
    Trade,
    User,
)

_numbers = itertools.count(1)


async def programme(code: str = "1090", year: int = 2020, name: str = "重大产业项目") -> Programme:
    """A programme."""
    return await Programme.create(code=code, name=name, year=year)


async def project(
    code: str | None = None, *, programmes: tuple[Programme, ...] = (), **fields: Any
) -> Project:
    """A project with sensible defaults, in the given programmes."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "code": code or f"P-{number:04d}",
        "name": f"测试项目 {number}",
        "responsible_unit": "经开区建设局",
        "town": "金山桥街道",
    }
    values.update(fields)
    created = await Project.create(**values)
    if programmes:
        await created.programmes.add(*programmes)
    return created


async def milestone(
    of: Project,
    planned: dt.date,
    *,
    title: str = "开工",
    done_on: dt.date | None = None,
    baseline: dt.date | None = None,
) -> Milestone:
    """A milestone, done when `done_on` is given."""
    return await Milestone.create(
        project=of,
        title=title,
        baseline_date=baseline or planned,
        planned_date=planned,
        actual_date=done_on,
        status=MilestoneStatus.DONE if done_on else MilestoneStatus.PENDING,
    )


async def link(predecessor: Milestone, successor: Milestone, lag: int = 0) -> None:
    """Make `successor` depend on `predecessor`."""
    await MilestoneDependency.create(predecessor=predecessor, successor=successor, lag_days=lag)


async def ticket(
    of: Project,
    reporter: User,
    severity: Severity,
    status: TicketStatus = TicketStatus.OPEN,
    kind: ShortageKind = ShortageKind.LABOUR,
) -> ShortageTicket:
    """A shortage ticket, for labour unless told otherwise (its texts are a labour ticket's)."""
    return await ShortageTicket.create(
        number=f"LAB-T-{next(_numbers):05d}",
        project=of,
        kind=kind,
        title="缺钢筋工",
        severity=severity,
        status=status,
        reporter=reporter,
        trade="钢筋工",
        headcount=10,
    )


async def phase(of: Project, name: str = "施工", sequence: int = 1) -> Phase:
    """A roadmap phase of a project."""
    return await Phase.create(project=of, name=name, sequence=sequence)


async def task_sheet(of: Project, year: int = 2020, *, items: tuple[str, ...] = ()) -> TaskSheet:
    """The first revision of a project's task sheet for `year`, with items of these titles."""
    sheet = await TaskSheet.create(project=of, year=year, revision=1, scope="主体施工")
    for position, title in enumerate(items):
        await TaskItem.create(sheet=sheet, position=position, title=title)
    return sheet


async def review(
    on: Milestone, reviewer: User, respond_by: dt.date | None = None
) -> SupervisionReview:
    """An unanswered supervision instruction on a milestone."""
    return await SupervisionReview.create(
        milestone=on,
        project_id=on.project_id,
        reviewer=reviewer,
        instruction="加快进度",
        respond_by=respond_by,
    )


async def daily_report(
    of: Project, reporter: User, day: dt.date, *, needed: int = 20, on_site: int = 14
) -> DailyReport:
    """A daily report of one trade (rebar) for `day`."""
    report = await DailyReport.create(
        project=of,
        date=day,
        workers_needed=needed,
        workers_on_site=on_site,
        reported_by=reporter,
    )
    await DailyReportTrade.create(report=report, trade=Trade.REBAR, needed=needed, on_site=on_site)
    return report
