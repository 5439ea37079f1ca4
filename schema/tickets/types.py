"""The ticket and notification types, the ticket filter, and the ticket list of a project."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.enums import described_enum
from schema.errors import ApiError
from schema.loaders.accounts import UserLoader
from schema.loaders.daily_reports import DailyReportLoader
from schema.loaders.projects import ProjectLoader
from schema.loaders.schedule import MilestoneLoader
from schema.loaders.tickets import ProjectTicketsLoader, TicketEventsLoader, visible_ticket
from schema.permissions import viewer
from schema.photos.types import PhotoConnection, ticket_photos
from schema.relay import CountableConnection, Node, check_list_length, decode_id, paginate_list
from schema.scalars import Date, DateTime, Decimal
from server.domain import models, notifications, tickets
from server.domain.rows.accounts import UserRow
from server.domain.rows.plans import MilestoneRow, ProjectRow
from server.domain.rows.tickets import NotificationRow, TicketEventRow, TicketRow

ShortageKind = described_enum(
    models.ShortageKind,
    "What is short on site.",
    {"LABOUR": "Workers of a trade.", "MATERIAL": "A material or its delivery."},
)
Severity = described_enum(
    models.Severity,
    "How badly the shortage holds the site back.",
    {
        "LOW": "A nuisance; work goes on.",
        "MEDIUM": "Work slows down.",
        "HIGH": "Work on part of the site stops; turns the project ORANGE while open.",
        "CRITICAL": "The site stops; turns the project RED while open.",
    },
)
TicketStatus = described_enum(
    models.TicketStatus,
    "Where a ticket is in the one-stop workflow.",
    {
        "OPEN": "Filed from site, not yet accepted.",
        "ACCEPTED": "Accepted by the project office (受理).",
        "ASSIGNED": "Handed to a coordinator (转交督办).",
        "IN_PROGRESS": "The coordinator is working on it.",
        "RESOLVED": "Reported solved; waits for the reporter to confirm or reopen it.",
        "CLOSED": "Confirmed solved by the site, with a satisfaction score (结果评估).",
        "REJECTED": "Turned down by the project office, with a note.",
    },
)
TicketAction = described_enum(
    tickets.TicketAction,
    "A step of the one-stop workflow.",
    {
        "ACCEPT": "OPEN to ACCEPTED; by the project office.",
        "ASSIGN": "To ASSIGNED, with an assignee; by the project office.",
        "START": "ASSIGNED to IN_PROGRESS; by the assignee or the project office.",
        "RESOLVE": "To RESOLVED, with a note; by the assignee or the project office.",
        "CONFIRM": "RESOLVED to CLOSED, with a satisfaction score; by the reporter or a site "
        "manager of the project.",
        "REOPEN": "RESOLVED back to IN_PROGRESS (or ACCEPTED when unassigned), with a note; by "
        "the reporter or a site manager of the project.",
        "REJECT": "OPEN or ACCEPTED to REJECTED, with a note; by the project office.",
    },
)


class TicketEvent(graphene.ObjectType):
    """One step of a ticket's history."""

    at = graphene.Field(DateTime, required=True, description="When it happened.")
    actor = graphene.Field("schema.accounts.types.User", required=True, description="Who did it.")
    action = graphene.String(
        required=True, description="CREATE, or the TicketAction that was taken."
    )
    from_status = graphene.Field(TicketStatus, description="Status before; null on CREATE.")
    to_status = graphene.Field(TicketStatus, required=True, description="Status after.")
    note = graphene.String(description="What the actor wrote.")

    @staticmethod
    async def resolve_actor(root: TicketEventRow, info: ResolveInfo) -> UserRow:
        return await info.context.loaders.get(UserLoader).load(root.actor_id)


