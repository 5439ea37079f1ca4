"""The whole role x operation matrix of the plans API, walked through HTTP."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import httpx

from schema.relay import global_id
from server.domain.models import AuditEntry, Phase, Role
from tests import factories
from tests.conftest import Account, MakeAccount

_serial = itertools.count(1)

OPERATIONS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "programmes": ("{ programmes { code } }", lambda w: {}),
    "projects": ("{ projects { totalCount } }", lambda w: {}),
    "node(Project)": ("query($id: ID!) { node(id: $id) { id } }", lambda w: {"id": w["project"]}),
    "node(Milestone)": (
        "query($id: ID!) { node(id: $id) { id } }",
        lambda w: {"id": w["milestone"]},
    ),
    "createProgramme": (
        "mutation($i: CreateProgrammeInput!) { createProgramme(input: $i) { errors { code } } }",
        lambda w: {"i": {"code": f"X{next(_serial)}", "name": "计划", "year": 2020}},
    ),
    "createProject": (
        "mutation($i: CreateProjectInput!) { createProject(input: $i) { errors { code } } }",
        lambda w: {
            "i": {"code": f"NEW-{next(_serial)}", "name": "新项目", "responsibleUnit": "局"}
        },
    ),
    "updateProject": (
        "mutation($i: UpdateProjectInput!) { updateProject(input: $i) { errors { code } } }",
        lambda w: {"i": {"projectId": w["project"], "name": "改名"}},
    ),
    "setProjectSiteManagers": (
        "mutation($i: SetProjectSiteManagersInput!) {"
        " setProjectSiteManagers(input: $i) { errors { code } } }",
        lambda w: {"i": {"projectId": w["project"], "userIds": [w["member"]]}},
    ),
    "saveTaskSheet": (
        "mutation($i: SaveTaskSheetInput!) { saveTaskSheet(input: $i) { errors { code } } }",
        lambda w: {"i": {"projectId": w["project"], "year": 2020}},
    ),
    "savePhase": (
        "mutation($i: SavePhaseInput!) { savePhase(input: $i) { errors { code } } }",
        lambda w: {"i": {"phaseId": w["phase"], "name": "开工", "sequence": 4}},
    ),
    "createMilestone": (
        "mutation($i: CreateMilestoneInput!) { createMilestone(input: $i) { errors { code } } }",
        lambda w: {"i": {"projectId": w["project"], "title": "竣工", "plannedDate": "2021-01-01"}},
    ),
    "setMilestoneDependencies": (
        "mutation($i: SetMilestoneDependenciesInput!) {"
        " setMilestoneDependencies(input: $i) { errors { code } } }",
        lambda w: {
            "i": {"milestoneId": w["later"], "dependencies": [{"milestoneId": w["milestone"]}]}
        },
    ),
    "rebaselineMilestone": (
        "mutation($i: RebaselineMilestoneInput!) {"
        " rebaselineMilestone(input: $i) { errors { code } } }",
        lambda w: {
            "i": {"milestoneId": w["milestone"], "plannedDate": "2020-09-01", "reason": "疫情"}
        },
    ),
    "completeMilestone": (
        "mutation($i: CompleteMilestoneInput!) {"
        " completeMilestone(input: $i) { errors { code } } }",
        lambda w: {"i": {"milestoneId": w["milestone"], "actualDate": "2020-03-02"}},
    ),
}

READS = ("programmes", "projects", "node(Project)", "node(Milestone)")
WRITES = tuple(name for name in OPERATIONS if name not in READS)


def expected(who: str, operation: str) -> str:
    """The outcome the permission rules promise."""
    if who == "anonymous":
        # node(id:) answers null rather than saying whether anything exists
        return "hidden" if operation.startswith("node") else "UNAUTHENTICATED"
    if operation in READS:
        if who == "outsider" and operation != "programmes":
            return "hidden"
        return "ok"
    if who in ("ADMIN", "OFFICE"):
        return "ok"
    if operation == "completeMilestone" and who == "member":
        return "ok"
    if operation == "completeMilestone" and who == "outsider":
        return "NOT_FOUND"
    return "FORBIDDEN"


def outcome(operation: str, body: dict[str, Any]) -> str:
    """What happened, in the words of `expected`."""
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"]
    data = next(iter(body["data"].values()))
    if operation in WRITES:
        return data["errors"][0]["code"] if data["errors"] else "ok"
    if operation == "projects":
        return "ok" if data["totalCount"] else "hidden"
    return "ok" if data else "hidden"


async def _world(member: Account) -> dict[str, Any]:
    programme = await factories.programme(f"P{next(_serial)}")
    project = await factories.project(programmes=(programme,))
    await project.site_managers.add(member.user)
    milestone = await factories.milestone(project, dt.date(2020, 3, 1))
    later = await factories.milestone(project, dt.date(2020, 6, 1), title="主体")
    phase = await Phase.create(project=project, name="开工", sequence=4)
    return {
        "project": global_id("Project", project.id),
        "milestone": global_id("Milestone", milestone.id),
        "later": global_id("Milestone", later.id),
        "phase": global_id("Phase", phase.id),
        "member": global_id("User", member.user.id),
    }


async def test_role_by_operation_matrix(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    member = await make_account(Role.SITE_MANAGER, "site1")
    accounts: dict[str, Account | None] = {
        "ADMIN": await make_account(Role.ADMIN, "admin"),
        "OFFICE": await make_account(Role.OFFICE, "office"),
        "SUPERVISOR": await make_account(Role.SUPERVISOR, "supervisor"),
        "COORDINATOR": await make_account(Role.COORDINATOR, "coordinator"),
        "member": member,
        "outsider": await make_account(Role.SITE_MANAGER, "site2"),
        "anonymous": None,
    }
    wrong = []
    for who, account in accounts.items():
        for operation, (query, variables) in OPERATIONS.items():
            world = await _world(member)
            audited = await AuditEntry.all().count()
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables(world)},
                headers=account.headers if account else {},
            )
            got = outcome(operation, response.json())
            if got != expected(who, operation):
                wrong.append((who, operation, got, expected(who, operation)))
            # every change is audited; a refused one leaves no trace
            written = await AuditEntry.all().count() - audited
            if (written > 0) != (operation in WRITES and got == "ok"):
                wrong.append((who, operation, "audit entries", written))
    assert wrong == []
    assert len(accounts) * len(OPERATIONS) == 98
