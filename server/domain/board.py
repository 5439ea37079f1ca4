"""The programme board: one row per project with its colour, next milestone, delay, tickets
and the year's investment, gathered in a fixed number of statements whatever the row count."""

from __future__ import annotations

import datetime as dt
import decimal
from collections import defaultdict
from dataclasses import dataclass

from tortoise.expressions import Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from server.domain import health
from server.domain.models import (
    OPEN_STATUSES,
    MilestoneStatus,
    Project,
    ShortageTicket,
    TaskSheet,
    User,
)
from server.domain.overdue import OverdueFilter, days_overdue, project_conditions
from server.domain.rows import queryset_rows
from server.domain.rows.plans import ProjectRow, TaskSheetRow
from server.domain.schedule import load_schedules
from server.settings import Settings


@dataclass(frozen=True)
class BoardRow:
    """What the board shows of one project."""

    code: str
    name: str
    programmes: str
    responsible_unit: str
    town: str | None
    health: health.Health
    next_milestone: str | None
    next_milestone_date: dt.date | None
    days_overdue: int
    open_tickets: int
    investment_target: decimal.Decimal | None
    completed_investment: decimal.Decimal | None


async def programme_labels(projects: QuerySet[Project]) -> dict[int, str]:
    """Each project's programmes as "1090(2020), 1050(2020)", by year and code (one query)."""
    rows = await Project.filter(
        id__in=Subquery(projects.values("id")), programmes__id__isnull=False
    ).values_list("id", "programmes__code", "programmes__year")
    found: dict[int, list[str]] = defaultdict(list)
    for project_id, code, year in sorted(rows, key=lambda r: (r[0], r[2], r[1])):
        found[project_id].append(f"{code}({year})")
    return {pid: ", ".join(labels) for pid, labels in found.items()}


async def latest_sheets(projects: QuerySet[Project], year: int) -> dict[int, TaskSheetRow]:
    """The newest revision of each project's task sheet for `year` (one statement)."""
    members = Subquery(projects.values("id"))
    sheets = await queryset_rows(
        TaskSheetRow,
        TaskSheet.filter(project_id__in=members, year=year).order_by("project_id", "-revision"),
    )
    found: dict[int, TaskSheetRow] = {}
    for sheet in sheets:
        found.setdefault(sheet.project_id, sheet)
    return found


async def open_ticket_counts(projects: QuerySet[Project]) -> dict[int, int]:
    """Open shortage tickets of each of these projects, counted by the database."""
    members = Subquery(projects.values("id"))
    rows = (
        await ShortageTicket.filter(project_id__in=members, status__in=OPEN_STATUSES)
        .annotate(n=Count("id"))
        .group_by("project_id")
        .values("project_id", "n")
    )
    return {row["project_id"]: int(row["n"]) for row in rows}


def board_projects(flt: OverdueFilter, user: User) -> QuerySet[Project] | None:
    """The projects of the board under the filter's project fields that `user` may see
    (None: the filter matches nothing)."""
    queryset = Project.all()
    if flt.programme_codes == () or flt.project_ids == ():
        return None
    if flt.project_ids is not None:
        queryset = queryset.filter(id__in=list(flt.project_ids))
    conditions = project_conditions(flt, user)
    if conditions:
        queryset = queryset.filter(id__in=Subquery(Project.filter(**conditions).values("id")))
    return queryset


async def board_rows(flt: OverdueFilter, user: User, settings: Settings) -> list[BoardRow]:
    """The board for the projects matching the filter's project fields, by project code.

    Colours, delays and forecasts are judged as of `flt.as_of`; the investment figures are
    those of the task sheet of `flt.year` (the year of `as_of` when no year is given).
    """
    queryset = board_projects(flt, user)
    if queryset is None:
        return []
    projects = await queryset_rows(ProjectRow, queryset.order_by("code"))
    ids = [p.id for p in projects]
    if not ids:
        return []
    colours = await health.health_of(ids, health.Cutoffs.of(flt.as_of, settings))
    schedules = dict(zip(ids, await load_schedules(ids, flt.as_of), strict=True))
    labels = await programme_labels(queryset)
    sheets = await latest_sheets(queryset, flt.year or flt.as_of.year)
    tickets = await open_ticket_counts(queryset)
    rows = []
    for project in projects:
        schedule = schedules[project.id]
        upcoming = schedule.next_milestone()
        delays = [
            days_overdue(m.planned_date, flt.as_of)
            for m in schedule.milestones
            if m.status == MilestoneStatus.PENDING
        ]
        sheet = sheets.get(project.id)
        rows.append(
            BoardRow(
                code=project.code,
                name=project.name,
                programmes=labels.get(project.id, ""),
                responsible_unit=project.responsible_unit,
                town=project.town,
                health=colours[project.id],
                next_milestone=upcoming.title if upcoming else None,
                next_milestone_date=schedule.forecast[upcoming.id] if upcoming else None,
                days_overdue=max(delays, default=0),
                open_tickets=tickets.get(project.id, 0),
                investment_target=sheet.annual_investment_target if sheet else None,
                completed_investment=sheet.completed_investment if sheet else None,
            )
        )
    return rows
