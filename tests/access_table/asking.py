"""How each row of the access table is asked, and how an answer becomes a cell.

Reads are GraphQL queries (or an HTTP GET) run as the caller; writes are mutations whose
payload errors give the cell; `snapshot` is everything a write could change, read back
through the API, so a refused write can be shown to have changed nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx

from server.domain.models import AuditEntry
from tests.access_table.world import TODAY, World, error_code, post
from tests.conftest import TEST_PASSWORD
from tests.images import jpeg_bytes
from tests.uploads import post_multipart

SEEN, HIDDEN, OK = "Y", "-", "ok"
"""node(id:) answered / null (or the object a list hangs off is null); a write went through."""

Ids = Callable[[World], dict[str, Any]]

# --- reads ----------------------------------------------------------------------------------

NODE = "query($id: ID!) { node(id: $id) { id } }"


def on(type_name: str, fields: str) -> str:
    """A node query selecting `fields` of `type_name`."""
    return f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ {fields} }} }} }}"


def of(name: str) -> Ids:
    """Variables {id: the global ID of `name`}."""
    return lambda world: {"id": world.ids[name]}


def no_variables(world: World) -> dict[str, Any]:
    """No variables."""
    return {}


def this_week(world: World) -> dict[str, Any]:
    """The window of the last seven days and today."""
    return {"f": (TODAY - dt.timedelta(days=7)).isoformat(), "t": TODAY.isoformat()}


def project_b_only(world: World) -> dict[str, Any]:
    """A list filter on project B."""
    return {"f": {"projectIds": [world.ids["project B"]]}}


EDGES = "edges { node { id } }"
PROGRAMME_STATS = "{ programmes { stats { projectCount overdueMilestoneCount openTicketCount } } }"
READS: dict[str, tuple[str, Ids, tuple[str | int, ...]]] = {
    "projects": (f"{{ projects(first: 100) {{ {EDGES} }} }}", no_variables, ("projects",)),
    "tickets": (f"{{ tickets(first: 100) {{ {EDGES} }} }}", no_variables, ("tickets",)),
    "tickets of B": (
        f"query($f: TicketFilter) {{ tickets(filter: $f) {{ {EDGES} }} }}",
        project_b_only,
        ("tickets",),
    ),
    "overdueMilestones": (
        f"{{ overdueMilestones(first: 100) {{ {EDGES} }} }}",
        no_variables,
        ("overdueMilestones",),
    ),
    "overdueMilestones of B": (
        f"query($f: OverdueFilter) {{ overdueMilestones(filter: $f) {{ {EDGES} }} }}",
        project_b_only,
        ("overdueMilestones",),
    ),
    "overdueSummary(PROJECT)": (
        "{ overdueSummary(groupBy: PROJECT) { id: key } }",
        no_variables,
        ("overdueSummary",),
    ),
    "overdueSummary(PROGRAMME)": (
        "{ overdueSummary(groupBy: PROGRAMME) { overdueCount } }",
        no_variables,
        ("overdueSummary", 0, "overdueCount"),
    ),
    "openReviews": (f"{{ openReviews(first: 100) {{ {EDGES} }} }}", no_variables, ("openReviews",)),
    "openReviews of B": (
        f"query($f: ReviewFilter) {{ openReviews(filter: $f) {{ {EDGES} }} }}",
        project_b_only,
        ("openReviews",),
    ),
    "notifications": (
        f"{{ notifications(first: 100) {{ {EDGES} }} }}",
        no_variables,
        ("notifications",),
    ),
    "unreadNotificationCount": (
        "{ unreadNotificationCount }",
        no_variables,
        ("unreadNotificationCount",),
    ),
    "Na's ticket": (on("Notification", "ticket { id }"), of("notification Na"), ("ticket",)),
    "Nc's ticket": (on("Notification", "ticket { id }"), of("notification Nc"), ("ticket",)),
    "me": ("{ me { id } }", no_variables, ("me",)),
    "programmes": ("{ programmes { id } }", no_variables, ("programmes",)),
    "programme projectCount": (
        PROGRAMME_STATS,
        no_variables,
        ("programmes", 0, "stats", "projectCount"),
    ),
    "programme overdueCount": (
        PROGRAMME_STATS,
        no_variables,
        ("programmes", 0, "stats", "overdueMilestoneCount"),
    ),
    "programme openTicketCount": (
        PROGRAMME_STATS,
        no_variables,
        ("programmes", 0, "stats", "openTicketCount"),
    ),
    "programme's projects": (
        f"{{ programmes {{ projects {{ {EDGES} }} }} }}",
        no_variables,
        ("programmes", 0, "projects"),
    ),
    "project A tickets": (on("Project", f"tickets {{ {EDGES} }}"), of("project A"), ("tickets",)),
    "project B tickets": (on("Project", f"tickets {{ {EDGES} }}"), of("project B"), ("tickets",)),
    "project B openTicketCount": (
        on("Project", "openTicketCount"),
        of("project B"),
        ("openTicketCount",),
    ),
    "project A photos": (on("Project", f"photos {{ {EDGES} }}"), of("project A"), ("photos",)),
    "project A dailyReports": (
        on("Project", f"dailyReports {{ {EDGES} }}"),
        of("project A"),
        ("dailyReports",),
    ),
    "missingDailyReports 3 days ago": (
        f"query($d: Date!) {{ missingDailyReports(date: $d) {{ {EDGES} }} }}",
        lambda world: {"d": (TODAY - dt.timedelta(days=3)).isoformat()},
        ("missingDailyReports",),
    ),
    "labourSeries reporting": (
        "query($d: Date!) { labourSeries(from: $d, to: $d, groupBy: ZONE) {"
        " points { projectsReporting } } }",
        lambda world: {"d": (TODAY - dt.timedelta(days=5)).isoformat()},
        ("labourSeries", 0, "points", 0, "projectsReporting"),
    ),
    "labourAlerts": (
        "{ labourAlerts { edges { node { project { id } } } } }",
        no_variables,
        ("labourAlerts",),
    ),
    "project A labourAlert": (
        on("Project", "labourAlert { days }"),
        of("project A"),
        ("labourAlert",),
    ),
    "project B labourAlert days": (
        on("Project", "labourAlert { days }"),
        of("project B"),
        ("labourAlert", "days"),
    ),
    "milestone A reviews": (on("Milestone", "reviews { id }"), of("milestone A"), ("reviews",)),
    "boardChanges ticketsOpened": (
        "query($f: Date!, $t: Date!) { boardChanges(from: $f, to: $t) { ticketsOpened { id } } }",
        this_week,
        ("boardChanges", "ticketsOpened"),
    ),
    "boardChanges reviewsIssued": (
        "query($f: Date!, $t: Date!) { boardChanges(from: $f, to: $t) { reviewsIssued { id } } }",
        this_week,
        ("boardChanges", "reviewsIssued"),
    ),
    "changes: projects": (
        "{ changes(first: 100) { upserts { ... on Project { id } } } }",
        no_variables,
        ("changes", "upserts"),
    ),
    "changes: tickets": (
        "{ changes(first: 100) { upserts { ... on ShortageTicket { id } } } }",
        no_variables,
        ("changes", "upserts"),
    ),
    "users count": ("{ users { totalCount } }", no_variables, ("users", "totalCount")),
    "manager_b's sessions": (on("User", "sessions { id }"), of("user manager_b"), ("sessions",)),
    "auditLog uploads": (
        '{ auditLog(filter: {action: "uploadPhoto"}) { totalCount } }',
        no_variables,
        ("auditLog", "totalCount"),
    ),
    "auditLog sign-ins": (
        '{ auditLog(filter: {action: "login"}) { totalCount } }',
        no_variables,
        ("auditLog", "totalCount"),
    ),
    "manager_b's projects": (
        on("User", f"projects {{ {EDGES} }}"),
        of("user manager_b"),
        ("projects",),
    ),
    "photo B's ticket": (on("Photo", "ticket { id }"), of("photo B"), ("ticket",)),
    "photo A large url": (on("Photo", "url"), of("photo A"), ("url",)),
    "photo A original url": (on("Photo", "url(variant: ORIGINAL)"), of("photo A"), ("url",)),
    "photo B original url": (on("Photo", "url(variant: ORIGINAL)"), of("photo B"), ("url",)),
}
"""Each list row: the query, its variables, and the path to the answer (after `node`)."""

ORIGINAL_FILE = "photo A original file"
"""The one read row that is an HTTP GET of a photo file (`original_file`)."""

LIST_ROWS = frozenset({*READS, ORIGINAL_FILE})
"""Every list row `read` can ask."""


def cell(world: World, caller: str, value: Any) -> str:
    """A GraphQL value as the table writes it; the caller's own User is "self".

    A connection's nodes are shown by their label, or by their project's when they are about
    one (labour alerts)."""
    if value is None:
        return "null"
    if isinstance(value, dict) and "edges" in value:
        nodes = [edge["node"].get("project", edge["node"]) for edge in value["edges"]]
        return " ".join(sorted(world.label(node["id"]) for node in nodes))
    if isinstance(value, list):  # of one type, or of those of a mixed list (`changes`) asked
        return " ".join(sorted(world.label(item["id"]) for item in value if "id" in item))
    if isinstance(value, dict) and value["id"] == world.ids.get(f"user {caller}"):
        return "self"
    if isinstance(value, dict):
        return world.label(value["id"])
    if isinstance(value, str) and value.startswith("http"):
        return "url"
    return str(value)


async def read(client: httpx.AsyncClient, world: World, caller: str, row: str) -> str:
    """The caller's answer to a list row, as a cell."""
    if row == ORIGINAL_FILE:
        return await original_file(client, world, caller)
    query, variables, path = READS[row]
    body = await post(client, world.account(caller), query, variables(world))
    code = error_code(body)
    if code is not None:
        return code
    value: Any = body["data"]
    if "node" in value:
        value = value["node"]
        if value is None:
            return HIDDEN
    for step in path:
        value = value[step]
    return cell(world, caller, value)