class ShortageTicket(graphene.ObjectType):
    """A request for help with labour or materials, filed from site."""

    class Meta:
        interfaces = (Node,)

    number = graphene.String(
        required=True, description='Human reference, unique: "LAB-2026-0001", "MAT-2026-0001".'
    )
    project = graphene.Field(
        "schema.projects.types.Project", required=True, description="The project that is short."
    )
    kind = graphene.Field(ShortageKind, required=True, description="Labour or material.")
    title = graphene.String(required=True, description="What is short, in a line.")
    description = graphene.String(description="More detail.")
    severity = graphene.Field(Severity, required=True, description="How badly it holds work.")
    trade = graphene.String(description="LABOUR: the trade needed, e.g. rebar fixers.")
    headcount = graphene.Int(description="LABOUR: how many workers are missing.")
    material = graphene.String(description="MATERIAL: what material is short.")
    specification = graphene.String(description="MATERIAL: grade or specification.")
    quantity = graphene.Field(Decimal, description="MATERIAL: how much is short.")
    unit = graphene.String(description="MATERIAL: unit of the quantity, e.g. t, m³.")
    needed_by = graphene.Field(Date, description="When the site needs it.")
    blocking_milestone = graphene.Field(
        "schema.schedule.types.Milestone", description="The milestone it holds back."
    )
    daily_report = graphene.Field(
        "schema.daily_reports.types.DailyReport",
        description="The daily report it was filed from, if any.",
    )
    status = graphene.Field(TicketStatus, required=True, description="Where it is in the workflow.")
    reporter = graphene.Field(
        "schema.accounts.types.User", required=True, description="Who filed it."
    )
    assignee = graphene.Field(
        "schema.accounts.types.User", description="The coordinator or office user working it."
    )
    created_at = graphene.Field(DateTime, required=True, description="When it was filed.")
    updated_at = graphene.Field(DateTime, required=True, description="Last change.")
    resolved_at = graphene.Field(DateTime, description="When it was last resolved.")
    closed_at = graphene.Field(DateTime, description="When the reporter confirmed it.")
    is_overdue = graphene.Boolean(
        required=True, description="Not RESOLVED/CLOSED/REJECTED and neededBy before today."
    )
    satisfaction = graphene.Int(description="1-5, given on CONFIRM.")
    version = graphene.Int(
        required=True,
        description=(
            "0 when filed, one more at each step. Send it back as `expectedVersion` with a "
            "step so that a step decided on an old view is refused (CONFLICT) instead of "
            "applied over changes you have not seen."
        ),
    )
    events = graphene.List(
        graphene.NonNull(TicketEvent), required=True, description="The history, oldest first."
    )
    photos = graphene.Field(
        PhotoConnection,
        required=True,
        first=graphene.Int(description="Page size (default 20, at most 100)."),
        after=graphene.String(description="Cursor of the item before the page."),
        description="Photos of the shortage, newest first.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> TicketRow | None:
        return await visible_ticket(info.context, pk)

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, TicketRow)

    @staticmethod
    async def resolve_daily_report(root: TicketRow, info: ResolveInfo) -> Any:
        if root.daily_report_id is None:
            return None
        return await info.context.loaders.get(DailyReportLoader).load(root.daily_report_id)

    @staticmethod
    async def resolve_project(root: TicketRow, info: ResolveInfo) -> ProjectRow:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    async def resolve_blocking_milestone(root: TicketRow, info: ResolveInfo) -> MilestoneRow | None:
        if root.blocking_milestone_id is None:
            return None
        return await info.context.loaders.get(MilestoneLoader).load(root.blocking_milestone_id)

    @staticmethod
    async def resolve_reporter(root: TicketRow, info: ResolveInfo) -> UserRow:
        return await info.context.loaders.get(UserLoader).load(root.reporter_id)

    @staticmethod
    async def resolve_assignee(root: TicketRow, info: ResolveInfo) -> UserRow | None:
        if root.assignee_id is None:
            return None
        return await info.context.loaders.get(UserLoader).load(root.assignee_id)

    @staticmethod
    def resolve_is_overdue(root: TicketRow, info: ResolveInfo) -> bool:
        return tickets.is_overdue(root, info.context.today)

    @staticmethod
    async def resolve_events(root: TicketRow, info: ResolveInfo) -> list[TicketEventRow]:
        return await info.context.loaders.get(TicketEventsLoader).load(root.id)

    @staticmethod
    async def resolve_photos(
        root: TicketRow,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
    ) -> PhotoConnection:
        return await ticket_photos(root.id, info, first, after)


