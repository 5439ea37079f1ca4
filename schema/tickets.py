"""Shortage tickets and notifications: types, loaders, `tickets`, `notifications` and mutations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import graphene
from aiodataloader import DataLoader
from graphene import ResolveInfo

from schema.accounts import User
from schema.context import RequestContext
from schema.errors import ApiError, errors_field
from schema.loaders import ReadyLoader, may_see_project
from schema.loaders.accounts import UserLoader
from schema.loaders.projects import ProjectLoader
from schema.loaders.schedule import MilestoneLoader
from schema.loaders.tickets import TicketLoader
from schema.mutations import mutation
from schema.permissions import requires, viewer
from schema.photos import PhotoConnection, ticket_photos
from schema.projects import Project
from schema.relay import (
    MAX_PAGE_SIZE,
    CountableConnection,
    Node,
    check_list_length,
    decode_id,
    paginate_list,
    paginate_queryset,
)
from schema.scalars import Date, DateTime, Decimal
from schema.schedule import Milestone
from server.domain import audit, idempotency, models, notifications, tickets
from server.domain.access import EVERYONE_SIGNED_IN, READERS
from server.domain.errors import Problem, Refused
from server.domain.models import Role

ShortageKind = graphene.Enum.from_enum(models.ShortageKind, description="What is short on site.")
Severity = graphene.Enum.from_enum(
    models.Severity, description="How badly the shortage holds the site back."
)
TicketStatus = graphene.Enum.from_enum(
    models.TicketStatus, description="Where a ticket is in the one-stop workflow."
)
TicketAction = graphene.Enum.from_enum(
    tickets.TicketAction, description="A step of the one-stop workflow."
)
FILERS = (Role.SITE_MANAGER, Role.OFFICE, Role.ADMIN)


# --- Loaders ----------------------------------------------------------------------------------


class TicketEventsLoader(DataLoader):
    """The history of each ticket, oldest first, for a batch of tickets in one query."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, ticket_ids: Iterable[int]) -> list[list[models.TicketEvent]]:
        ticket_ids = list(ticket_ids)
        found: dict[int, list[models.TicketEvent]] = defaultdict(list)
        for event in await models.TicketEvent.filter(ticket_id__in=ticket_ids).order_by("id"):
            found[event.ticket_id].append(event)
        return [found[t] for t in ticket_ids]


class ProjectTicketsLoader(DataLoader):
    """The visible tickets of each project, newest first; key (project id, TicketQuery)."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(
        self, keys: Iterable[tuple[int, tickets.TicketQuery]]
    ) -> list[list[models.ShortageTicket]]:
        keys = list(keys)
        by_query: dict[tickets.TicketQuery, set[int]] = defaultdict(set)
        for project_id, query in keys:
            by_query[query].add(project_id)
        found: dict[tuple[int, tickets.TicketQuery], list[models.ShortageTicket]] = defaultdict(
            list
        )
        user = viewer_of(self.context)
        for query, project_ids in by_query.items():
            rows = tickets.filter_tickets(
                tickets.visible_tickets(user).filter(project_id__in=sorted(project_ids)),
                query,
                user,
                self.context.today,
            )
            for ticket in await rows:
                found[(ticket.project_id, query)].append(ticket)
        return [found[key] for key in keys]


class OpenTicketCountLoader(ReadyLoader):
    """How many open tickets each project has, for a batch of projects in one query."""

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[int]:
        project_ids = list(project_ids)
        counts = await tickets.open_ticket_counts(project_ids)
        return [counts.get(p, 0) for p in project_ids]


async def may_see_ticket(context: RequestContext, ticket: models.ShortageTicket) -> bool:
    """tickets.can_see_ticket with the request's batched project visibility."""
    user = context.user
    if user is None:
        return False
    if user.role == Role.COORDINATOR:
        return ticket.assignee_id == user.id
    return await may_see_project(context, ticket.project_id)


def viewer_of(context: RequestContext) -> models.User:
    """The signed-in user of a loader's request (loaders run only for signed-in readers)."""
    if context.user is None:
        raise ApiError("UNAUTHENTICATED", "Sign in first: send Authorization: Bearer <token>.")
    return context.user


