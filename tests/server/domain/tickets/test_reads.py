"""Reading tickets as domain functions: which are overdue, the tickets of many projects."""

from __future__ import annotations

import datetime as dt

from server.domain import tickets
from server.domain.models import Role, TicketStatus
from server.domain.rows.tickets import TicketRow
from tests.conftest import MakeAccount
from tests.ticket_helpers import make_project, make_ticket

S = TicketStatus


async def test_is_overdue(make_account: MakeAccount) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "reporter")).user
    project = await make_project(reporter)
    today = dt.date(2026, 3, 10)
    late = TicketRow.of(
        await make_ticket(project, reporter, S.IN_PROGRESS, needed_by=dt.date(2026, 3, 9))
    )
    due_today = TicketRow.of(await make_ticket(project, reporter, S.OPEN, needed_by=today))
    resolved_late = TicketRow.of(
        await make_ticket(project, reporter, S.RESOLVED, needed_by=dt.date(2026, 3, 1))
    )
    undated = TicketRow.of(await make_ticket(project, reporter, S.OPEN))
    assert tickets.is_overdue(late, today)
    assert not tickets.is_overdue(due_today, today)
    assert not tickets.is_overdue(resolved_late, today)
    assert not tickets.is_overdue(undated, today)


async def test_tickets_of_projects_are_visible_rows_grouped_newest_first(
    make_account: MakeAccount,
) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    coordinator = (await make_account(Role.COORDINATOR, "coordinator")).user
    mine, other, empty = (
        await make_project(manager),
        await make_project(),
        await make_project(manager),
    )
    first = await make_ticket(mine, manager, S.OPEN)
    second = await make_ticket(mine, manager, S.ASSIGNED, assignee=coordinator)
    hidden = await make_ticket(other, manager, S.OPEN)
    today = dt.date(2026, 3, 10)
    ids = [mine.id, other.id, empty.id]
    found = await tickets.tickets_of_projects(manager, ids, tickets.TicketQuery(), today)
    assert list(found) == [mine.id]
    assert all(isinstance(row, TicketRow) for row in found[mine.id])
    assert [row.id for row in found[mine.id]] == [second.id, first.id]
    assert found[mine.id][0].status is S.ASSIGNED
    handed = await tickets.tickets_of_projects(coordinator, ids, tickets.TicketQuery(), today)
    assert {p: [r.id for r in rows] for p, rows in handed.items()} == {mine.id: [second.id]}
    open_only = tickets.TicketQuery(statuses=(S.OPEN,))
    only_open = await tickets.tickets_of_projects(manager, ids, open_only, today)
    assert [r.id for r in only_open[mine.id]] == [first.id]
    assert hidden.id not in {r.id for rows in found.values() for r in rows}
    assert await tickets.tickets_of_projects(manager, [], tickets.TicketQuery(), today) == {}
