"""Statements per request follow the relation levels asked for, never the page sizes.

Each query below walks a root list and every nested list under it, with every page size set
to `$n`; asked with n = 2 and n = 8 over the same data, it must run the same statements.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from server.domain.clock import zone_today
from server.domain.models import (
    Notification,
    Photo,
    Rebaseline,
    Role,
    Severity,
    TaskSheet,
    TicketEvent,
    TicketStatus,
)
from server.settings import Settings
from tests import factories
from tests.conftest import Account, GraphQL, MakeAccount

PER_PARENT = 9  # more children of every kind than the largest page asked for

PROJECT_FIELDS = """
  code programmes { code } siteManagers { username } health openTicketCount
  nextMilestone { title }
  taskSheet { items { title } revisions { revision } }
  roadmap { name milestones { title } }
  milestones(first: $n) { edges { node {
    title dependsOn { title } dependencies { lagDays } rebaselines { reason }
    reviews { instruction } photos(first: $n) { edges { node { width } } }
  } } }
  photos(first: $n) { edges { node { width ticket { number } milestone { title } } } }
  tickets(first: $n) { edges { node {
    number reporter { username } events { action } photos(first: $n) { edges { node { width } } }
  } } }
"""


def _page_of_projects(root: str, closing: str = "}") -> str:
    """A query of a page of projects under `root` (closed by `closing`), every list nested."""
    page = f"(first: $n) {{ edges {{ node {{ {PROJECT_FIELDS} }} }} }}"
    return f"query($n: Int!) {{ {root}{page} {closing}"


QUERIES = {
    "projects": _page_of_projects("projects"),
    "me.projects": _page_of_projects("me { projects", "} }"),
    "programmes.projects": (
        "query($n: Int!) { programmes { code projects(first: $n) { edges { node {"
        " code milestones(first: $n) { edges { node { title } } } } } } } }"
    ),
    "tickets": (
        "query($n: Int!) { tickets(first: $n) { edges { node { number project { code }"
        " blockingMilestone { title } events { action } photos(first: $n) { edges { node {"
        " width } } } } } } }"
    ),
    "overdueMilestones": (
        "query($n: Int!) { overdueMilestones(first: $n) { edges { node { title"
        " project { code } reviews { instruction } photos(first: $n) { edges { node { width"
        " } } } } } } }"
    ),
    "openReviews": (
        "query($n: Int!) { openReviews(first: $n) { edges { node { instruction"
        " milestone { title } project { code } reviewer { username } } } } }"
    ),
    "notifications": (
        "query($n: Int!) { notifications(first: $n) { edges { node { message"
        " ticket { number project { code } } } } } }"
    ),
}


async def _seed(settings: Settings, office: Account, manager: Account) -> None:
    """Enough of every kind of row that each list has more than a page of children."""
    today = zone_today(settings.zone)
    programmes = [await factories.programme(code) for code in ("1090", "1050")]
    for p in range(PER_PARENT):
        project = await factories.project(f"S-{p:02d}", programmes=tuple(programmes))
        await project.site_managers.add(manager.user)
        phase = await factories.phase(project)
        sheet = await factories.task_sheet(project, items=("一", "二", "三"))
        await TaskSheet.create(project=project, year=sheet.year, revision=2, scope="调整")
        previous = None
        milestones = []
        for m in range(PER_PARENT):
            milestone = await factories.milestone(
                project, today - dt.timedelta(days=30 - m), title=f"M{m}"
            )
            milestone.phase_id = phase.id
            await milestone.save()
            if previous is not None:
                await factories.link(previous, milestone)
            await Rebaseline.create(
                milestone=milestone,
                old_date=today,
                new_date=today,
                reason="疫情",
                actor=office.user,
            )
            await factories.review(milestone, office.user)
            milestones.append(milestone)
            previous = milestone
        for t in range(PER_PARENT):
            ticket = await factories.ticket(project, manager.user, Severity.LOW)
            await TicketEvent.create(
                ticket=ticket, actor=manager.user, action="FILE", to_status=TicketStatus.OPEN
            )
            await Notification.create(user=office.user, kind="ticket", message="新", ticket=ticket)
            await Photo.create(
                project=project,
                milestone=milestones[t],
                ticket=ticket,
                uploaded_by=manager.user,
                width=640,
                height=480,
                content_type="image/jpeg",
                byte_size=1000,
                sha256=hashlib.sha256(f"{p}-{t}".encode()).hexdigest(),
            )


async def _statements(
    graphql: GraphQL, count_statements: Callable[[], Any], query: str, n: int, who: Account
) -> int:
    with count_statements() as counter:
        body = await graphql(query, {"n": n}, account=who)
    assert "errors" not in body, body
    return len(counter.statements)


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_statements_do_not_grow_with_page_sizes(
    name: str,
    graphql: GraphQL,
    office: Account,
    make_account: MakeAccount,
    settings: Settings,
    count_statements: Callable[[], Any],
) -> None:
    manager = await make_account(Role.SITE_MANAGER, "m1")
    await _seed(settings, office, manager)
    who = manager if name == "me.projects" else office
    small = await _statements(graphql, count_statements, QUERIES[name], 2, who)
    large = await _statements(graphql, count_statements, QUERIES[name], 8, who)
    print(f"{name}: n=2 -> {small}, n=8 -> {large}")
    assert small == large