# --- Types ------------------------------------------------------------------------------------


class TicketEvent(graphene.ObjectType):
    """One step of a ticket's history."""

    at = graphene.Field(DateTime, required=True, description="When it happened.")
    actor = graphene.Field(User, required=True, description="Who did it.")
    action = graphene.String(
        required=True, description="CREATE, or the TicketAction that was taken."
    )
    from_status = graphene.Field(TicketStatus, description="Status before; null on CREATE.")
    to_status = graphene.Field(TicketStatus, required=True, description="Status after.")
    note = graphene.String(description="What the actor wrote.")

    @staticmethod
    async def resolve_actor(root: models.TicketEvent, info: ResolveInfo) -> models.User:
        return await info.context.loaders.get(UserLoader).load(root.actor_id)


class ShortageTicket(graphene.ObjectType):
    """A request for help with labour or materials, filed from site."""

    class Meta:
        interfaces = (Node,)

    number = graphene.String(
        required=True, description='Human reference, unique: "LAB-2026-0001", "MAT-2026-0001".'
    )
    project = graphene.Field(Project, required=True, description="The project that is short.")
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
    blocking_milestone = graphene.Field(Milestone, description="The milestone it holds back.")
    status = graphene.Field(TicketStatus, required=True, description="Where it is in the workflow.")
    reporter = graphene.Field(User, required=True, description="Who filed it.")
    assignee = graphene.Field(User, description="The coordinator or office user working it.")
    created_at = graphene.Field(DateTime, required=True, description="When it was filed.")
    updated_at = graphene.Field(DateTime, required=True, description="Last change.")
    resolved_at = graphene.Field(DateTime, description="When it was last resolved.")
    closed_at = graphene.Field(DateTime, description="When the reporter confirmed it.")
    is_overdue = graphene.Boolean(
        required=True, description="Not RESOLVED/CLOSED/REJECTED and neededBy before today."
    )
    satisfaction = graphene.Int(description="1-5, given on CONFIRM.")
    events = graphene.List(
        graphene.NonNull(TicketEvent), required=True, description="The history, oldest first."
    )
    photos = graphene.Field(
        PhotoConnection,
        required=True,
        first=graphene.Int(),
        after=graphene.String(),
        description="Photos of the shortage, newest first.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> models.ShortageTicket | None:
        ticket = await info.context.loaders.get(TicketLoader).load(pk)
        if ticket is None or not await may_see_ticket(info.context, ticket):
            return None
        return ticket

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, models.ShortageTicket)

    @staticmethod
    async def resolve_project(root: models.ShortageTicket, info: ResolveInfo) -> models.Project:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    async def resolve_blocking_milestone(
        root: models.ShortageTicket, info: ResolveInfo
    ) -> models.Milestone | None:
        if root.blocking_milestone_id is None:
            return None
        return await info.context.loaders.get(MilestoneLoader).load(root.blocking_milestone_id)

    @staticmethod
    async def resolve_reporter(root: models.ShortageTicket, info: ResolveInfo) -> models.User:
        return await info.context.loaders.get(UserLoader).load(root.reporter_id)

    @staticmethod
    async def resolve_assignee(
        root: models.ShortageTicket, info: ResolveInfo
    ) -> models.User | None:
        if root.assignee_id is None:
            return None
        return await info.context.loaders.get(UserLoader).load(root.assignee_id)

    @staticmethod
    def resolve_is_overdue(root: models.ShortageTicket, info: ResolveInfo) -> bool:
        return tickets.is_overdue(root, info.context.today)

    @staticmethod
    async def resolve_events(
        root: models.ShortageTicket, info: ResolveInfo
    ) -> list[models.TicketEvent]:
        return await info.context.loaders.get(TicketEventsLoader).load(root.id)

    @staticmethod
    async def resolve_photos(
        root: models.ShortageTicket,
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
    root: models.Project,
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
    async def get_node(cls, info: ResolveInfo, pk: int) -> models.Notification | None:
        user = info.context.user
        if user is None:
            return None
        return await models.Notification.get_or_none(id=pk, user_id=user.id)

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, models.Notification)

    @staticmethod
    async def resolve_ticket(
        root: models.Notification, info: ResolveInfo
    ) -> models.ShortageTicket | None:
        if root.ticket_id is None:
            return None
        return await ShortageTicket.get_node(info, root.ticket_id)


