"""A site manager's phone, played through the HTTP endpoint: sync, offline, replay, catch up.

The phone keeps a copy of its world (every object of `changes`, by global ID). It syncs in
full, goes offline while others reassign a project, reopen a ticket, amend a daily report and
add a milestone, queues its own writes, comes back, replays them (one answer was lost, so one
write goes twice), catches up with `changes(since:)`, and must end holding exactly what a fresh
full sync gives, field by field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from graphql_relay import from_global_id, to_global_id

from bench.queries import SYNC
from server.domain.models import Role, TicketStatus
from tests.conftest import Account, GraphQL, MakeAccount
from tests.ticket_helpers import make_milestone, make_project, make_ticket

FILE_REPORT = """
mutation File($input: FileDailyReportInput!) {
  fileDailyReport(input: $input) {
    dailyReport { id version workersOnSite workDone }
    errors { code message field }
  }
}
"""
TRANSITION = """
mutation Step($input: TransitionTicketInput!) {
  transitionTicket(input: $input) {
    ticket { id version ticketStatus: status }
    errors { code message }
  }
}
"""
CREATE_TICKET = """
mutation Create($input: CreateShortageTicketInput!) {
  createShortageTicket(input: $input) { ticket { id number } errors { code message } }
}
"""
COMPLETE = """
mutation Complete($input: CompleteMilestoneInput!) {
  completeMilestone(input: $input) { errors { code message } }
}
"""
SITE_MANAGERS = """
mutation Managers($input: SetProjectSiteManagersInput!) {
  setProjectSiteManagers(input: $input) { errors { code message } }
}
"""
CREATE_MILESTONE = """
mutation Milestone($input: CreateMilestoneInput!) {
  createMilestone(input: $input) { errors { code message } }
}
"""


class Phone:
    """The app's local copy: objects by global ID, and the token to catch up from."""

    def __init__(self, graphql: GraphQL, account: Account) -> None:
        self.graphql = graphql
        self.account = account
        self.objects: dict[str, dict[str, Any]] = {}
        self.token: str | None = None
        self.pages = 0

    async def sync(self) -> None:
        """Ask `changes` until nothing more waits, applying each page."""
        while True:
            body = await self.graphql(SYNC, {"since": self.token, "first": 4}, account=self.account)
            assert "errors" not in body, body
            page = body["data"]["changes"]
            for node in page["upserts"]:
                self.objects[node["id"]] = node
            for tombstone in page["tombstones"]:
                self.objects.pop(tombstone["id"], None)
            self.token = page["nextToken"]
            self.pages += 1
            if not page["hasMore"]:
                return

    async def send(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """One queued write, sent now; its payload."""
        body = await self.graphql(query, variables, account=self.account)
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        return payload


def _gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, str(pk))


def _int_id(global_id: str) -> int:
    return int(from_global_id(global_id).id)


def _workforce(on_site: int) -> list[dict[str, Any]]:
    return [{"trade": "REBAR", "needed": 20, "onSite": on_site}]


