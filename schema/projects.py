"""Projects: the Project and TaskSheet types, `projects(filter)` and their mutations."""

from __future__ import annotations

import asyncio
import contextlib
import decimal
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any

import graphene
from aiodataloader import DataLoader
from graphene import ResolveInfo
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from schema.accounts import User
from schema.context import RequestContext
from schema.errors import ApiError, errors_field
from schema.loaders import ManagedProjectIdsLoader, ReadyLoader, may_see_project, then
from schema.loaders.projects import ProjectLoader, TaskItemLoader, TaskSheetLoader
from schema.mutations import mutation
from schema.permissions import requires, viewer
from schema.relay import (
    MAX_PAGE_SIZE,
    CountableConnection,
    Node,
    build_connection,
    check_list_length,
    cursor_offset,
    decode_id,
    node_fields,
    page_size,
    paginate_list,
    paginate_queryset,
)
from schema.scalars import Date, DateTime, Decimal
from server.domain import audit, health, models
from server.domain.access import PLANNERS, READERS, sees_every_project, visible_projects
from server.domain.errors import Problems, Refused
from server.domain.health import Cutoffs
from server.domain.projects import managed_project_page
from server.domain.schedule import (
    EARLIEST_DATE,
    LATEST_DATE,
    ProjectSchedule,
    in_calendar_year,
    load_schedules,
    overdue_q,
)
from server.settings import Settings

ProjectStatus = graphene.Enum.from_enum(
    models.ProjectStatus, description="Where a project stands as a whole."
)
Health = graphene.Enum.from_enum(
    health.Health,
    description="The five-colour status board. Thresholds are settings; these are the defaults.",
)


class GeoPoint(graphene.ObjectType):
    """A WGS 84 position."""

    latitude = graphene.Float(required=True, description="Degrees north.")
    longitude = graphene.Float(required=True, description="Degrees east.")


def enum_value(member: Any) -> Any:
    """The plain value of a GraphQL enum argument (graphene hands over enum members)."""
    return getattr(member, "value", member)


# --- loaders -------------------------------------------------------------------------------


class ProjectProgrammesLoader(DataLoader):
    """The programmes of each project (key: project id), in two statements per batch."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[list[models.Programme]]:
        project_ids = list(project_ids)
        pairs = await models.Project.filter(
            id__in=project_ids, programmes__id__isnull=False
        ).values_list("id", "programmes__id")
        programmes = await models.Programme.filter(id__in={p for _, p in pairs}).order_by(
            "-year", "code"
        )
        wanted: dict[int, set[int]] = defaultdict(set)
        for project_id, programme_id in pairs:
            wanted[project_id].add(programme_id)
        return [[p for p in programmes if p.id in wanted[pid]] for pid in project_ids]


class ProjectSiteManagersLoader(DataLoader):
    """The site managers of each project (key: project id), in two statements per batch."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[list[models.User]]:
        project_ids = list(project_ids)
        pairs = await models.Project.filter(
            id__in=project_ids, site_managers__id__isnull=False
        ).values_list("id", "site_managers__id")
        users = await models.User.filter(id__in={u for _, u in pairs}).order_by("username")
        wanted: dict[int, set[int]] = defaultdict(set)
        for project_id, user_id in pairs:
            wanted[project_id].add(user_id)
        return [[u for u in users if u.id in wanted[pid]] for pid in project_ids]


class ProjectHealthLoader(ReadyLoader):
    """The health of each project (key: project id), computed by the database in one statement."""

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[health.Health]:
        project_ids = list(project_ids)
        cutoffs = Cutoffs.of(self.context.today, self.context.settings)
        found = await health.health_of(project_ids, cutoffs)
        return [found[pid] for pid in project_ids]


class ProjectScheduleLoader(ReadyLoader):
    """Milestones, dependencies and forecasts of each project (key: project id)."""

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[ProjectSchedule]:
        return await load_schedules(list(project_ids), self.context.today)


class FilteredMilestonesLoader(DataLoader):
    """Milestones of each project that pass a filter, chosen by the database.

    Key: (project id, status or None, overdue only); one statement per distinct filter.
    """

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(
        self, keys: Iterable[tuple[int, str | None, bool]]
    ) -> list[list[models.Milestone]]:
        keys = list(keys)
        groups: dict[tuple[str | None, bool], list[int]] = defaultdict(list)
        for project_id, status, overdue_only in keys:
            groups[(status, overdue_only)].append(project_id)
        found: dict[tuple[int, str | None, bool], list[models.Milestone]] = defaultdict(list)
        for (status, overdue_only), project_ids in groups.items():
            queryset = models.Milestone.filter(project_id__in=project_ids)
            if status is not None:
                queryset = queryset.filter(status=status)
            if overdue_only:
                queryset = queryset.filter(overdue_q(self.context.today))
            for milestone in await queryset.order_by("planned_date", "id"):
                found[(milestone.project_id, status, overdue_only)].append(milestone)
        return [found[key] for key in keys]


