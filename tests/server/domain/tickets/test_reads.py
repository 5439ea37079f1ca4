"""Reading tickets as domain functions: which are overdue."""

from __future__ import annotations

import datetime as dt

from server.domain import tickets
from server.domain.models import Role, TicketStatus
from tests.conftest import MakeAccount
from tests.ticket_helpers import make_project, make_ticket

S = TicketStatus


async def test_is_overdue(make_account: MakeAccount) -> None:
    reporter = (await make_account(Role.SITE_MANAGER, "reporter")).user
    project = await make_project(reporter)
    today = dt.date(2026, 3, 10)
    late = await make_ticket(project, reporter, S.IN_PROGRESS, needed_by=dt.date(2026, 3, 9))
    due_today = await make_ticket(project, reporter, S.OPEN, needed_by=today)
    resolved_late = await make_ticket(project, reporter, S.RESOLVED, needed_by=dt.date(2026, 3, 1))
    undated = await make_ticket(project, reporter, S.OPEN)
    assert tickets.is_overdue(late, today)
    assert not tickets.is_overdue(due_today, today)
    assert not tickets.is_overdue(resolved_late, today)
    assert not tickets.is_overdue(undated, today)
