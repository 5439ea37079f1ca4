"""Notifications for the phone: written by the domains, polled and marked read by users."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tortoise.queryset import QuerySet

from server.domain import audit, journal
from server.domain.clock import utc_now
from server.domain.errors import Problem, Refused
from server.domain.models import Notification, ShortageTicket, User
from server.domain.rows import queryset_rows
from server.domain.rows.tickets import NotificationRow

MARK_READ_OPERATION = "markNotificationsRead"
MAX_MARKED_AT_ONCE = 100
"""The most notifications one markNotificationsRead takes (a page's worth)."""


def _user_id(recipient: User | int) -> int:
    return recipient if isinstance(recipient, int) else recipient.id


async def notify(
    recipients: Iterable[User | int],
    kind: str,
    message: str,
    *,
    ticket: ShortageTicket | None = None,
    subject_id: str | None = None,
) -> list[Notification]:
    """Leave `message` for each recipient (once each); call inside the writing transaction.

    `kind` is a short code the phone can switch on (TICKET_TRANSITION, TICKET_ASSIGNED,
    SUPERVISION_INSTRUCTION, ...); `subject_id` is the global ID of what it is about, when that
    is not a ticket.
    """
    created = []
    for user_id in dict.fromkeys(_user_id(r) for r in recipients):
        notification = await Notification.create(
            user_id=user_id, kind=kind, message=message, ticket=ticket, subject_id=subject_id
        )
        await journal.note_object(notification)
        created.append(notification)
    return created


def notifications_of(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first (served by the (user, id) indexes).

    A statement still to run: page it as rows (`NotificationRow`).
    """
    found = Notification.filter(user_id=user.id)
    if unread_only:
        found = found.filter(read_at__isnull=True)
    return found.order_by("-id")


async def notification_of(user: User, notification_id: int) -> NotificationRow | None:
    """The user's notification `notification_id`, or None (also when it is someone else's)."""
    found = await queryset_rows(
        NotificationRow, Notification.filter(id=notification_id, user_id=user.id)
    )
    return found[0] if found else None


async def unread_count(user: User) -> int:
    """How many of the user's notifications are unread: one indexed count, cheap to poll."""
    return await Notification.filter(user_id=user.id, read_at__isnull=True).count()


async def mark_read(user: User, ids: Sequence[int]) -> list[Notification]:
    """Mark the user's notifications `ids` read (0: an id that never exists), with an audit
    entry each; returns them, each once, in the order asked.

    Refused: INVALID for more than MAX_MARKED_AT_ONCE ids; NOT_FOUND at each position whose id
    is not one of the user's notifications, and then nothing is changed. Already read ones
    keep the time they were first read.
    """
    if len(ids) > MAX_MARKED_AT_ONCE:
        raise Refused(
            "INVALID", f"At most {MAX_MARKED_AT_ONCE} notifications at once.", ("input", "ids")
        )
    found = {n.id: n for n in await Notification.filter(user_id=user.id, id__in=list(ids))}
    missing = [
        Problem("NOT_FOUND", "No such notification.", ("input", "ids", str(index)))
        for index, pk in enumerate(ids)
        if pk not in found
    ]
    if missing:
        raise Refused.all(missing)
    await Notification.filter(id__in=list(found), read_at__isnull=True).update(read_at=utc_now())
    refreshed = {n.id: n for n in await Notification.filter(id__in=list(found))}
    marked = [refreshed[i] for i in dict.fromkeys(ids)]
    for notification in marked:
        await audit.record(user, MARK_READ_OPERATION, notification)
    return marked