class ProjectTaskSheetsLoader(DataLoader):
    """Every task sheet revision of each project (key: project id), newest first."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[list[models.TaskSheet]]:
        project_ids = list(project_ids)
        sheets = await models.TaskSheet.filter(project_id__in=project_ids).order_by(
            "-year", "-revision"
        )
        found: dict[int, list[models.TaskSheet]] = defaultdict(list)
        for sheet in sheets:
            found[sheet.project_id].append(sheet)
        return [found[pid] for pid in project_ids]


class TaskItemsLoader(DataLoader):
    """The items of each task sheet (key: sheet id), in order."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, sheet_ids: Iterable[int]) -> list[list[models.TaskItem]]:
        sheet_ids = list(sheet_ids)
        items = await models.TaskItem.filter(sheet_id__in=sheet_ids).order_by("position", "id")
        found: dict[int, list[models.TaskItem]] = defaultdict(list)
        for item in items:
            found[item.sheet_id].append(item)
        return [found[sid] for sid in sheet_ids]


# --- types ---------------------------------------------------------------------------------


class TaskItem(graphene.ObjectType):
    """One line of a task sheet: a target, who answers for it, and by when."""

    class Meta:
        interfaces = (Node,)

    title = graphene.String(required=True, description="What is to be achieved.")
    responsible_unit = graphene.String(description="The unit answering for it.")
    responsible_person = graphene.String(description="The person answering for it.")
    due_date = graphene.Field(Date, description="When it is due.")
    done = graphene.Boolean(required=True, description="True once achieved.")

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> models.TaskItem | None:
        item = await info.context.loaders.get(TaskItemLoader).load(pk)
        if item is None:
            return None
        sheet = await info.context.loaders.get(TaskSheetLoader).load(item.sheet_id)
        if not await may_see_project(info.context, sheet.project_id):
            return None
        return item

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, models.TaskItem)


class TaskSheet(graphene.ObjectType):
    """One revision of a project's task sheet (任务书) for a year."""

    class Meta:
        interfaces = (Node,)

    project = graphene.Field(
        "schema.projects.Project", required=True, description="The project it is for."
    )
    year = graphene.Int(required=True, description="The year the sheet covers.")
    revision = graphene.Int(required=True, description="Bumped on every re-issue of the sheet.")
    scope = graphene.String(description="Construction content.")
    annual_investment_target = graphene.Field(Decimal, description="Target for the year, 万元.")
    completed_investment = graphene.Field(Decimal, description="Invested so far, 万元.")
    items = graphene.List(
        graphene.NonNull(TaskItem), required=True, description="The targets, in order."
    )
    approved_at = graphene.Field(DateTime, description="When this revision was approved.")
    revisions = graphene.List(
        graphene.NonNull(lambda: TaskSheet),
        required=True,
        description="Every revision of this project's sheet for the same year, newest first.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> models.TaskSheet | None:
        sheet = await info.context.loaders.get(TaskSheetLoader).load(pk)
        if sheet is None or not await may_see_project(info.context, sheet.project_id):
            return None
        return sheet

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, models.TaskSheet)

    @staticmethod
    async def resolve_project(root: models.TaskSheet, info: ResolveInfo) -> models.Project:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    async def resolve_items(root: models.TaskSheet, info: ResolveInfo) -> list[models.TaskItem]:
        return await info.context.loaders.get(TaskItemsLoader).load(root.id)

    @staticmethod
    async def resolve_revisions(
        root: models.TaskSheet, info: ResolveInfo
    ) -> list[models.TaskSheet]:
        sheets = await info.context.loaders.get(ProjectTaskSheetsLoader).load(root.project_id)
        return [sheet for sheet in sheets if sheet.year == root.year]


class MilestoneFilter(graphene.InputObjectType):
    """Which milestones of a timetable to list."""

    status = graphene.InputField(
        "schema.schedule.MilestoneStatus", description="Only milestones with this status."
    )
    overdue_only = graphene.Boolean(description="Only open milestones past their planned date.")


