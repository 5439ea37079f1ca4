"""The project types: Project with its lists, and the filter, order and page of projects.

The task sheet types live in `schema.projects.sheets` and are re-exported here, so every
type of the domain is `schema.projects.types.<Name>`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import graphene
from graphene import ResolveInfo
from graphql import FieldNode

from schema.daily_reports.types import DailyReportConnection
from schema.enums import described_enum
from schema.errors import ApiError
from schema.loaders import page_loaded, then
from schema.loaders.board_history import SnapshotHealthLoader
from schema.loaders.daily_reports import (
    LabourAlertLoader,
    ProjectReportsLoader,
    ReportOnDateLoader,
    WorkerDaysLoader,
)
from schema.loaders.projects import (
    ProjectHealthLoader,
    ProjectLoader,
    ProjectProgrammesLoader,
    ProjectSiteManagersLoader,
    ProjectTaskSheetsLoader,
)
from schema.loaders.schedule import (
    FilteredMilestonesLoader,
    ProjectPhasesLoader,
    ProjectScheduleLoader,
)
from schema.loaders.tickets import OpenTicketCountLoader
from schema.photos.types import project_photos
from schema.projects.history import health_history_field, resolve_health_history
from schema.projects.sheets import TaskItem, TaskSheet
from schema.relay import CountableConnection, Node, paginate_list
from schema.scalars import Date, Decimal
from schema.schedule.types import MilestoneConnection, MilestoneStatus
from schema.tickets.types import project_tickets
from server.domain import health, labour, models
from server.domain.board_history import ProjectOnDate
from server.domain.rows.accounts import UserRow
from server.domain.rows.plans import PhaseRow, ProgrammeRow, ProjectRow, TaskSheetRow
from server.domain.schedule import ProjectSchedule

__all__ = [
    "GeoPoint",
    "Health",
    "MilestoneFilter",
    "Project",
    "ProjectConnection",
    "ProjectFilter",
    "ProjectOrder",
    "ProjectStatus",
    "TaskItem",
    "TaskSheet",
    "enum_value",
]

ProjectStatus = described_enum(
    models.ProjectStatus,
    "Where a project stands as a whole.",
    {
        "PLANNED": "Not started on site yet.",
        "UNDER_CONSTRUCTION": "Work is going on on site.",
        "COMPLETED": "Finished.",
        "SUSPENDED": "Work is stopped on site, e.g. by an epidemic or an order to halt.",
    },
)
Health = described_enum(
    health.Health,
    "The five-colour status board. Thresholds are settings; these are the defaults.",
    {
        "BLUE": "Completed, or every milestone done on or before its planned date.",
        "GREEN": "On track: nothing overdue.",
        "YELLOW": "The worst open milestone is 1-7 days overdue.",
        "ORANGE": "8-30 days overdue, or an open HIGH shortage ticket.",
        "RED": "More than 30 days overdue, or an open CRITICAL shortage ticket.",
    },
)


def enum_value(member: Any) -> Any:
    """The plain value of a GraphQL enum argument (graphene hands over enum members)."""
    return getattr(member, "value", member)


class GeoPoint(graphene.ObjectType):
    """A WGS 84 position."""

    latitude = graphene.Float(required=True, description="Degrees north.")
    longitude = graphene.Float(required=True, description="Degrees east.")


class MilestoneFilter(graphene.InputObjectType):
    """Which milestones of a timetable to list."""

    status = graphene.InputField(MilestoneStatus, description="Only milestones with this status.")
    overdue_only = graphene.Boolean(description="Only open milestones past their planned date.")


def _unfiltered(field: FieldNode) -> bool:
    """True when `milestones` is asked without a filter (it then reads the whole schedule)."""
    return not any(argument.name.value == "filter" for argument in field.arguments)


class Project(graphene.ObjectType):
    """A major construction project followed on the wall chart."""

    class Meta:
        interfaces = (Node,)

    code = graphene.String(required=True, description="The project's reference code.")
    name = graphene.String(required=True, description="The project's name.")
    programmes = graphene.List(
        graphene.NonNull("schema.programmes.types.Programme"),
        required=True,
        description="The programmes the project belongs to.",
    )
    responsible_unit = graphene.String(required=True, description="责任单位.")
    lead_official = graphene.String(description="责任领导.")
    town = graphene.String(description="镇(街): the town or street the site is in.")
    location = graphene.Field(GeoPoint, description="Where the site is.")
    site_radius_meters = graphene.Int(description="Photos within this radius count as on site.")
    total_investment = graphene.Field(Decimal, description="Total investment, 万元.")
    status = graphene.Field(ProjectStatus, required=True, description="Overall status.")
    health = graphene.Field(
        Health,
        required=True,
        description="Colour on the status board (in `projects(asOf)` of a past day: as that "
        "day's snapshot recorded it).",
    )
    health_history = health_history_field()
    planned_start = graphene.Field(Date, description="Planned start of works.")
    planned_finish = graphene.Field(Date, description="Planned completion.")
    forecast_finish = graphene.Field(
        Date, description="Planned completion pushed by the latest milestone forecast."
    )
    site_managers = graphene.List(
        graphene.NonNull("schema.accounts.types.User"),
        required=True,
        description="Who runs the site.",
    )
    task_sheet = graphene.Field(
        TaskSheet,
        year=graphene.Int(description="The year; the latest year when omitted."),
        description="任务书: the latest revision of the sheet for the year.",
    )
    roadmap = graphene.List(
        graphene.NonNull("schema.schedule.types.Phase"),
        required=True,
        description="路线图: the phases, ordered by sequence.",
    )
    milestones = graphene.Field(
        MilestoneConnection,
        required=True,
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        filter=graphene.Argument(MilestoneFilter, description="Which milestones to list."),
        description="时间表: the milestones by planned date.",
    )
    next_milestone = graphene.Field(
        "schema.schedule.types.Milestone",
        description="The earliest open milestone by forecast date.",
    )
    photos = graphene.Field(
        "schema.photos.types.PhotoConnection",
        required=True,
        first=graphene.Int(description="Page size (default 20, at most 100)."),
        after=graphene.String(description="Cursor of the item before the page."),
        description="Photos taken on site, newest first.",
    )
    tickets = graphene.Field(
        "schema.tickets.types.ShortageTicketConnection",
        required=True,
        first=graphene.Int(description="Page size (default 20, at most 100)."),
        after=graphene.String(description="Cursor of the item before the page."),
        filter=graphene.Argument(
            "schema.tickets.types.TicketFilter", description="Which tickets to list."
        ),
        description="The project's shortage tickets the viewer may see, newest first.",
    )
    open_ticket_count = graphene.Int(
        required=True, description="Tickets not yet resolved, closed or rejected."
    )
    daily_reports = graphene.Field(
        DailyReportConnection,
        required=True,
        from_=graphene.Argument(Date, name="from", description="First day (inclusive)."),
        to=graphene.Argument(Date, description="Last day (inclusive)."),
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        description="施工日报: the project's daily reports, newest first.",
    )
    resumed_on = graphene.Field(
        Date,
        description="复工: the first day with workers on site of the current run of work; null "
        "when suspended, not under construction, or without workers lately.",
    )
    labour_alert = graphene.Field(
        "schema.daily_reports.types.LabourAlert",
        description="Short of workers for several reports in a row (null when not).",
    )
    daily_report = graphene.Field(
        "schema.daily_reports.types.DailyReport",
        date=graphene.Argument(Date, required=True, description="The day."),
        description="The project's report for a day, if it filed one.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> ProjectRow | None:
        if not await info.context.access.can_see_project(pk):
            return None
        return await info.context.loaders.get(ProjectLoader).load(pk)

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, ProjectRow)

    @staticmethod
    def resolve_location(root: ProjectRow, info: ResolveInfo) -> dict[str, float] | None:
        if root.latitude is None or root.longitude is None:
            return None
        return {"latitude": root.latitude, "longitude": root.longitude}

    @staticmethod
    async def resolve_photos(
        root: ProjectRow, info: ResolveInfo, first: int | None = None, after: str | None = None
    ) -> Any:
        return await project_photos(root.id, info, first, after)

    @staticmethod
    async def resolve_tickets(root: ProjectRow, info: ResolveInfo, **args: Any) -> Any:
        return await project_tickets(root, info, **args)

    @staticmethod
    @page_loaded(OpenTicketCountLoader)
    def resolve_open_ticket_count(root: ProjectRow, info: ResolveInfo) -> Any:
        return info.context.loaders.get(OpenTicketCountLoader).load_now(root.id)

    @staticmethod
    async def resolve_programmes(root: ProjectRow, info: ResolveInfo) -> list[ProgrammeRow]:
        return await info.context.loaders.get(ProjectProgrammesLoader).load(root.id)

    @staticmethod
    async def resolve_site_managers(root: ProjectRow, info: ResolveInfo) -> list[UserRow]:
        return await info.context.loaders.get(ProjectSiteManagersLoader).load(root.id)

    @staticmethod
    @page_loaded(ProjectHealthLoader)
    def resolve_health(root: ProjectRow, info: ResolveInfo) -> Any:
        if isinstance(root, ProjectOnDate):
            return info.context.loaders.get(SnapshotHealthLoader).load((root.id, root.as_of))
        return info.context.loaders.get(ProjectHealthLoader).load_now(root.id)

    resolve_health_history = staticmethod(resolve_health_history)

    @staticmethod
    @page_loaded(ProjectScheduleLoader)
    def resolve_forecast_finish(root: ProjectRow, info: ResolveInfo) -> Any:
        schedule = info.context.loaders.get(ProjectScheduleLoader).load_now(root.id)
        return then(schedule, lambda s: s.forecast_finish(root.planned_finish))

    @staticmethod
    async def resolve_task_sheet(
        root: ProjectRow, info: ResolveInfo, year: int | None = None
    ) -> TaskSheetRow | None:
        sheets = await info.context.loaders.get(ProjectTaskSheetsLoader).load(root.id)
        for sheet in sheets:  # newest year, then newest revision, first
            if year is None or sheet.year == year:
                return sheet
        return None

    @staticmethod
    async def resolve_roadmap(root: ProjectRow, info: ResolveInfo) -> list[PhaseRow]:
        return await info.context.loaders.get(ProjectPhasesLoader).load(root.id)

    @staticmethod
    @page_loaded(ProjectScheduleLoader, applies=_unfiltered)
    def resolve_milestones(
        root: ProjectRow,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        filter: Any = None,
    ) -> Any:
        status = enum_value(filter.status) if filter is not None else None
        overdue_only = bool(filter is not None and filter.overdue_only)
        if status is None and not overdue_only:
            schedule = info.context.loaders.get(ProjectScheduleLoader).load_now(root.id)
            milestones = then(schedule, lambda s: s.milestones)
        else:
            key = (root.id, status, overdue_only)
            milestones = info.context.loaders.get(FilteredMilestonesLoader).load(key)
        return then(milestones, lambda ms: paginate_list(MilestoneConnection, ms, first, after))

    @staticmethod
    def resolve_daily_reports(
        root: ProjectRow,
        info: ResolveInfo,
        from_: dt.date | None = None,
        to: dt.date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        if from_ is not None and to is not None and from_ > to:
            raise ApiError("INVALID", "`from` is after `to`.")
        reports = info.context.loaders.get(ProjectReportsLoader).load_now((root.id, from_, to))
        return then(
            reports,
            lambda found: paginate_list(DailyReportConnection, found, first, after),
        )

    @staticmethod
    @page_loaded(WorkerDaysLoader)
    def resolve_resumed_on(root: ProjectRow, info: ResolveInfo) -> Any:
        days = info.context.loaders.get(WorkerDaysLoader).load_now(root.id)
        today, gap = info.context.today, info.context.settings.resumption_gap_days
        return then(days, lambda found: labour.resumed_on(found, root.status, today, gap))

    @staticmethod
    @page_loaded(LabourAlertLoader)
    def resolve_labour_alert(root: ProjectRow, info: ResolveInfo) -> Any:
        return info.context.loaders.get(LabourAlertLoader).load_now(root.id)

    @staticmethod
    def resolve_daily_report(root: ProjectRow, info: ResolveInfo, date: dt.date) -> Any:
        return info.context.loaders.get(ReportOnDateLoader).load_now((root.id, date))

    @staticmethod
    @page_loaded(ProjectScheduleLoader)
    def resolve_next_milestone(root: ProjectRow, info: ResolveInfo) -> Any:
        schedule = info.context.loaders.get(ProjectScheduleLoader).load_now(root.id)
        return then(schedule, ProjectSchedule.next_milestone)


class ProjectConnection(CountableConnection):
    """A page of projects."""

    class Meta:
        node = Project
        description = "A page of projects."


class ProjectOrder(graphene.Enum):
    """How to order a list of projects."""

    CODE = "CODE"
    NAME = "NAME"
    HEALTH = "HEALTH"

    @property
    def description(self) -> str:
        return {
            "CODE": "By code.",
            "NAME": "By name, then code.",
            "HEALTH": "Worst colour first (RED to BLUE), then by code.",
        }[self.name]


class ProjectFilter(graphene.InputObjectType):
    """Which projects to list; all given conditions must hold."""

    programme_codes = graphene.List(
        graphene.NonNull(graphene.String), description="In a programme with one of these codes."
    )
    year = graphene.Int(description="In a programme of this year.")
    town = graphene.String(description="In this town or street.")
    responsible_unit = graphene.String(description="Of this responsible unit.")
    health = graphene.List(graphene.NonNull(Health), description="With one of these colours.")
    status = graphene.List(
        graphene.NonNull(ProjectStatus), description="With one of these statuses."
    )
    search = graphene.String(description="Code or name contains this text.")