class NotificationConnection(CountableConnection):
    """A page of notifications, newest first."""

    class Meta:
        node = Notification


# --- Queries ----------------------------------------------------------------------------------


class Queries:
    """Ticket and notification queries."""

    tickets = graphene.Field(
        ShortageTicketConnection,
        required=True,
        first=graphene.Int(),
        after=graphene.String(),
        filter=TicketFilter(),
        description="Shortage tickets the viewer may see, newest first.",
    )
    notifications = graphene.Field(
        NotificationConnection,
        required=True,
        first=graphene.Int(),
        after=graphene.String(),
        unread_only=graphene.Boolean(),
        description="The viewer's notifications, newest first.",
    )
    unread_notification_count = graphene.Int(
        required=True, description="How many of the viewer's notifications are unread."
    )

    @staticmethod
    @requires(READERS)
    async def resolve_tickets(
        root: Any,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        filter: Any = None,
    ) -> ShortageTicketConnection:
        user = viewer(info)
        found = tickets.filter_tickets(
            tickets.visible_tickets(user), ticket_query(filter), user, info.context.today
        )
        return await paginate_queryset(ShortageTicketConnection, found, first, after)

    @staticmethod
    @requires(READERS)
    async def resolve_notifications(
        root: Any,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        unread_only: bool | None = None,
    ) -> NotificationConnection:
        found = notifications.notifications_of(viewer(info), unread_only=bool(unread_only))
        return await paginate_queryset(NotificationConnection, found, first, after)

    @staticmethod
    @requires(READERS)
    async def resolve_unread_notification_count(root: Any, info: ResolveInfo) -> int:
        return await notifications.unread_count(viewer(info))


# --- Mutations --------------------------------------------------------------------------------


class CreateShortageTicketInput(graphene.InputObjectType):
    """A shortage ticket to file; the kind's own fields are required, the other kind's refused."""

    project_id = graphene.ID(required=True, description="The project that is short.")
    kind = ShortageKind(required=True, description="Labour or material.")
    title = graphene.String(required=True, description="What is short, in a line.")
    description = graphene.String(description="More detail.")
    severity = Severity(default_value=models.Severity.MEDIUM, description="MEDIUM if omitted.")
    trade = graphene.String(description="LABOUR, required: the trade needed.")
    headcount = graphene.Int(description="LABOUR, required: how many workers, above zero.")
    material = graphene.String(description="MATERIAL, required: what material.")
    specification = graphene.String(description="MATERIAL: grade or specification.")
    quantity = Decimal(description="MATERIAL, required: how much, above zero.")
    unit = graphene.String(description="MATERIAL, required: unit of the quantity.")
    needed_by = Date(description="When the site needs it.")
    blocking_milestone_id = graphene.ID(description="A milestone of the same project it blocks.")
    photo_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        description="Photos of the project, uploaded beforehand, that show the shortage.",
    )
    idempotency_key = graphene.String(
        description=(
            "A retry with the same key and the same input returns the first result and stores "
            "nothing new; the same key with another input is a CONFLICT. Keys are remembered "
            "for a week (WALLCHART_IDEMPOTENCY_KEY_TTL_HOURS)."
        )
    )


class TransitionTicketInput(graphene.InputObjectType):
    """One step of the workflow; see TicketAction for who may take which step."""

    ticket_id = graphene.ID(required=True, description="The ticket.")
    action = TicketAction(required=True, description="The step to take.")
    assignee_id = graphene.ID(description="ASSIGN: an active COORDINATOR or OFFICE user.")
    note = graphene.String(description="Required for RESOLVE, REOPEN and REJECT.")
    satisfaction = graphene.Int(description="CONFIRM: 1 to 5.")


class ShortageTicketPayload(graphene.ObjectType):
    """Result of creating or transitioning a shortage ticket."""

    ticket = graphene.Field(ShortageTicket, description="The ticket as it now stands.")
    errors = errors_field()