class Project(graphene.ObjectType):
    """A major construction project followed on the wall chart."""

    class Meta:
        interfaces = (Node,)

    code = graphene.String(required=True, description="The project's reference code.")
    name = graphene.String(required=True, description="The project's name.")
    programmes = graphene.List(
        graphene.NonNull("schema.programmes.Programme"),
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
    health = graphene.Field(Health, required=True, description="Colour on the status board.")
    planned_start = graphene.Field(Date, description="Planned start of works.")
    planned_finish = graphene.Field(Date, description="Planned completion.")
    forecast_finish = graphene.Field(
        Date, description="Planned completion pushed by the latest milestone forecast."
    )
    site_managers = graphene.List(
        graphene.NonNull(User), required=True, description="Who runs the site."
    )
    task_sheet = graphene.Field(
        TaskSheet,
        year=graphene.Int(description="The year; the latest year when omitted."),
        description="任务书: the latest revision of the sheet for the year.",
    )
    roadmap = graphene.List(
        graphene.NonNull("schema.schedule.Phase"),
        required=True,
        description="路线图: the phases, ordered by sequence.",
    )
    milestones = graphene.Field(
        "schema.schedule.MilestoneConnection",
        required=True,
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        filter=graphene.Argument(MilestoneFilter, description="Which milestones to list."),
        description="时间表: the milestones by planned date.",
    )
    next_milestone = graphene.Field(
        "schema.schedule.Milestone", description="The earliest open milestone by forecast date."
    )

    # Photos (issue 4): the field and its resolver live with the photo types.
    photos = graphene.Field(
        "schema.photos.PhotoConnection",
        required=True,
        first=graphene.Int(description="Page size (default 20, at most 100)."),
        after=graphene.String(description="Cursor of the item before the page."),
        description="Photos taken on site, newest first.",
    )

    # --- Shortage tickets (issue 5): types and batched resolvers live in schema/tickets.py ---
    tickets = graphene.Field(
        "schema.tickets.ShortageTicketConnection",
        required=True,
        first=graphene.Int(),
        after=graphene.String(),
        filter=graphene.Argument("schema.tickets.TicketFilter"),
        description="The project's shortage tickets the viewer may see, newest first.",
    )
    open_ticket_count = graphene.Int(
        required=True, description="Tickets not yet resolved, closed or rejected."
    )

    @staticmethod
    async def resolve_tickets(root: models.Project, info: ResolveInfo, **args: Any) -> Any:
        from schema.tickets import project_tickets  # schema.tickets imports this module

        return await project_tickets(root, info, **args)

    @staticmethod
    def resolve_open_ticket_count(root: models.Project, info: ResolveInfo) -> Any:
        from schema.tickets import OpenTicketCountLoader  # schema.tickets imports this module

        return info.context.loaders.get(OpenTicketCountLoader).load_now(root.id)

    # --- end of shortage tickets ---

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> models.Project | None:
        if not await may_see_project(info.context, pk):
            return None
        return await info.context.loaders.get(ProjectLoader).load(pk)

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, models.Project)

    @staticmethod
    def resolve_location(root: models.Project, info: ResolveInfo) -> dict[str, float] | None:
        if root.latitude is None or root.longitude is None:
            return None
        return {"latitude": root.latitude, "longitude": root.longitude}

    @staticmethod
    async def resolve_photos(
        root: models.Project, info: ResolveInfo, first: int | None = None, after: str | None = None
    ) -> Any:
        from schema.photos import project_photos  # schema.photos imports this module

        return await project_photos(root.id, info, first, after)

    @staticmethod
    async def resolve_programmes(root: models.Project, info: ResolveInfo) -> list[models.Programme]:
        return await info.context.loaders.get(ProjectProgrammesLoader).load(root.id)

    @staticmethod
    async def resolve_site_managers(root: models.Project, info: ResolveInfo) -> list[models.User]:
        return await info.context.loaders.get(ProjectSiteManagersLoader).load(root.id)

    @staticmethod
    def resolve_health(root: models.Project, info: ResolveInfo) -> Any:
        return info.context.loaders.get(ProjectHealthLoader).load_now(root.id)

    @staticmethod
    def resolve_forecast_finish(root: models.Project, info: ResolveInfo) -> Any:
        schedule = info.context.loaders.get(ProjectScheduleLoader).load_now(root.id)
        return then(schedule, lambda s: s.forecast_finish(root.planned_finish))

    @staticmethod
    async def resolve_task_sheet(
        root: models.Project, info: ResolveInfo, year: int | None = None
    ) -> models.TaskSheet | None:
        sheets = await info.context.loaders.get(ProjectTaskSheetsLoader).load(root.id)
        for sheet in sheets:  # newest year, then newest revision, first
            if year is None or sheet.year == year:
                return sheet
        return None

    @staticmethod
    async def resolve_roadmap(root: models.Project, info: ResolveInfo) -> list[models.Phase]:
        from schema.schedule import ProjectPhasesLoader

        return await info.context.loaders.get(ProjectPhasesLoader).load(root.id)

    @staticmethod
    def resolve_milestones(
        root: models.Project,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        filter: Any = None,
    ) -> Any:
        from schema.schedule import MilestoneConnection

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
    def resolve_next_milestone(root: models.Project, info: ResolveInfo) -> Any:
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


