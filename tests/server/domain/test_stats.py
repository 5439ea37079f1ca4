"""A programme's figures over the projects of a scope, in three statements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from server.domain.access import EVERY_PROJECT, ProjectScope
from server.domain.health import Cutoffs, Health
from server.domain.models import Role, Severity
from server.domain.stats import HealthCount, programme_stats
from server.settings import Settings
from tests import factories
from tests.conftest import MakeAccount

TODAY = dt.date(2020, 6, 1)


async def test_programme_stats_count_what_the_scope_shows(
    settings: Settings, make_account: MakeAccount, count_statements: Callable[[], Any]
) -> None:
    manager = (await make_account(Role.SITE_MANAGER)).user
    programme = await factories.programme()
    empty = await factories.programme("765")
    late = await factories.project("LATE", programmes=(programme,))
    await factories.milestone(late, TODAY - dt.timedelta(days=3))
    await factories.ticket(late, manager, Severity.LOW)
    mine = await factories.project("MINE", programmes=(programme,))
    await mine.site_managers.add(manager)
    cutoffs = Cutoffs.of(TODAY, settings)

    with count_statements() as counter:
        everything, nothing = await programme_stats(
            [programme.id, empty.id], cutoffs, EVERY_PROJECT
        )
    assert len(counter.statements) == 3
    assert (everything.project_count, everything.overdue_milestone_count) == (2, 1)
    assert everything.open_ticket_count == 1
    assert [c.health for c in everything.health_counts] == list(Health)
    assert HealthCount(Health.YELLOW, 1) in everything.health_counts
    assert (nothing.programme_id, nothing.project_count) == (empty.id, 0)

    [managed] = await programme_stats([programme.id], cutoffs, ProjectScope(manager.id))
    assert (managed.project_count, managed.overdue_milestone_count) == (1, 0)
    assert managed.open_ticket_count == 0
    assert HealthCount(Health.GREEN, 1) in managed.health_counts
