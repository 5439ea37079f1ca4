"""Demo plans: the four programmes of this year, and the demo projects of `roadmaps` written
with their site managers, phases, milestones, dependencies, re-plans and task sheets."""

from __future__ import annotations

import datetime as dt
import decimal

from server.demo.roadmaps import DemoProject, demo_projects
from server.domain.clock import zone_today
from server.domain.models import (
    Milestone,
    MilestoneDependency,
    MilestoneStatus,
    Phase,
    Programme,
    Project,
    Rebaseline,
    TaskItem,
    TaskSheet,
    User,
)
from server.settings import Settings

PROGRAMMES = (
    ("1090", "重大产业项目"),
    ("1050", "重点城建项目"),
    ("1080", "民生实事项目"),
    ("765", "重大计划项目"),
)
EPIDEMIC_REASON = "2020年2月新冠肺炎疫情停工，复工复产后按区指挥部要求重新排定节点"
INDUSTRY_PHASES = ("立项", "规划许可", "施工许可", "开工", "主体施工", "竣工验收", "投产")
URBAN_PHASES = ("立项", "规划许可", "施工许可", "开工", "主体施工", "竣工验收")


async def seed_plans(settings: Settings) -> list[str]:
    """Create the demo programmes and projects that are missing; return what was created."""
    today = zone_today(settings.zone)
    created: list[str] = []
    programmes = {}
    for code, name in PROGRAMMES:
        programme, new = await Programme.get_or_create(
            code=code, year=today.year, defaults={"name": name}
        )
        programmes[code] = programme
        if new:
            created.append(f"programme {code}/{today.year}")
    office = await User.get_or_none(username="office")
    for spec in demo_projects(today):
        if await Project.exists(code=spec.code):
            continue
        await _create_project(spec, programmes, today, office)
        created.append(spec.code)
    return created


async def _create_project(
    spec: DemoProject, programmes: dict[str, Programme], today: dt.date, office: User | None
) -> None:
    steps = spec.steps
    industrial = any("投产" in step.title for step in steps)
    phases_names = INDUSTRY_PHASES if industrial else URBAN_PHASES
    project = await Project.create(
        code=spec.code,
        name=spec.name,
        responsible_unit=spec.unit,
        lead_official=spec.lead,
        town=spec.town,
        latitude=spec.position[0],
        longitude=spec.position[1],
        site_radius_meters=500,
        total_investment=decimal.Decimal(spec.investment),
        status=spec.status,
        planned_start=steps[0].planned,
        planned_finish=steps[-1].planned,
    )
    await project.programmes.add(*(programmes[code] for code in spec.programmes))
    managers = await User.filter(username__in=spec.managers)
    if managers:
        await project.site_managers.add(*managers)
    phases = {}
    for sequence, name in enumerate(phases_names, start=1):
        phases[name] = await Phase.create(project=project, name=name, sequence=sequence)
    previous: Milestone | None = None
    for step in steps:
        milestone = await Milestone.create(
            project=project,
            phase=phases.get(_phase_of(step.title, phases_names)),
            title=step.title,
            baseline_date=step.moved_from or step.planned,
            planned_date=step.planned,
            actual_date=step.done,
            status=MilestoneStatus.DONE if step.done else MilestoneStatus.PENDING,
        )
        if step.moved_from:
            reason = EPIDEMIC_REASON if step.moved_from.year == 2020 else "前置审批延后，重新排期"
            await Rebaseline.create(
                milestone=milestone,
                old_date=step.moved_from,
                new_date=step.planned,
                reason=reason,
                actor=office,
            )
        if previous is not None:
            await MilestoneDependency.create(
                predecessor=previous, successor=milestone, lag_days=step.lag
            )
        previous = milestone
    for phase in phases.values():
        dates = [s.planned for s in steps if _phase_of(s.title, phases_names) == phase.name]
        if dates:
            phase.planned_start = phase.planned_finish = dates[0]
            await phase.save()
    await _task_sheets(spec, project, today)


def _phase_of(title: str, names: tuple[str, ...]) -> str:
    """The roadmap phase a milestone title belongs to."""
    keywords = (
        ("立项", "立项"),
        ("规划许可", "规划许可"),
        ("施工许可", "施工许可"),
        ("开工", "开工"),
        ("验收", "竣工验收"),
        ("投产", "投产"),
    )
    for keyword, phase in keywords:
        if keyword in title and phase in names:
            return phase
    return "主体施工"


async def _task_sheets(spec: DemoProject, project: Project, today: dt.date) -> None:
    target = decimal.Decimal(spec.annual_target)
    revisions = 2 if spec.reissued else 1
    for revision in range(1, revisions + 1):
        factor = decimal.Decimal("1.00") if revision == revisions else decimal.Decimal("1.15")
        sheet = await TaskSheet.create(
            project=project,
            year=today.year,
            revision=revision,
            scope=spec.scope,
            annual_investment_target=(target * factor).quantize(decimal.Decimal("0.01")),
            completed_investment=(target * decimal.Decimal("0.62")).quantize(
                decimal.Decimal("0.01")
            ),
        )
        pending = [s for s in spec.steps if s.done is None]
        for position, step in enumerate(pending[:3] or spec.steps[-1:]):
            await TaskItem.create(
                sheet=sheet,
                position=position,
                title=step.title,
                responsible_unit=spec.unit,
                responsible_person=spec.lead,
                due_date=step.planned,
                done=step.done is not None,
            )