def column_length(model: type[Model], key: str) -> int | None:
    """The most characters the text column `key` of `model` holds (None: no limit)."""
    return getattr(model._meta.fields_map.get(key), "max_length", None)


def fits(model: type[Model], key: str, value: str) -> bool:
    """True when `value` fits the text column `key`; the ORM refuses longer values even in
    a lookup, so a value that does not fit is never looked up."""
    limit = column_length(model, key)
    return limit is None or len(value) <= limit


def check_project_filter(filter: Any, settings: Settings) -> None:
    """Refuse a ProjectFilter the database should not be asked: a top-level INVALID error
    for over-long search text, too many programme codes, texts longer than their columns, or
    a year out of the calendar."""
    if filter is None:
        return
    search = (filter.search or "").strip()
    if len(search) > settings.max_search_length:
        raise ApiError(
            "INVALID", f"filter.search may be at most {settings.max_search_length} characters."
        )
    check_list_length(filter.programme_codes, "filter.programmeCodes")
    texts = (
        ("programmeCodes", models.Programme, "code", filter.programme_codes or ()),
        ("town", models.Project, "town", (filter.town or "",)),
        ("responsibleUnit", models.Project, "responsible_unit", (filter.responsible_unit or "",)),
    )
    for name, model, column, values in texts:
        if not all(fits(model, column, value) for value in values):
            limit = column_length(model, column)
            raise ApiError("INVALID", f"filter.{name} may be at most {limit} characters long.")
    if filter.year is not None and not in_calendar_year(filter.year):
        first, last = EARLIEST_DATE.year, LATEST_DATE.year
        raise ApiError("INVALID", f"filter.year must be from {first} to {last}.")


async def filter_projects(
    queryset: QuerySet[models.Project], filter: Any, cutoffs: Cutoffs
) -> QuerySet[models.Project]:
    """`queryset` narrowed by a ProjectFilter (checked by `check_project_filter`); health is
    decided by the database."""
    if filter is None:
        return queryset
    if filter.programme_codes is not None or filter.year is not None:
        in_programme = models.Project.all()
        if filter.programme_codes is not None:
            in_programme = in_programme.filter(programmes__code__in=filter.programme_codes)
        if filter.year is not None:
            in_programme = in_programme.filter(programmes__year=filter.year)
        queryset = queryset.filter(id__in=Subquery(in_programme.values("id")))
    if filter.town is not None:
        queryset = queryset.filter(town=filter.town)
    if filter.responsible_unit is not None:
        queryset = queryset.filter(responsible_unit=filter.responsible_unit)
    if filter.status is not None:
        queryset = queryset.filter(status__in={enum_value(s) for s in filter.status})
    if filter.search:
        text = filter.search.strip()
        queryset = queryset.filter(Q(code__icontains=text) | Q(name__icontains=text))
    if filter.health is not None:
        ids = await health.ids_with_health({enum_value(h) for h in filter.health}, cutoffs)
        queryset = queryset.filter(id__in=ids)
    return queryset


async def project_page(
    info: ResolveInfo,
    base: QuerySet[models.Project],
    first: int | None,
    after: str | None,
    filter: Any,
    order_by: Any = None,
) -> CountableConnection:
    """A page of the projects in `base` the viewer may see, filtered and ordered."""
    user = viewer(info)
    check_project_filter(filter, info.context.settings)
    queryset = base
    if not sees_every_project(user):
        queryset = queryset.filter(id__in=Subquery(visible_projects(user).values("id")))
    cutoffs = Cutoffs.of(info.context.today, info.context.settings)
    queryset = await filter_projects(queryset, filter, cutoffs)
    order = enum_value(order_by) or "CODE"
    if order == "HEALTH":
        queryset = queryset.annotate(health_rank=health.health_rank(cutoffs))
        queryset = queryset.order_by("health_rank", "code")
    else:
        queryset = (
            queryset.order_by("name", "code") if order == "NAME" else queryset.order_by("code")
        )
    connection = await paginate_queryset(ProjectConnection, queryset, first, after)
    await prefetch_page(info, [edge.node for edge in connection.edges])
    return connection


