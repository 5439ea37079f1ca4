"""The ticket and notification queries: `tickets`, `notifications`, `unreadNotificationCount`."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.permissions import requires, viewer
from schema.relay import paginate_queryset
from schema.tickets.types import (
    NotificationConnection,
    ShortageTicketConnection,
    TicketFilter,
    ticket_query,
)
from server.domain import notifications, tickets
from server.domain.access import READERS, visible_tickets
from server.domain.rows.tickets import NotificationRow, TicketRow


class Queries:
    """Ticket and notification queries."""

    tickets = graphene.Field(
        ShortageTicketConnection,
        required=True,
        first=graphene.Int(description="Page size (default 20, at most 100)."),
        after=graphene.String(description="Cursor of the item before the page."),
        filter=TicketFilter(description="Which tickets to list."),
        description="Shortage tickets the viewer may see, newest first.",
    )
    notifications = graphene.Field(
        NotificationConnection,
        required=True,
        first=graphene.Int(description="Page size (default 20, at most 100)."),
        after=graphene.String(description="Cursor of the item before the page."),
        unread_only=graphene.Boolean(description="Only the unread ones when true."),
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
            visible_tickets(user), ticket_query(filter), user, info.context.today
        )
        return await paginate_queryset(ShortageTicketConnection, found, TicketRow, first, after)

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
        return await paginate_queryset(NotificationConnection, found, NotificationRow, first, after)

    @staticmethod
    @requires(READERS)
    async def resolve_unread_notification_count(root: Any, info: ResolveInfo) -> int:
        return await notifications.unread_count(viewer(info))