async def original_file(client: httpx.AsyncClient, world: World, caller: str) -> str:
    """GET photo A's original with the link the caller is given.

    A caller refused the original link tries their LARGE link with the variant swapped:
    the signature must not let it through.
    """
    account = world.account(caller)
    variables = {"id": world.ids["photo A"]}
    query = on("Photo", "original: url(variant: ORIGINAL)")
    body = await post(client, account, query, variables)
    link = (body["data"]["node"] or {}).get("original")
    if link is None:
        large = (await post(client, account, on("Photo", "url"), variables))["data"]["node"]
        if large is None:
            return HIDDEN
        link = large["url"].replace("/large?", "/original?")
    response = await client.get(link)
    return str(response.status_code)


# --- writes ---------------------------------------------------------------------------------


def mutation(name: str, input_type: str) -> str:
    """A mutation document taking `$i` and asking for the payload's errors."""
    return f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ errors {{ code field }} }} }}"


def transition(ticket: str, action: str) -> tuple[str, Ids]:
    """transitionTicket taking `action` on a ticket of the world."""
    return (
        mutation("transitionTicket", "TransitionTicketInput"),
        lambda w: {"i": {"ticketId": w.ids[ticket], "action": action}},
    )


WRITE_DOCUMENTS: dict[str, tuple[str, Ids]] = {
    "createProject": (
        mutation("createProject", "CreateProjectInput"),
        lambda w: {"i": {"code": "ACC-NEW", "name": "新项目", "responsibleUnit": "建设局"}},
    ),
    "updateProject A": (
        mutation("updateProject", "UpdateProjectInput"),
        lambda w: {"i": {"projectId": w.ids["project A"], "name": "改名"}},
    ),
    "saveTaskSheet A": (
        mutation("saveTaskSheet", "SaveTaskSheetInput"),
        lambda w: {"i": {"projectId": w.ids["project A"], "year": TODAY.year, "scope": "二期"}},
    ),
    "savePhase A": (
        mutation("savePhase", "SavePhaseInput"),
        lambda w: {"i": {"projectId": w.ids["project A"], "name": "竣工验收", "sequence": 2}},
    ),
    "createMilestone A": (
        mutation("createMilestone", "CreateMilestoneInput"),
        lambda w: {
            "i": {
                "projectId": w.ids["project A"],
                "title": "竣工",
                "plannedDate": (TODAY + dt.timedelta(days=90)).isoformat(),
            }
        },
    ),
    "rebaselineMilestone A": (
        mutation("rebaselineMilestone", "RebaselineMilestoneInput"),
        lambda w: {
            "i": {
                "milestoneId": w.ids["later milestone A"],
                "plannedDate": (TODAY + dt.timedelta(days=120)).isoformat(),
                "reason": "疫情",
            }
        },
    ),
    "completeMilestone A": (
        mutation("completeMilestone", "CompleteMilestoneInput"),
        lambda w: {
            "i": {
                "milestoneId": w.ids["milestone A"],
                "actualDate": (TODAY - dt.timedelta(days=2)).isoformat(),
            }
        },
    ),
    "createShortageTicket A": (
        mutation("createShortageTicket", "CreateShortageTicketInput"),
        lambda w: {
            "i": {
                "projectId": w.ids["project A"],
                "kind": "LABOUR",
                "title": "缺木工",
                "trade": "木工",
                "headcount": 5,
            }
        },
    ),
    "fileDailyReport A": (
        mutation("fileDailyReport", "FileDailyReportInput"),
        lambda w: {
            "i": {
                "projectId": w.ids["project A"],
                "date": TODAY.isoformat(),
                "workforce": [{"trade": "REBAR", "needed": 20, "onSite": 14}],
            }
        },
    ),
    "ACCEPT ticket B": transition("ticket B", "ACCEPT"),
    "ASSIGN ticket B": (
        mutation("transitionTicket", "TransitionTicketInput"),
        lambda w: {
            "i": {
                "ticketId": w.ids["ticket B"],
                "action": "ASSIGN",
                "assigneeId": w.ids["user coordinator"],
            }
        },
    ),
    "START ticket A": transition("ticket A", "START"),
    "reviewMilestone A": (
        mutation("reviewMilestone", "ReviewMilestoneInput"),
        lambda w: {"i": {"milestoneId": w.ids["milestone A"], "instruction": "限期完成"}},
    ),
    "respondToReview A": (
        mutation("respondToReview", "RespondToReviewInput"),
        lambda w: {"i": {"reviewId": w.ids["review A"], "response": "已加派人手"}},
    ),
    "createUser": (
        mutation("createUser", "CreateUserInput"),
        lambda w: {
            "i": {
                "username": "newcomer",
                "displayName": "新同事",
                "role": "SITE_MANAGER",
                "temporaryPassword": "first-day-on-site",
            }
        },
    ),
    "updateUser manager_b": (
        mutation("updateUser", "UpdateUserInput"),
        lambda w: {"i": {"userId": w.ids["user manager_b"], "unit": "二标段"}},
    ),
    "resetPassword manager_b": (
        mutation("resetPassword", "ResetPasswordInput"),
        lambda w: {"i": {"userId": w.ids["user manager_b"]}},
    ),
    "revokeSession manager_b": (
        mutation("revokeSession", "RevokeSessionInput"),
        lambda w: {"i": {"sessionId": w.ids["session manager_b"]}},
    ),
    "changePassword own": (
        mutation("changePassword", "ChangePasswordInput"),
        lambda w: {
            "i": {
                "oldPassword": TEST_PASSWORD,
                "newPassword": "a brand new passphrase",
                "keepOtherSessions": True,
            }
        },
    ),
    "markNotificationsRead Na": (
        mutation("markNotificationsRead", "MarkNotificationsReadInput"),
        lambda w: {"i": {"ids": [w.ids["notification Na"]]}},
    ),
}
"""Each write row but uploadPhoto (a multipart request): its document and variables."""