async def prefetch_page(info: ResolveInfo, projects: list[models.Project]) -> None:
    """Load, for the whole page at once, what the query asks of each project.

    With health, ticket counts and schedules loaded before the page is returned, the
    projects' fields read them with `load_now` and the page completes without a task per
    field (same statements: each loader still runs one batch).
    """
    from schema.tickets import OpenTicketCountLoader  # schema.tickets imports this module

    wanted: set[type[ReadyLoader]] = set()
    for field in node_fields(info):
        name = field.name.value
        if name == "health":
            wanted.add(ProjectHealthLoader)
        elif name == "openTicketCount":
            wanted.add(OpenTicketCountLoader)
        elif name in ("nextMilestone", "forecastFinish") or (
            name == "milestones" and not any(a.name.value == "filter" for a in field.arguments)
        ):
            wanted.add(ProjectScheduleLoader)
    ids = [project.id for project in projects]
    if wanted and ids:
        loaders = info.context.loaders
        await asyncio.gather(*(loaders.get(loader).load_many(ids) for loader in wanted))


async def user_projects(
    info: ResolveInfo, user: models.User, first: int | None, after: str | None
) -> CountableConnection:
    """The projects `user` works on, as far as the viewer may see them (only the page is loaded)."""
    limit = page_size(first)
    start = cursor_offset(after)
    me = viewer(info)
    if sees_every_project(me) or me.id == user.id:  # every project of theirs is visible
        page, has_next, count = await managed_project_page(user.id, start, limit)
        projects = info.context.loaders.get(ProjectLoader)
        for project in page:
            projects.prime(project.id, project)
        await prefetch_page(info, page)
        return build_connection(
            ProjectConnection, page, start=start, has_next=has_next, count=count
        )
    managed = info.context.loaders.get(ManagedProjectIdsLoader)
    visible = await managed.load(me.id)
    ids = [pid for pid in await managed.load(user.id) if pid in visible]
    page = await info.context.loaders.get(ProjectLoader).load_many(ids[start : start + limit])
    await prefetch_page(info, page)
    return build_connection(
        ProjectConnection, page, start=start, has_next=start + limit < len(ids), count=len(ids)
    )


def project_list_field(description: str) -> graphene.Field:
    """A paged, filterable, orderable list of projects (served by `project_page`)."""
    return graphene.Field(
        ProjectConnection,
        required=True,
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        filter=graphene.Argument(ProjectFilter, description="Which projects to list."),
        order_by=graphene.Argument(ProjectOrder, description="Order of the list; CODE if omitted."),
        description=description,
    )


class Queries:
    """Project queries."""

    projects = project_list_field("The projects the viewer may see.")

    @staticmethod
    @requires(READERS)
    async def resolve_projects(
        root: Any,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        filter: Any = None,
        order_by: Any = None,
    ) -> CountableConnection:
        return await project_page(info, models.Project.all(), first, after, filter, order_by)


# --- mutations -----------------------------------------------------------------------------


class GeoPointInput(graphene.InputObjectType):
    """A WGS 84 position."""

    latitude = graphene.Float(required=True, description="Degrees north, -90 to 90.")
    longitude = graphene.Float(required=True, description="Degrees east, -180 to 180.")


class ProjectFields:
    """The editable fields of a project, shared by the create and update inputs."""

    programme_ids = graphene.List(
        graphene.NonNull(graphene.ID), description="The programmes it belongs to."
    )
    lead_official = graphene.String(description="责任领导.")
    town = graphene.String(description="镇(街).")
    location = graphene.InputField(GeoPointInput, description="Where the site is.")
    site_radius_meters = graphene.Int(description="Photos within this radius count as on site.")
    total_investment = graphene.InputField(
        Decimal, description="Total investment, 万元, not negative."
    )
    status = graphene.InputField(ProjectStatus, description="Overall status.")
    planned_start = graphene.InputField(Date, description="Planned start of works.")
    planned_finish = graphene.InputField(
        Date, description="Planned completion, not before the start."
    )