class ShortageTicketConnection(CountableConnection):
    """A page of shortage tickets."""

    class Meta:
        node = ShortageTicket


class TicketFilter(graphene.InputObjectType):
    """Which tickets to list; all conditions must hold."""

    kind = graphene.Field(ShortageKind, description="Only this kind.")
    status = graphene.List(graphene.NonNull(TicketStatus), description="Any of these statuses.")
    severity = graphene.List(graphene.NonNull(Severity), description="Any of these severities.")
    project_ids = graphene.List(graphene.NonNull(graphene.ID), description="Of these projects.")
    assigned_to_me = graphene.Boolean(description="Only tickets assigned to the viewer.")
    overdue_only = graphene.Boolean(description="Only overdue tickets (see isOverdue).")


def ticket_query(filter: Any) -> tickets.TicketQuery:
    """The domain's TicketQuery for a TicketFilter argument; malformed project IDs are errors."""
    if not filter:
        return tickets.TicketQuery()
    check_list_length(filter.get("project_ids"), "filter.projectIds")
    project_ids = None
    if filter.get("project_ids") is not None:
        project_ids = []
        for index, gid in enumerate(filter["project_ids"]):
            pk = decode_id(gid, "Project")
            if pk is None:
                raise ApiError("INVALID", f"filter.projectIds[{index}] is not a Project ID.")
            project_ids.append(pk)
    return tickets.TicketQuery(
        kind=filter.get("kind"),
        statuses=_distinct(filter.get("status")),
        severities=_distinct(filter.get("severity")),
        project_ids=tuple(project_ids) if project_ids is not None else None,
        assigned_to_me=bool(filter.get("assigned_to_me")),
        overdue_only=bool(filter.get("overdue_only")),
    )


def _distinct(values: list[Any] | None) -> tuple[Any, ...] | None:
    """Enum values of a filter list, each once, in their first order (None stays None)."""
    return tuple(dict.fromkeys(values)) if values is not None else None


async def project_tickets(
    root: ProjectRow,
    info: ResolveInfo,
    first: int | None = None,
    after: str | None = None,
    filter: Any = None,
) -> ShortageTicketConnection:
    """`Project.tickets`: the project's visible tickets, newest first, batched per request."""
    viewer(info)
    rows = await info.context.loaders.get(ProjectTicketsLoader).load(
        (root.id, ticket_query(filter))
    )
    return paginate_list(ShortageTicketConnection, rows, first, after)


class Notification(graphene.ObjectType):
    """A message for the signed-in user, e.g. a step of their ticket."""

    class Meta:
        interfaces = (Node,)

    kind = graphene.String(
        required=True,
        description="TICKET_TRANSITION, TICKET_ASSIGNED or SUPERVISION_INSTRUCTION.",
    )
    message = graphene.String(required=True, description="What happened, for people.")
    ticket = graphene.Field(ShortageTicket, description="The ticket it is about, if visible.")
    subject_id = graphene.ID(description="Global ID of what it is about, when not a ticket.")
    created_at = graphene.Field(DateTime, required=True, description="When it was sent.")
    read_at = graphene.Field(DateTime, description="When it was marked read; null if unread.")

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> NotificationRow | None:
        user = info.context.user
        if user is None:
            return None
        return await notifications.notification_of(user, pk)

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, NotificationRow)

    @staticmethod
    async def resolve_ticket(root: NotificationRow, info: ResolveInfo) -> TicketRow | None:
        if root.ticket_id is None:
            return None
        return await visible_ticket(info.context, root.ticket_id)


class NotificationConnection(CountableConnection):
    """A page of notifications, newest first."""

    class Meta:
        node = Notification
