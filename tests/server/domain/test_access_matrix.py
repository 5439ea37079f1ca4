"""Every caller over every kind of object and list, checked against one table.

The world (tests/access_table/world.py): projects A and B in programme 1090; manager_a runs A,
manager_b runs B; each project has a phase, an overdue milestone, a task sheet, a photo, a
shortage ticket (A's for labour, assigned to the coordinator; B's for materials, OPEN), a
supervision review and daily reports (B short of workers three days running: a labour alert); the
notification Na is manager_a's, Nc the coordinator's. `disabled` is an administrator whose
account was switched off; `anonymous` sends no token.

The rules (server/domain/access.py, DESIGN.md): site managers see only their projects and
all that belongs to them; the other roles see every project; coordinators see only the
tickets assigned to them; photo originals are for office, supervisors, admins and the
project's own site managers; notifications only for their user; a disabled user's token is
no token. A new rule is one edit to the access module and the rows below that it changes.

Columns: mgr_a and mgr_b are manager_a and manager_b, `off` the disabled user, `anon` the
caller without a token.

How to read a cell:
    Y / -            node(id:) answers the object / null (hidden and missing look the same)
    "A B", "A", ""   which objects a list holds (by project letter, Na/Nc, a caller's name)
    "2"              a count;  "url" a link;  "200" an HTTP status
    "null"           the field is null although its parent is visible
    "self"           the caller's own User
    "-" in lists     the object the list hangs off is itself hidden (null)
    ok               a mutation did it (payload errors empty)
    FORBIDDEN, NOT_FOUND, UNAUTHENTICATED   the error code it was refused with
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.access_table.asking import (
    HIDDEN,
    LIST_ROWS,
    NODE,
    OK,
    SEEN,
    WRITE_ROWS,
    read,
    snapshot,
    write,
)
from tests.access_table.world import (
    CALLERS,
    TODAY,
    Row,
    World,
    build_world,
    login_accounts,
    post,
)
from tests.conftest import MakeAccount, empty_database

Y, _ = SEEN, HIDDEN
WEEK_AGO = TODAY - dt.timedelta(days=7)
FORBID, NOPE, UNAUTH = "FORBIDDEN", "NOT_FOUND", "UNAUTHENTICATED"

# fmt: off
# --- reads: node(id:) of each object -----------------------------------------------------------
#                       admin office super coord mgr_a mgr_b off anon
NODES: dict[str, Row] = {
    "project A":       (Y,    Y,     Y,    Y,    Y,    _,    _,  _),
    "project B":       (Y,    Y,     Y,    Y,    _,    Y,    _,  _),
    "phase A":         (Y,    Y,     Y,    Y,    Y,    _,    _,  _),
    "milestone A":     (Y,    Y,     Y,    Y,    Y,    _,    _,  _),
    "task sheet A":    (Y,    Y,     Y,    Y,    Y,    _,    _,  _),
    "task item A":     (Y,    Y,     Y,    Y,    Y,    _,    _,  _),
    "photo A":         (Y,    Y,     Y,    Y,    Y,    _,    _,  _),
    "photo B":         (Y,    Y,     Y,    Y,    _,    Y,    _,  _),
    "ticket A":        (Y,    Y,     Y,    Y,    Y,    _,    _,  _),
    "ticket B":        (Y,    Y,     Y,    _,    _,    Y,    _,  _),
    "review A":        (Y,    Y,     Y,    Y,    Y,    _,    _,  _),
    "daily report A":  (Y,    Y,     Y,    Y,    Y,    _,    _,  _),
    "daily report B":  (Y,    Y,     Y,    Y,    _,    Y,    _,  _),
    "notification Na": (_,    _,     _,    _,    Y,    _,    _,  _),
    "notification Nc": (_,    _,     _,    Y,    _,    _,    _,  _),
    "programme":       (Y,    Y,     Y,    Y,    Y,    Y,    _,  _),
    "user manager_b":  (Y,    Y,     Y,    Y,    Y,    Y,    _,  _),
    "session manager_b": (Y,  _,     _,    _,    _,    Y,    _,  _),
    "session admin":   (Y,    _,     _,    _,    _,    _,    _,  _),
    "audit entry of an upload": (Y, _, Y,  _,    _,    _,    _,  _),
    "audit entry of a failed sign-in": (Y, _, _, _, _,  _,    _,  _),
}

# --- reads: lists, counts and fields -----------------------------------------------------------
#                                 admin   office  super   coord   mgr_a   mgr_b   off     anon
LISTS: dict[str, Row] = {
    "projects":                  ("A B",  "A B",  "A B",  "A B",  "A",    "B",    UNAUTH, UNAUTH),
    "tickets":                   ("A B",  "A B",  "A B",  "A",    "A",    "B",    UNAUTH, UNAUTH),
    "tickets of B":              ("B",    "B",    "B",    "",     "",     "B",    UNAUTH, UNAUTH),
    "overdueMilestones":         ("A B",  "A B",  "A B",  "A B",  "A",    "B",    UNAUTH, UNAUTH),
    "overdueMilestones of B":    ("B",    "B",    "B",    "B",    NOPE,   "B",    UNAUTH, UNAUTH),
    "overdueSummary(PROJECT)":   ("A B",  "A B",  "A B",  "A B",  "A",    "B",    UNAUTH, UNAUTH),
    "overdueSummary(PROGRAMME)": ("2",    "2",    "2",    "2",    "1",    "1",    UNAUTH, UNAUTH),
    "openReviews":               ("A B",  "A B",  "A B",  "A B",  "A",    "B",    UNAUTH, UNAUTH),
    "openReviews of B":          ("B",    "B",    "B",    "B",    NOPE,   "B",    UNAUTH, UNAUTH),
    "notifications":             ("",     "",     "",     "Nc",   "Na",   "",     UNAUTH, UNAUTH),
    "unreadNotificationCount":   ("0",    "0",    "0",    "1",    "1",    "0",    UNAUTH, UNAUTH),
    "Na's ticket":               (_,      _,      _,      _,      "A",    _,      _,      _),
    "Nc's ticket":               (_,      _,      _,      "null", _,      _,      _,      _),
    "me":                        ("self", "self", "self", "self", "self", "self", "null", "null"),
    "programmes":                ("1090", "1090", "1090", "1090", "1090", "1090", UNAUTH, UNAUTH),
    "programme projectCount":    ("2",    "2",    "2",    "2",    "1",    "1",    UNAUTH, UNAUTH),
    "programme overdueCount":    ("2",    "2",    "2",    "2",    "1",    "1",    UNAUTH, UNAUTH),
    "programme openTicketCount": ("2",    "2",    "2",    "2",    "1",    "1",    UNAUTH, UNAUTH),
    "programme's projects":      ("A B",  "A B",  "A B",  "A B",  "A",    "B",    UNAUTH, UNAUTH),
    "project A tickets":         ("A",    "A",    "A",    "A",    "A",    _,      _,      _),
    "project B tickets":         ("B",    "B",    "B",    "",     _,      "B",    _,      _),
    "project B openTicketCount": ("1",    "1",    "1",    "1",    _,      "1",    _,      _),
    "project A photos":          ("A",    "A",    "A",    "A",    "A",    _,      _,      _),
    "project A dailyReports":    ("A",    "A",    "A",    "A",    "A",    _,      _,      _),
    "missingDailyReports 3 days ago":
                                 ("A",    "A",    "A",    "A",    "A",    "",     UNAUTH, UNAUTH),
    "labourSeries reporting":    ("2",    "2",    "2",    "2",    "1",    "1",    UNAUTH, UNAUTH),
    "labourAlerts":              ("B",    "B",    "B",    "B",    "",     "B",    UNAUTH, UNAUTH),
    "project A labourAlert":     ("null", "null", "null", "null", "null", _,      _,      _),
    "project B labourAlert days":("3",    "3",    "3",    "3",    _,      "3",    _,      _),
    "milestone A reviews":       ("A",    "A",    "A",    "A",    "A",    _,      _,      _),
    "boardChanges ticketsOpened": ("A B", "A B",  "A B",  "A",    "A",    "B",    UNAUTH, UNAUTH),
    "boardChanges reviewsIssued": ("A B", "A B",  "A B",  "A B",  "A",    "B",    UNAUTH, UNAUTH),
    "changes: projects":         ("A B",  "A B",  "A B",  "A B",  "A",    "B",    UNAUTH, UNAUTH),
    "changes: tickets":          ("A B",  "A B",  "A B",  "A",    "A",    "B",    UNAUTH, UNAUTH),
    "users count":               ("7",    "7",    "7",    FORBID, FORBID, FORBID, UNAUTH, UNAUTH),
    "manager_b's sessions":      ("manager_b", "", "", "",   "",     "manager_b", _,  _),
    "auditLog uploads":          ("2",    FORBID, "2",    FORBID, FORBID, FORBID, UNAUTH, UNAUTH),
    "auditLog sign-ins":         ("7",    FORBID, "0",    FORBID, FORBID, FORBID, UNAUTH, UNAUTH),
    "manager_b's projects":      ("B",    "B",    "B",    "B",    "",     "B",    _,      _),
    "photo B's ticket":          ("B",    "B",    "B",    "null", _,      "B",    _,      _),
    "photo A large url":         ("url",  "url",  "url",  "url",  "url",  _,      _,      _),
    "photo A original url":      ("url",  "url",  "url",  FORBID, "url",  _,      _,      _),
    "photo B original url":      ("url",  "url",  "url",  FORBID, _,      "url",  _,      _),
    "photo A original file":     ("200",  "200",  "200",  "403",  "200",  _,      _,      _),
}

# --- reads: spreadsheet exports, the HTTP status -----------------------------------------------
#                                     admin  office super  coord  mgr_a  mgr_b  off    anon
EXPORTS: dict[str, Row] = {
    "/exports/overdue.xlsx":         ("200", "200", "200", "403", "403", "403", "401", "401"),
    "/exports/overdue.csv":          ("200", "200", "200", "403", "403", "403", "401", "401"),
    "/exports/programme-board.xlsx": ("200", "200", "200", "403", "403", "403", "401", "401"),
    "/exports/daily-labour.xlsx":    ("200", "200", "200", "403", "403", "403", "401", "401"),
    "/exports/projects.geojson":     ("200", "200", "200", "403", "403", "403", "401", "401"),
    f"/exports/weekly-board.xlsx?from={WEEK_AGO}&to={TODAY}":
                                     ("200", "200", "200", "403", "403", "403", "401", "401"),
}

# --- writes: a fresh world for each cell -------------------------------------------------------
#                                admin office  super   coord   mgr_a   mgr_b   off     anon
WRITES: dict[str, Row] = {
    "createProject":            (OK,   OK,     FORBID, FORBID, FORBID, FORBID, UNAUTH, UNAUTH),
    "updateProject A":          (OK,   OK,     FORBID, FORBID, FORBID, FORBID, UNAUTH, UNAUTH),
    "saveTaskSheet A":          (OK,   OK,     FORBID, FORBID, FORBID, FORBID, UNAUTH, UNAUTH),
    "savePhase A":              (OK,   OK,     FORBID, FORBID, FORBID, FORBID, UNAUTH, UNAUTH),
    "createMilestone A":        (OK,   OK,     FORBID, FORBID, FORBID, FORBID, UNAUTH, UNAUTH),
    "rebaselineMilestone A":    (OK,   OK,     FORBID, FORBID, FORBID, FORBID, UNAUTH, UNAUTH),
    "completeMilestone A":      (OK,   OK,     FORBID, FORBID, OK,     NOPE,   UNAUTH, UNAUTH),
    "uploadPhoto A":            (OK,   OK,     FORBID, FORBID, OK,     NOPE,   UNAUTH, UNAUTH),
    "createShortageTicket A":   (OK,   OK,     FORBID, FORBID, OK,     NOPE,   UNAUTH, UNAUTH),
    "fileDailyReport A":        (OK,   OK,     FORBID, FORBID, OK,     NOPE,   UNAUTH, UNAUTH),
    "ACCEPT ticket B":          (OK,   OK,     FORBID, NOPE,   NOPE,   FORBID, UNAUTH, UNAUTH),
    "ASSIGN ticket B":          (OK,   OK,     FORBID, NOPE,   NOPE,   FORBID, UNAUTH, UNAUTH),
    "START ticket A":           (OK,   OK,     FORBID, OK,     FORBID, NOPE,   UNAUTH, UNAUTH),
    "reviewMilestone A":        (OK,   FORBID, OK,     FORBID, FORBID, FORBID, UNAUTH, UNAUTH),
    "respondToReview A":        (OK,   OK,     FORBID, FORBID, OK,     NOPE,   UNAUTH, UNAUTH),
    "markNotificationsRead Na": (NOPE, NOPE,   NOPE,   NOPE,   OK,     NOPE,   UNAUTH, UNAUTH),
    "createUser":               (OK,   FORBID, FORBID, FORBID, FORBID, FORBID, UNAUTH, UNAUTH),
    "updateUser manager_b":     (OK,   FORBID, FORBID, FORBID, FORBID, FORBID, UNAUTH, UNAUTH),
    "resetPassword manager_b":  (OK,   FORBID, FORBID, FORBID, FORBID, FORBID, UNAUTH, UNAUTH),
    "revokeSession manager_b":  (OK,   NOPE,   NOPE,   NOPE,   NOPE,   OK,     UNAUTH, UNAUTH),
    "changePassword own":       (OK,   OK,     OK,     OK,     OK,     OK,     UNAUTH, UNAUTH),
}
# fmt: on

KNOWN_LEAKS: dict[tuple[str, str], str] = {}
"""(row, caller) cells where the code disagrees with the documented rule: xfail(strict)."""


def cases(table: dict[str, Row]) -> list[Any]:
    """One pytest case per cell, named "row-caller", the known leaks marked xfail."""
    found = []
    for row, expected in table.items():
        assert len(expected) == len(CALLERS), row
        for caller, cell in zip(CALLERS, expected, strict=True):
            leak = KNOWN_LEAKS.get((row, caller))
            marks = [pytest.mark.xfail(strict=True, reason=leak)] if leak else []
            found.append(pytest.param(row, caller, cell, id=f"{row}-{caller}", marks=marks))
    return found


# --- the read tests share one world ---------------------------------------------------------


@pytest.fixture(scope="class")
async def shared_world(app: Starlette, password_hash: str) -> AsyncIterator[World]:
    """The world, built once for a class of read tests and emptied after it."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        try:
            yield await build_world(login_accounts(http, password_hash), http)
        finally:
            await empty_database()