class CreateProjectInput(ProjectFields, graphene.InputObjectType):
    """A new project."""

    code = graphene.String(required=True, description="Unique reference code.")
    name = graphene.String(required=True, description="The project's name.")
    responsible_unit = graphene.String(required=True, description="责任单位.")
    site_manager_ids = graphene.List(
        graphene.NonNull(graphene.ID), description="Site managers who run it."
    )


class UpdateProjectInput(ProjectFields, graphene.InputObjectType):
    """Changes to a project: only the fields given are changed."""

    project_id = graphene.ID(required=True, description="The project to change.")
    code = graphene.String(description="Unique reference code.")
    name = graphene.String(description="The project's name.")
    responsible_unit = graphene.String(description="责任单位.")


class ProjectPayload(graphene.ObjectType):
    """Result of a project mutation."""

    project = graphene.Field(Project, description="The project as it now is.")
    errors = errors_field()


class SetProjectSiteManagersInput(graphene.InputObjectType):
    """The whole list of a project's site managers."""

    project_id = graphene.ID(required=True, description="The project.")
    user_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="Users with the SITE_MANAGER role; replaces the current list.",
    )


class TaskItemInput(graphene.InputObjectType):
    """One line of a task sheet."""

    title = graphene.String(required=True, description="What is to be achieved.")
    responsible_unit = graphene.String(description="The unit answering for it.")
    responsible_person = graphene.String(description="The person answering for it.")
    due_date = graphene.InputField(Date, description="When it is due.")
    done = graphene.Boolean(description="True once achieved.")


class SaveTaskSheetInput(graphene.InputObjectType):
    """A task sheet for a project and year; saving again issues the next revision."""

    project_id = graphene.ID(required=True, description="The project.")
    year = graphene.Int(required=True, description="The year the sheet covers.")
    scope = graphene.String(description="Construction content.")
    annual_investment_target = graphene.InputField(
        Decimal, description="Target for the year, 万元."
    )
    completed_investment = graphene.InputField(Decimal, description="Invested so far, 万元.")
    approved_at = graphene.InputField(DateTime, description="When it was approved.")
    items = graphene.List(graphene.NonNull(TaskItemInput), description="The targets, in order.")


class TaskSheetPayload(graphene.ObjectType):
    """Result of `saveTaskSheet`."""

    task_sheet = graphene.Field(TaskSheet, description="The revision just issued.")
    errors = errors_field()


# Money columns are DECIMAL(16, 2): the Decimal scalar bounds the digits, mutations the cents.
CENT = decimal.Decimal("0.01")


def check_text_lengths(
    model: type[Model], values: Mapping[str, Any], problems: Problems, *path: str
) -> None:
    """An INVALID problem for each text value longer than its column holds, at
    `path` + the field's camelCase name."""
    for key, value in values.items():
        if isinstance(value, str) and not fits(model, key, value):
            limit = column_length(model, key)
            problems.add("INVALID", f"At most {limit} characters.", *path, _camel(key))


def check_item_count(items: Sequence[Any] | None, problems: Problems, *path: str) -> bool:
    """False, with an INVALID problem at `path`, when a list input has more than
    MAX_PAGE_SIZE items (each costs a lookup)."""
    if items is not None and len(items) > MAX_PAGE_SIZE:
        problems.add("INVALID", f"At most {MAX_PAGE_SIZE} items.", *path)
        return False
    return True


def check_money(value: decimal.Decimal | None, problems: Problems, *path: str) -> None:
    """INVALID problems for a negative amount or one with fractions of a cent."""
    if value is None:
        return
    if value < 0:
        problems.add("INVALID", "Must not be negative.", *path)
    elif value != value.quantize(CENT):
        problems.add("INVALID", "At most 2 digits after the point.", *path)


@contextlib.asynccontextmanager
async def conflict_as_error(field: tuple[str, ...], message: str) -> AsyncIterator[None]:
    """Turn a unique-constraint violation (a concurrent duplicate) into a CONFLICT UserError."""
    try:
        yield
    except IntegrityError:
        raise Refused("CONFLICT", message, field) from None


async def visible_project_or_error(
    info: ResolveInfo, gid: str, field: tuple[str, ...]
) -> models.Project:
    """The project with this global ID if the viewer may see it, else a NOT_FOUND UserError."""
    pk = decode_id(gid, "Project")
    project = None
    if pk is not None and await may_see_project(info.context, pk):
        project = await models.Project.get_or_none(pk=pk)
    if project is None:
        raise Refused("NOT_FOUND", "No such project.", field)
    return project


