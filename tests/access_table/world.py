"""The world the access table is checked against: who asks, and what there is to see.

Two projects, A and B, in one programme. `manager_a` runs A's site, `manager_b` B's; the
coordinator works A's ticket (assigned to them) but not B's (still OPEN); the disabled user
got a token before being switched off. Each project has a phase, an overdue and a later
milestone, a task sheet with an item, a photo (a real JPEG, uploaded through the API; B's
shows B's ticket), a shortage ticket and a supervision review on its overdue milestone.
Both projects are under construction. Each has a daily report of five days ago with half its
workers on site; B reported the two days after too, so B is short of workers three reports in a
row, and its ticket asks for materials (A's for labour): B has a labour alert, A has not.
Every caller but anonymous holds one session (its token); the audit log holds the uploads, a
stranger's failed sign-in and, in the read world, the callers' sign-ins. Two notifications:
`Na` tells manager_a of a step of ticket A; `Nc` told the coordinator that ticket B was theirs
(it has been taken back since).

Everything is set up with the test factories and read back only through HTTP, so the table
does not depend on how the application is organised inside.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from graphql_relay import to_global_id

from server.domain import audit
from server.domain.models import (
    AuditEntry,
    AuthToken,
    Notification,
    ProjectStatus,
    Role,
    Severity,
    ShortageKind,
    TicketStatus,
    User,
)
from tests import factories
from tests.conftest import TEST_PASSWORD, Account
from tests.images import jpeg_bytes
from tests.uploads import upload_photo

CALLERS = (
    "admin",
    "office",
    "supervisor",
    "coordinator",
    "manager_a",
    "manager_b",
    "disabled",
    "anonymous",
)
"""Who asks: one column of the table each, in this order."""

ROLES = {
    "admin": Role.ADMIN,
    "office": Role.OFFICE,
    "supervisor": Role.SUPERVISOR,
    "coordinator": Role.COORDINATOR,
    "manager_a": Role.SITE_MANAGER,
    "manager_b": Role.SITE_MANAGER,
    "disabled": Role.ADMIN,  # even an administrator's token dies with the account
}

Row = tuple[str, str, str, str, str, str, str, str]
"""One table row: the expected answer of each caller, in CALLERS order."""

TODAY = dt.date.today()
"""The machine's date; overdue and future dates keep weeks away from the zone's today."""

MakeAccount = Callable[..., Awaitable[Account]]


@dataclass
class World:
    """The accounts and the global IDs of everything in the world."""

    accounts: dict[str, Account | None]
    ids: dict[str, str]
    """Global ID of each object by name: "project A", "ticket B", "notification Na"…"""
    labels: dict[str, str]
    """Short label of each global ID, as list cells show it: "A", "B", "Na", a caller."""

    def account(self, caller: str) -> Account | None:
        """The caller's account; None for anonymous."""
        return self.accounts[caller]

    def label(self, gid: str | None) -> str:
        """The label of a global ID ("?" for one the world did not make, "-" for null)."""
        if gid is None:
            return "-"
        return self.labels.get(gid, "?")


def gid(type_name: str, pk: int) -> str:
    """The Relay global ID of an object."""
    return to_global_id(type_name, str(pk))