async def test_a_phone_offline_for_a_while_ends_with_the_servers_view(
    graphql: GraphQL, make_account: MakeAccount
) -> None:
    me = await make_account(Role.SITE_MANAGER, "li")
    colleague = await make_account(Role.SITE_MANAGER, "wang")
    successor = await make_account(Role.SITE_MANAGER, "zhao")
    office = await make_account(Role.OFFICE, "office")
    shared = await make_project(me.user, colleague.user, code="1090-A")
    handed_away = await make_project(me.user, code="1090-B")
    milestone = await make_milestone(shared, dt.date(2026, 12, 20))
    await make_milestone(handed_away)
    resolved = await make_ticket(shared, me.user, TicketStatus.RESOLVED)
    today = dt.date.today().isoformat()
    report = {"projectId": _gid("Project", shared.id), "date": today}
    filed = await Phone(graphql, me).send(
        FILE_REPORT, {"input": {**report, "workforce": _workforce(12), "workDone": "绑扎钢筋"}}
    )
    assert filed["errors"] == [] and filed["dailyReport"]["version"] == 1

    phone = Phone(graphql, me)
    await phone.sync()
    assert _gid("Project", handed_away.id) in phone.objects
    seen_ticket = phone.objects[_gid("ShortageTicket", resolved.id)]
    seen_report = next(o for o in phone.objects.values() if o["__typename"] == "DailyReport")

    # --- offline: the others work -------------------------------------------------------------
    others = Phone(graphql, office)
    moved = await others.send(
        SITE_MANAGERS,
        {
            "input": {
                "projectId": _gid("Project", handed_away.id),
                "userIds": [_gid("User", successor.user.id)],
            }
        },
    )
    assert moved["errors"] == []
    reopened = await Phone(graphql, colleague).send(
        TRANSITION,
        {"input": {"ticketId": seen_ticket["id"], "action": "REOPEN", "note": "仍缺钢筋工"}},
    )
    assert reopened["errors"] == []
    amended = await Phone(graphql, colleague).send(
        FILE_REPORT, {"input": {**report, "workforce": _workforce(15), "workDone": "浇筑垫层"}}
    )
    assert amended["dailyReport"]["version"] == 2
    added = await others.send(
        CREATE_MILESTONE,
        {
            "input": {
                "projectId": _gid("Project", shared.id),
                "title": "主体结构封顶",
                "plannedDate": "2027-03-31",
            }
        },
    )
    assert added["errors"] == []

    # --- back online: the phone replays its queue ----------------------------------------------
    new_ticket = {
        "input": {
            "projectId": _gid("Project", shared.id),
            "kind": "MATERIAL",
            "title": "螺纹钢短缺",
            "material": "HRB400 螺纹钢",
            "quantity": "30",
            "unit": "吨",
            "idempotencyKey": "li-phone-0001",
        }
    }
    first_try = await phone.send(CREATE_TICKET, new_ticket)
    retry = await phone.send(CREATE_TICKET, new_ticket)  # the first answer was lost
    assert first_try["errors"] == [] and retry["ticket"] == first_try["ticket"]

    completed = await phone.send(
        COMPLETE, {"input": {"milestoneId": _gid("Milestone", milestone.id), "actualDate": today}}
    )
    assert completed["errors"] == []

    confirm = await phone.send(
        TRANSITION,
        {
            "input": {
                "ticketId": seen_ticket["id"],
                "action": "CONFIRM",
                "satisfaction": 5,
                "expectedVersion": seen_ticket["version"],
            }
        },
    )
    assert [e["code"] for e in confirm["errors"]] == ["CONFLICT"]
    assert confirm["ticket"]["version"] == seen_ticket["version"] + 1  # the state now
    assert confirm["ticket"]["ticketStatus"] != "CLOSED"

    amend = await phone.send(
        FILE_REPORT,
        {
            "input": {
                **report,
                "workforce": _workforce(9),
                "expectedVersion": seen_report["version"],
            }
        },
    )
    assert [e["code"] for e in amend["errors"]] == ["CONFLICT"]
    assert amend["dailyReport"]["workDone"] == "浇筑垫层"  # the colleague's amendment stands

    # --- catch up, then compare with the server's own view ---------------------------------------
    await phone.sync()
    fresh = Phone(graphql, me)
    await fresh.sync()
    assert phone.objects.keys() == fresh.objects.keys()
    for global_id, node in fresh.objects.items():
        assert phone.objects[global_id] == node, global_id
    assert _gid("Project", handed_away.id) not in phone.objects
    assert _gid("ShortageTicket", _int_id(first_try["ticket"]["id"])) in phone.objects
    milestones = [o for o in phone.objects.values() if o["__typename"] == "Milestone"]
    assert {m["title"] for m in milestones} >= {"主体结构封顶"}
    assert phone.objects[seen_ticket["id"]]["ticketStatus"] == confirm["ticket"]["ticketStatus"]