async def _programmes(ids: list[str], problems: Problems) -> list[models.Programme]:
    if not check_item_count(ids, problems, "input", "programmeIds"):
        return []
    found = []
    seen: set[int] = set()
    for index, gid in enumerate(ids):
        pk = decode_id(gid, "Programme")
        programme = await models.Programme.get_or_none(pk=pk) if pk is not None else None
        if programme is None:
            problems.add("NOT_FOUND", "No such programme.", "input", "programmeIds", str(index))
        elif programme.id in seen:
            problems.add("INVALID", "Programme listed twice.", "input", "programmeIds", str(index))
        else:
            seen.add(programme.id)
            found.append(programme)
    return found


async def _site_managers(ids: list[str], problems: Problems, name: str) -> list[models.User]:
    if not check_item_count(ids, problems, "input", name):
        return []
    found = []
    seen: set[int] = set()
    for index, gid in enumerate(ids):
        pk = decode_id(gid, "User")
        user = await models.User.get_or_none(pk=pk) if pk is not None else None
        if user is None:
            problems.add("NOT_FOUND", "No such user.", "input", name, str(index))
        elif user.role != models.Role.SITE_MANAGER:
            problems.add("INVALID", "Only site managers can run a site.", "input", name, str(index))
        elif user.id not in seen:
            seen.add(user.id)
            found.append(user)
    return found


def _check_project_fields(values: dict[str, Any], problems: Problems) -> None:
    """Field-by-field checks of project values (already merged with the stored ones)."""
    for key, label in (("code", "code"), ("name", "name"), ("responsible_unit", "responsibleUnit")):
        if key in values and not (values[key] or "").strip():
            problems.add("INVALID", "Must not be empty.", "input", label)
    check_text_lengths(models.Project, values, problems, "input")
    check_money(values.get("total_investment"), problems, "input", "totalInvestment")
    if (values.get("site_radius_meters") or 0) < 0:
        problems.add("INVALID", "Must not be negative.", "input", "siteRadiusMeters")
    location = values.get("location")
    if location is not None:
        if not -90 <= location.latitude <= 90:
            problems.add("INVALID", "Latitude is -90 to 90.", "input", "location", "latitude")
        if not -180 <= location.longitude <= 180:
            problems.add("INVALID", "Longitude is -180 to 180.", "input", "location", "longitude")
    start, finish = values.get("planned_start"), values.get("planned_finish")
    if start is not None and finish is not None and finish < start:
        problems.add("INVALID", "The finish is before the start.", "input", "plannedFinish")


_SCALARS = (
    "code",
    "name",
    "responsible_unit",
    "lead_official",
    "town",
    "site_radius_meters",
    "total_investment",
    "status",
    "planned_start",
    "planned_finish",
)


def _apply(project: models.Project, input: Any) -> None:
    for key in _SCALARS:
        if key in input:
            value = enum_value(input[key]) if key == "status" else input[key]
            if isinstance(value, str) and key in ("code", "name", "responsible_unit"):
                value = value.strip()
            setattr(project, key, value)
    if "location" in input:
        location = input["location"]
        project.latitude = location.latitude if location is not None else None
        project.longitude = location.longitude if location is not None else None


async def _snapshot(project: models.Project) -> dict[str, Any]:
    data = audit.snapshot(project) or {}
    data["programmes"] = sorted(await project.programmes.all().values_list("id", flat=True))
    data["site_managers"] = sorted(await project.site_managers.all().values_list("id", flat=True))
    return data


@mutation(ProjectPayload, CreateProjectInput, roles=PLANNERS, description="Create a project.")
async def create_project(info: ResolveInfo, user: models.User | None, input: Any) -> dict[str, Any]:
    problems = Problems()
    values = {k: input[k] for k in input}
    if values.get("status") is None:
        values.pop("status", None)
    _check_project_fields(values, problems)
    programmes = await _programmes(input.programme_ids or [], problems)
    managers = await _site_managers(input.site_manager_ids or [], problems, "siteManagerIds")
    code = (input.code or "").strip()
    if code and fits(models.Project, "code", code) and await models.Project.exists(code=code):
        problems.add("CONFLICT", "Another project has this code.", "input", "code")
    problems.raise_if_any()
    project = models.Project()
    _apply(project, values)
    async with conflict_as_error(("input", "code"), "Another project has this code."):
        await project.save()
    if programmes:
        await project.programmes.add(*programmes)
    if managers:
        await project.site_managers.add(*managers)
    await audit.record(user, "project.create", project, after=await _snapshot(project))
    return {"project": project}