class TestReads:
    """Reads change nothing, so every read cell is checked against one world."""

    @pytest.fixture(autouse=True)
    async def clean_database(self, shared_world: World) -> AsyncIterator[None]:
        """Keep the class's world between its tests (the suite's cleaning would empty it)."""
        yield

    @pytest.fixture
    def world(self, shared_world: World) -> World:
        """The class's world."""
        return shared_world

    @pytest.mark.parametrize(("row", "caller", "expected"), cases(NODES))
    async def test_node(
        self, client: httpx.AsyncClient, world: World, row: str, caller: str, expected: str
    ) -> None:
        body = await post(client, world.account(caller), NODE, {"id": world.ids[row]})
        assert "errors" not in body, body
        assert (Y if body["data"]["node"] else _) == expected

    @pytest.mark.parametrize("caller", CALLERS)
    async def test_nodes_agree_with_node(
        self, client: httpx.AsyncClient, world: World, caller: str
    ) -> None:
        names = list(NODES)
        query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
        body = await post(
            client, world.account(caller), query, {"ids": [world.ids[n] for n in names]}
        )
        assert "errors" not in body, body
        column = CALLERS.index(caller)
        seen = {n: Y if node else _ for n, node in zip(names, body["data"]["nodes"], strict=True)}
        assert seen == {n: NODES[n][column] for n in names}

    @pytest.mark.parametrize(("row", "caller", "expected"), cases(LISTS))
    async def test_list(
        self, client: httpx.AsyncClient, world: World, row: str, caller: str, expected: str
    ) -> None:
        assert await read(client, world, caller, row) == expected

    @pytest.mark.parametrize(("row", "caller", "expected"), cases(EXPORTS))
    async def test_export(
        self, client: httpx.AsyncClient, world: World, row: str, caller: str, expected: str
    ) -> None:
        account = world.account(caller)
        response = await client.get(row, headers=account.headers if account else {})
        assert str(response.status_code) == expected


# --- writes: a fresh world for each cell ----------------------------------------------------


def test_every_row_is_asked() -> None:
    assert set(LISTS) == LIST_ROWS
    assert set(WRITES) == WRITE_ROWS


@pytest.mark.parametrize(("row", "caller", "expected"), cases(WRITES))
async def test_write(
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    row: str,
    caller: str,
    expected: str,
) -> None:
    world = await build_world(make_account, client)
    before = await snapshot(client, world)
    assert await write(client, world, caller, row) == expected
    after = await snapshot(client, world)
    if expected == OK:
        assert after != before, "an allowed write changed nothing"
    else:
        assert after == before, "a refused write changed something"
