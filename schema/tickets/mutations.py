"""The ticket and notification mutations: `createShortageTicket`, `transitionTicket`,
`markNotificationsRead`."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.errors import errors_field
from schema.mutations import mutation
from schema.relay import decode_id, input_id
from schema.scalars import Date, Decimal
from schema.tickets.types import Notification, Severity, ShortageKind, ShortageTicket, TicketAction
from server.domain import idempotency, models, notifications, tickets
from server.domain.access import EVERYONE_SIGNED_IN, SITE_WRITERS
from server.domain.rows.tickets import NotificationRow, TicketRow


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
    daily_report_id = graphene.ID(
        description="The project's daily report a LABOUR ticket is filed from (a labour "
        "alert): its trades short of workers fill in `trade` and `headcount` when not given."
    )
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
    expected_version = graphene.Int(
        description=(
            "The ticket's `version` the client saw. When the ticket has moved on since, the "
            "step is not taken: CONFLICT, with the ticket as it now stands in the payload. "
            "Omitted or null: the step applies to whatever version the ticket is at."
        )
    )
    idempotency_key = graphene.String(
        description=(
            "A retry with the same key and the same input returns the ticket as it now stands "
            "(even when it has moved on since) and takes no second step; the same key with "
            "another input is a CONFLICT. Keys are remembered for a week "
            "(WALLCHART_IDEMPOTENCY_KEY_TTL_HOURS)."
        )
    )


class ShortageTicketPayload(graphene.ObjectType):
    """Result of creating or transitioning a shortage ticket."""

    ticket = graphene.Field(
        ShortageTicket,
        description="The ticket as it now stands: also beside a CONFLICT over its version.",
    )
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


class Mutations:
    """Ticket and notification mutations."""

    @mutation(
        ShortageTicketPayload,
        CreateShortageTicketInput,
        roles=SITE_WRITERS,
        description="File a labour or material shortage ticket (site manager of the project, "
        "OFFICE, ADMIN).",
    )
    async def create_shortage_ticket(
        info: ResolveInfo, user: models.User | None, input: Any
    ) -> dict[str, Any]:
        draft = tickets.TicketDraft(
            project_id=input_id(input.project_id, "Project") or 0,
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
            blocking_milestone_id=input_id(input.blocking_milestone_id, "Milestone"),
            photo_ids=[decode_id(gid, "Photo") for gid in input.photo_ids or []],
            daily_report_id=(
                input_id(input.daily_report_id, "DailyReport") or 0
                if input.daily_report_id is not None
                else None
            ),
        )
        ticket = await tickets.create_ticket(
            info.context.access,
            draft,
            today=info.context.today,
            idempotency_key=input.idempotency_key,
            key_ttl=idempotency.ttl_of(info.context.settings),
        )
        return {"ticket": TicketRow.of(ticket)}

    @mutation(
        ShortageTicketPayload,
        TransitionTicketInput,
        roles=EVERYONE_SIGNED_IN,
        description="Take one step of the one-stop workflow on a ticket.",
        current_field="ticket",
    )
    async def transition_ticket(
        info: ResolveInfo, user: models.User | None, input: Any
    ) -> dict[str, Any]:
        request = tickets.TransitionRequest(
            ticket_id=input_id(input.ticket_id, "ShortageTicket") or 0,
            action=tickets.TicketAction(input.action),
            assignee_id=input_id(input.assignee_id, "User"),
            note=input.note,
            satisfaction=input.satisfaction,
            expected_version=input.expected_version,
        )
        ticket = await tickets.transition_ticket(
            info.context.access,
            request,
            idempotency_key=input.idempotency_key,
            key_ttl=idempotency.ttl_of(info.context.settings),
        )
        return {"ticket": TicketRow.of(ticket)}

    @mutation(
        MarkNotificationsReadPayload,
        MarkNotificationsReadInput,
        roles=EVERYONE_SIGNED_IN,
        description="Mark some of the viewer's notifications read.",
    )
    async def mark_notifications_read(
        info: ResolveInfo, user: models.User | None, input: Any
    ) -> dict[str, Any]:
        assert user is not None  # EVERYONE_SIGNED_IN
        ids = [input_id(gid, "Notification") or 0 for gid in input.ids]
        marked = await notifications.mark_read(user, ids)
        return {
            "notifications": [NotificationRow.of(notification) for notification in marked],
            "unread_count": await notifications.unread_count(user),
        }