@mutation(
    ProjectPayload, UpdateProjectInput, roles=PLANNERS, description="Change a project's fields."
)
async def update_project(info: ResolveInfo, user: models.User | None, input: Any) -> dict[str, Any]:
    project = await visible_project_or_error(info, input.project_id, ("input", "projectId"))
    before = await _snapshot(project)
    problems = Problems()
    given = {k: input[k] for k in input if k != "project_id"}
    for key in ("code", "name", "responsible_unit"):
        if key in given and given[key] is None:
            problems.add("INVALID", "Must not be empty.", "input", _camel(key))
    if given.get("status", "") is None:
        problems.add("INVALID", "A project always has a status.", "input", "status")
    merged = {"planned_start": project.planned_start, "planned_finish": project.planned_finish}
    merged.update({k: v for k, v in given.items() if v is not None or k in merged})
    _check_project_fields(merged, problems)
    programmes = None
    if "programme_ids" in given:
        programmes = await _programmes(given["programme_ids"] or [], problems)
    code = (given.get("code") or "").strip()
    if (
        code
        and fits(models.Project, "code", code)
        and await models.Project.filter(code=code).exclude(id=project.id).exists()
    ):
        problems.add("CONFLICT", "Another project has this code.", "input", "code")
    problems.raise_if_any()
    _apply(project, {k: v for k, v in given.items() if k != "programme_ids"})
    async with conflict_as_error(("input", "code"), "Another project has this code."):
        await project.save()
    if programmes is not None:
        await project.programmes.clear()
        if programmes:
            await project.programmes.add(*programmes)
    after = await _snapshot(project)
    await audit.record(user, "project.update", project, before=before, after=after)
    return {"project": project}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@mutation(
    ProjectPayload,
    SetProjectSiteManagersInput,
    roles=PLANNERS,
    description="Replace the list of a project's site managers.",
)
async def set_project_site_managers(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    project = await visible_project_or_error(info, input.project_id, ("input", "projectId"))
    before = await _snapshot(project)
    problems = Problems()
    managers = await _site_managers(input.user_ids, problems, "userIds")
    problems.raise_if_any()
    await project.site_managers.clear()
    if managers:
        await project.site_managers.add(*managers)
    await audit.record(
        user, "project.site_managers", project, before=before, after=await _snapshot(project)
    )
    return {"project": project}


@mutation(
    TaskSheetPayload,
    SaveTaskSheetInput,
    roles=PLANNERS,
    description="Issue a project's task sheet for a year: the first, or the next revision.",
)
async def save_task_sheet(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    project = await visible_project_or_error(info, input.project_id, ("input", "projectId"))
    problems = Problems()
    if not 2000 <= input.year <= 2100:
        problems.add("INVALID", "The year is 2000 to 2100.", "input", "year")
    for key in ("annual_investment_target", "completed_investment"):
        check_money(input.get(key), problems, "input", _camel(key))
    items = input.items or []
    check_item_count(items, problems, "input", "items")
    for index, item in enumerate(items[:MAX_PAGE_SIZE]):
        if not (item.title or "").strip():
            problems.add("INVALID", "Must not be empty.", "input", "items", str(index), "title")
        check_text_lengths(models.TaskItem, item, problems, "input", "items", str(index))
    problems.raise_if_any()
    latest = (
        await models.TaskSheet.filter(project=project, year=input.year)
        .order_by("-revision")
        .first()
    )
    async with conflict_as_error(("input", "year"), "The sheet was re-issued meanwhile; retry."):
        sheet = await models.TaskSheet.create(
            project=project,
            year=input.year,
            revision=(latest.revision + 1) if latest else 1,
            scope=input.scope,
            annual_investment_target=input.annual_investment_target,
            completed_investment=input.completed_investment,
            approved_at=input.approved_at,
        )
    for position, item in enumerate(items):
        await models.TaskItem.create(
            sheet=sheet,
            position=position,
            title=item.title.strip(),
            responsible_unit=item.responsible_unit,
            responsible_person=item.responsible_person,
            due_date=item.due_date,
            done=bool(item.done),
        )
    after = audit.snapshot(sheet) or {}
    after["items"] = [item.title for item in items]
    await audit.record(user, "task_sheet.save", sheet, after=after)
    return {"task_sheet": sheet}


class Mutations:
    """Project mutations."""

    create_project = create_project
    update_project = update_project
    set_project_site_managers = set_project_site_managers
    save_task_sheet = save_task_sheet


TYPES = (Project, TaskSheet, TaskItem)