async def build_world(make_account: MakeAccount, client: httpx.AsyncClient) -> World:
    """Create the world in an empty database."""
    accounts: dict[str, Account | None] = {"anonymous": None}
    for caller, role in ROLES.items():
        inactive = {"is_active": False} if caller == "disabled" else {}
        accounts[caller] = await make_account(role, caller, **inactive)
    users = {caller: account.user for caller, account in accounts.items() if account}
    ids: dict[str, str] = {}
    labels: dict[str, str] = {}

    def name(key: str, type_name: str, pk: int, label: str) -> None:
        ids[key] = gid(type_name, pk)
        labels[ids[key]] = label

    tickets: dict[str, int] = {}
    for caller, user in users.items():
        name(f"user {caller}", "User", user.id, caller)
        token = await AuthToken.filter(user_id=user.id).order_by("id").first()
        assert token is not None
        name(f"session {caller}", "Session", token.id, caller)
    programme = await factories.programme("1090", TODAY.year)
    name("programme", "Programme", programme.id, "1090")
    for letter in ("A", "B"):
        manager = accounts[f"manager_{letter.lower()}"]
        assert manager is not None
        project = await factories.project(
            f"ACC-{letter}", programmes=(programme,), status=ProjectStatus.UNDER_CONSTRUCTION
        )
        await project.site_managers.add(manager.user)
        name(f"project {letter}", "Project", project.id, letter)
        phase = await factories.phase(project)
        name(f"phase {letter}", "Phase", phase.id, letter)
        late = await factories.milestone(project, TODAY - dt.timedelta(days=30), title="开工")
        later = await factories.milestone(project, TODAY + dt.timedelta(days=60), title="封顶")
        name(f"milestone {letter}", "Milestone", late.id, letter)
        name(f"later milestone {letter}", "Milestone", later.id, f"{letter}2")
        sheet = await factories.task_sheet(project, TODAY.year, items=("主体结构",))
        name(f"task sheet {letter}", "TaskSheet", sheet.id, letter)
        item = (await sheet.items.all())[0]
        name(f"task item {letter}", "TaskItem", item.id, letter)
        kind = ShortageKind.LABOUR if letter == "A" else ShortageKind.MATERIAL
        ticket = await factories.ticket(project, manager.user, Severity.HIGH, kind=kind)
        tickets[letter] = ticket.id
        if letter == "A":
            ticket.assignee = users["coordinator"]
            ticket.status = TicketStatus.ASSIGNED
            await ticket.save()
        name(f"ticket {letter}", "ShortageTicket", ticket.id, letter)
        review = await factories.review(late, users["supervisor"])
        name(f"review {letter}", "SupervisionReview", review.id, letter)
        for days_ago in (5, 4, 3) if letter == "B" else (5,):
            day = TODAY - dt.timedelta(days=days_ago)
            report = await factories.daily_report(project, manager.user, day, on_site=10)
            labels[gid("DailyReport", report.id)] = letter
        name(f"daily report {letter}", "DailyReport", report.id, letter)
        shows_ticket = {"ticketId": ids["ticket B"]} if letter == "B" else {}
        uploaded = await upload_photo(
            client,
            manager,
            jpeg_bytes((64, 48) if letter == "A" else (48, 64)),
            projectId=ids[f"project {letter}"],
            **shows_ticket,
        )
        assert uploaded["errors"] == [], uploaded
        ids[f"photo {letter}"] = uploaded["photo"]["id"]
        labels[uploaded["photo"]["id"]] = letter
    told_a = await Notification.create(
        user=users["manager_a"],
        kind="TICKET_TRANSITION",
        message="缺钢筋工: ASSIGN, OPEN → ASSIGNED.",
        ticket_id=tickets["A"],
    )
    name("notification Na", "Notification", told_a.id, "Na")
    told_c = await Notification.create(  # B's ticket was handed to them, then to someone else
        user=users["coordinator"],
        kind="TICKET_ASSIGNED",
        message="缺钢筋工 is assigned to you.",
        ticket_id=tickets["B"],
    )
    name("notification Nc", "Notification", told_c.id, "Nc")
    upload = await AuditEntry.filter(action="uploadPhoto").order_by("id").first()
    assert upload is not None
    name("audit entry of an upload", "AuditEntry", upload.id, "upload")
    stranger = await audit.record_failed_sign_in(None, "stranger", "203.0.113.9")
    name("audit entry of a failed sign-in", "AuditEntry", stranger.id, "failed sign-in")
    return World(accounts, ids, labels)


LOGIN = "mutation($i: LoginInput!) { login(input: $i) { token errors { code } } }"


def login_accounts(client: httpx.AsyncClient, password_hash: str) -> MakeAccount:
    """A `make_account` that signs in through `login` (for fixtures wider than a test).

    An account asked for with `is_active=False` is switched off after it got its token.
    """

    async def make(role: Role, username: str, is_active: bool = True) -> Account:
        user = await User.create(
            username=username, display_name=username, role=role, password_hash=password_hash
        )
        credentials = {"i": {"username": username, "password": TEST_PASSWORD}}
        body = await post(client, None, LOGIN, credentials)
        token = body["data"]["login"]["token"]
        assert token, body
        if not is_active:
            await User.filter(id=user.id).update(is_active=False)
        return Account(user, token)

    return make


async def post(
    client: httpx.AsyncClient, account: Account | None, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """Run one GraphQL operation as `account`; the JSON body (any HTTP status)."""
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers=account.headers if account else {},
    )
    return response.json()


def error_code(body: dict[str, Any]) -> str | None:
    """The code of the first top-level error, None when there is none."""
    errors = body.get("errors")
    if not errors:
        return None
    return (errors[0].get("extensions") or {}).get("code", "ERROR")