class MarkNotificationsReadInput(graphene.InputObjectType):
    """Notifications of the viewer to mark read."""

    ids = graphene.List(
        graphene.NonNull(graphene.ID), required=True, description="Notification IDs."
    )


class MarkNotificationsReadPayload(graphene.ObjectType):
    """Result of `markNotificationsRead`."""

    notifications = graphene.List(
        graphene.NonNull(Notification), description="The notifications, now read."
    )
    unread_count = graphene.Int(description="How many unread notifications remain.")
    errors = errors_field()


def _decoded(value: str | None, type_name: str) -> int | None:
    """The pk of a global ID; 0 (which no row has) when it is malformed or of another type."""
    if value is None:
        return None
    return decode_id(value, type_name) or 0


def _refusal(refused: tickets.TicketRefused) -> Refused:
    return Refused.all([Problem(p.code, p.message, p.field) for p in refused.problems])


class Mutations:
    """Ticket and notification mutations."""

    @mutation(
        ShortageTicketPayload,
        CreateShortageTicketInput,
        roles=FILERS,
        description="File a labour or material shortage ticket (site manager of the project, "
        "OFFICE, ADMIN).",
    )
    async def create_shortage_ticket(
        info: ResolveInfo, user: models.User | None, input: Any
    ) -> dict[str, Any]:
        assert user is not None
        draft = tickets.TicketDraft(
            project_id=_decoded(input.project_id, "Project") or 0,
            kind=input.kind,
            title=input.title,
            description=input.description,
            severity=input.severity or models.Severity.MEDIUM,
            trade=input.trade,
            headcount=input.headcount,
            material=input.material,
            specification=input.specification,
            quantity=input.quantity,
            unit=input.unit,
            needed_by=input.needed_by,
            blocking_milestone_id=_decoded(input.blocking_milestone_id, "Milestone"),
            photo_ids=[decode_id(gid, "Photo") for gid in input.photo_ids or []],
        )
        try:
            ticket = await tickets.create_ticket(
                user,
                draft,
                today=info.context.today,
                idempotency_key=input.idempotency_key,
                key_ttl=idempotency.ttl_of(info.context.settings),
            )
        except tickets.TicketRefused as refused:
            raise _refusal(refused) from None
        return {"ticket": ticket}

    @mutation(
        ShortageTicketPayload,
        TransitionTicketInput,
        roles=EVERYONE_SIGNED_IN,
        description="Take one step of the one-stop workflow on a ticket.",
    )
    async def transition_ticket(
        info: ResolveInfo, user: models.User | None, input: Any
    ) -> dict[str, Any]:
        assert user is not None
        request = tickets.TransitionRequest(
            ticket_id=_decoded(input.ticket_id, "ShortageTicket") or 0,
            action=tickets.TicketAction(input.action),
            assignee_id=_decoded(input.assignee_id, "User"),
            note=input.note,
            satisfaction=input.satisfaction,
        )
        try:
            ticket = await tickets.transition_ticket(user, request)
        except tickets.TicketRefused as refused:
            raise _refusal(refused) from None
        return {"ticket": ticket}

    @mutation(
        MarkNotificationsReadPayload,
        MarkNotificationsReadInput,
        roles=EVERYONE_SIGNED_IN,
        description="Mark some of the viewer's notifications read.",
    )
    async def mark_notifications_read(
        info: ResolveInfo, user: models.User | None, input: Any
    ) -> dict[str, Any]:
        assert user is not None
        if len(input.ids) > MAX_PAGE_SIZE:
            raise Refused(
                "INVALID", f"At most {MAX_PAGE_SIZE} notifications at once.", ("input", "ids")
            )
        ids = [_decoded(gid, "Notification") or 0 for gid in input.ids]
        marked, missing = await notifications.mark_read(user, ids)
        if missing:
            raise Refused.all(
                [
                    Problem("NOT_FOUND", "No such notification.", ("input", "ids", str(index)))
                    for index, pk in enumerate(ids)
                    if pk in missing
                ]
            )
        for notification in marked:
            await audit.record(user, "markNotificationsRead", notification)
        return {"notifications": marked, "unread_count": await notifications.unread_count(user)}


TYPES = (ShortageTicket, Notification)
