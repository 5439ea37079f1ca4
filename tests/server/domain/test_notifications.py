"""Notifications as domain functions: leaving them, counting unread ones, marking them read."""

from __future__ import annotations

import pytest

from server.domain.errors import Refused
from server.domain.models import AuditEntry, Notification, Role
from server.domain.notifications import MAX_MARKED_AT_ONCE, mark_read, notify, unread_count
from tests.conftest import MakeAccount


async def test_mark_read_marks_only_the_users_own_and_audits_each(
    make_account: MakeAccount,
) -> None:
    me = (await make_account(Role.SITE_MANAGER, "me")).user
    other = (await make_account(Role.SITE_MANAGER, "other")).user
    mine = await notify([me, me.id], "TICKET_TRANSITION", "一")
    mine += await notify([me], "TICKET_TRANSITION", "二")
    [theirs] = await notify([other], "TICKET_TRANSITION", "三")
    assert len(mine) == 2 and await unread_count(me) == 2
    with pytest.raises(Refused) as refused:
        await mark_read(me, [mine[0].id, theirs.id, 0])
    assert [p.field for p in refused.value.problems] == [
        ("input", "ids", "1"),
        ("input", "ids", "2"),
    ]
    assert await unread_count(me) == 2
    marked = await mark_read(me, [mine[1].id, mine[0].id, mine[1].id])
    assert [n.id for n in marked] == [mine[1].id, mine[0].id]
    assert all(n.read_at is not None for n in marked)
    assert await unread_count(me) == 0 and await unread_count(other) == 1
    assert await AuditEntry.filter(action="markNotificationsRead").count() == 2
    first_read = (await Notification.get(id=mine[0].id)).read_at
    await mark_read(me, [mine[0].id])
    assert (await Notification.get(id=mine[0].id)).read_at == first_read


async def test_mark_read_takes_a_page_at_most(make_account: MakeAccount) -> None:
    me = (await make_account(Role.OFFICE, "me")).user
    with pytest.raises(Refused) as refused:
        await mark_read(me, [0] * (MAX_MARKED_AT_ONCE + 1))
    assert (refused.value.code, refused.value.field) == ("INVALID", ("input", "ids"))
