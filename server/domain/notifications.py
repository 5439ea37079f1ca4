"""Notifications for the phone: written by the domains, polled and marked read by users."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tortoise.queryset import QuerySet

from server.domain.clock import utc_now
from server.domain.models import Notification, ShortageTicket, User


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
        created.append(
            await Notification.create(
                user_id=user_id,
                kind=kind,
                message=message,
                ticket=ticket,
                subject_id=subject_id,
            )
        )
    return created


def notifications_of(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first (served by the (user, id) indexes)."""
    found = Notification.filter(user_id=user.id)
    if unread_only:
        found = found.filter(read_at__isnull=True)
    return found.order_by("-id")


async def unread_count(user: User) -> int:
    """How many of the user's notifications are unread: one indexed count, cheap to poll."""
    return await Notification.filter(user_id=user.id, read_at__isnull=True).count()


async def mark_read(user: User, ids: Sequence[int]) -> tuple[list[Notification], list[int]]:
    """Mark the user's notifications `ids` read; returns them and the ids that are not theirs.

    Already read ones keep the time they were first read. Nothing is changed when any id is
    not the user's.
    """
    found = {n.id: n for n in await Notification.filter(user_id=user.id, id__in=list(ids))}
    missing = [i for i in ids if i not in found]
    if missing:
        return [], missing
    await Notification.filter(id__in=list(found), read_at__isnull=True).update(read_at=utc_now())
    refreshed = {n.id: n for n in await Notification.filter(id__in=list(found))}
    return [refreshed[i] for i in dict.fromkeys(ids)], []