UPLOAD = "uploadPhoto A"
"""The one write row sent as a multipart request."""

WRITE_ROWS = frozenset({*WRITE_DOCUMENTS, UPLOAD})
"""Every write row `write` can try."""

SNAPSHOT = """{
  projects(first: 5) { totalCount edges { node { id code name status
    taskSheet { id revision scope } roadmap { id name sequence }
    milestones(first: 5) { totalCount edges { node { id title status plannedDate actualDate
      baselineDate rebaselines { newDate } reviews { id response respondedAt } } } }
    photos(first: 5) { totalCount edges { node { id } } }
    dailyReports { totalCount edges { node { id workersOnSite } } }
    tickets(first: 5) { totalCount edges { node { id status assignee { id }
      events { action } } } } } } }
  programmes { id }
  users(first: 20) { edges { node { id displayName unit role active mustChangePassword
    sessions { id } } } }
}"""
"""Everything a write could change, as the administrator sees it."""


async def snapshot(client: httpx.AsyncClient, world: World) -> list[Any]:
    """The world's state: the administrator's view, manager_a's notifications, the audit log."""
    admin = await post(client, world.account("admin"), SNAPSHOT, {})
    notes = await post(
        client, world.account("manager_a"), "{ notifications { edges { node { id readAt } } } }", {}
    )
    assert "errors" not in admin and "errors" not in notes, (admin, notes)
    return [admin["data"], notes["data"], await AuditEntry.all().count()]


async def write(client: httpx.AsyncClient, world: World, caller: str, row: str) -> str:
    """The caller tries the write of `row`; "ok" or the first error code."""
    account = world.account(caller)
    if row == UPLOAD:
        operations = {
            "query": mutation("uploadPhoto", "UploadPhotoInput"),
            "variables": {"i": {"projectId": world.ids["project A"], "file": None}},
        }
        response = await post_multipart(
            client,
            operations,
            {"0": ["variables.i.file"]},
            {"0": ("IMG_0002.jpg", jpeg_bytes((96, 72)), "image/jpeg")},
            account=account,
        )
        body = response.json()
    else:
        query, variables = WRITE_DOCUMENTS[row]
        body = await post(client, account, query, variables(world))
    code = error_code(body)
    if code is not None:
        return code
    (payload,) = body["data"].values()
    return payload["errors"][0]["code"] if payload["errors"] else OK
