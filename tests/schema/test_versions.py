"""Optimistic concurrency through HTTP: `version` on tickets and daily reports,
`expectedVersion` on their writes, CONFLICT payloads carrying the current state, hostile
versions, and replays under an idempotency key."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from schema.relay import global_id
from server.domain.clock import zone_today
from server.domain.models import (
    AuditEntry,
    DailyReport,
    Project,
    Role,
    ShortageTicket,
    TicketEvent,
    TicketStatus,
)
from server.settings import Settings
from tests import factories
from tests.conftest import Account, GraphQL, MakeAccount
from tests.ticket_helpers import make_project, make_ticket

TODAY = zone_today(Settings.from_env({}).zone)

TRANSITION = """
mutation($input: TransitionTicketInput!) {
  transitionTicket(input: $input) {
    ticket { id status version title assignee { username } }
    errors { field code message }
  }
}
"""
FILE = """
mutation($input: FileDailyReportInput!) {
  fileDailyReport(input: $input) {
    dailyReport { id version workersOnSite workDone editable workforce { trade onSite } }
    errors { field code message }
  }
}
"""
TICKET_VERSION = "query($id: ID!) { node(id: $id) { ... on ShortageTicket { status version } } }"


async def transition(
    graphql: GraphQL, account: Account, ticket_id: int, action: str, **extra: Any
) -> dict[str, Any]:
    """The transitionTicket payload."""
    values = {"ticketId": global_id("ShortageTicket", ticket_id), "action": action, **extra}
    body = await graphql(TRANSITION, {"input": values}, account=account)
    return body["data"]["transitionTicket"]


async def _ticket(site_manager: Account) -> ShortageTicket:
    project = await make_project(site_manager.user)
    return await make_ticket(project, site_manager.user)


async def test_a_stale_step_answers_conflict_with_the_ticket_as_it_now_stands(
    graphql: GraphQL, office: Account, site_manager: Account, make_account: MakeAccount
) -> None:
    ticket = await _ticket(site_manager)
    gid = global_id("ShortageTicket", ticket.id)
    seen = await graphql(TICKET_VERSION, {"id": gid}, account=office)
    assert seen["data"]["node"] == {"status": "OPEN", "version": 0}
    other = await make_account(Role.OFFICE, "office2")
    accepted = await transition(graphql, other, ticket.id, "ACCEPT", expectedVersion=0)
    assert accepted["errors"] == []
    assert (accepted["ticket"]["status"], accepted["ticket"]["version"]) == ("ACCEPTED", 1)

    payload = await transition(graphql, office, ticket.id, "REJECT", note="重复", expectedVersion=0)

    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("CONFLICT", ["input", "expectedVersion"])
    assert payload["ticket"] == {
        "id": gid,
        "status": "ACCEPTED",
        "version": 1,
        "title": ticket.title,
        "assignee": None,
    }
    stored = await ShortageTicket.get(id=ticket.id)
    assert (stored.status, stored.version) == (TicketStatus.ACCEPTED, 1)
    assert await TicketEvent.filter(ticket_id=ticket.id, action="REJECT").count() == 0

    # With the version now seen, the step goes through.
    rejected = await transition(
        graphql, office, ticket.id, "REJECT", note="重复", expectedVersion=1
    )
    assert rejected["errors"] == []
    assert (rejected["ticket"]["status"], rejected["ticket"]["version"]) == ("REJECTED", 2)


async def test_other_refusals_carry_no_ticket(
    graphql: GraphQL, office: Account, site_manager: Account
) -> None:
    """Only a CONFLICT over the version answers the ticket; a step refused for its own
    reasons answers errors alone, as before."""
    ticket = await _ticket(site_manager)
    payload = await transition(graphql, office, ticket.id, "RESOLVE", expectedVersion=0)
    assert payload["ticket"] is None
    assert {e["code"] for e in payload["errors"]} == {"INVALID_TRANSITION"}


async def test_a_step_without_a_version_applies_as_before(
    graphql: GraphQL, office: Account, site_manager: Account
) -> None:
    ticket = await _ticket(site_manager)
    await ShortageTicket.filter(id=ticket.id).update(version=5)
    payload = await transition(graphql, office, ticket.id, "ACCEPT", expectedVersion=None)
    assert payload["errors"] == []
    assert payload["ticket"]["version"] == 6


@pytest.mark.parametrize(
    ("value", "code"),
    [(-1, "INVALID"), (-(2**31), "INVALID"), (2**31 - 1, "CONFLICT")],
    ids=["negative", "most negative Int", "largest Int"],
)
async def test_hostile_versions_in_range_are_refused_in_the_payload(
    graphql: GraphQL, office: Account, site_manager: Account, value: int, code: str
) -> None:
    ticket = await _ticket(site_manager)
    payload = await transition(graphql, office, ticket.id, "ACCEPT", expectedVersion=value)
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == (code, ["input", "expectedVersion"])
    stored = await ShortageTicket.get(id=ticket.id)
    assert (stored.status, stored.version) == (TicketStatus.OPEN, 0)


@pytest.mark.parametrize(
    "value",
    [2**31, 2**63, -(2**31) - 1, "3", 1.5, True, [0], {"v": 0}],
    ids=["past Int", "huge", "below Int", "string", "float", "boolean", "list", "object"],
)
async def test_malformed_versions_are_refused_before_the_domain(
    client: httpx.AsyncClient, office: Account, site_manager: Account, value: Any
) -> None:
    ticket = await _ticket(site_manager)
    values = {
        "ticketId": global_id("ShortageTicket", ticket.id),
        "action": "ACCEPT",
        "expectedVersion": value,
    }
    response = await client.post(
        "/graphql",
        json={"query": TRANSITION, "variables": {"input": values}},
        headers=office.headers,
    )
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert errors and errors[0]["extensions"]["code"] != "INTERNAL"
    assert (await ShortageTicket.get(id=ticket.id)).version == 0


async def test_someone_else_s_ticket_is_not_found_and_tells_no_version(
    graphql: GraphQL, site_manager: Account, make_account: MakeAccount
) -> None:
    ticket = await _ticket(site_manager)
    await ShortageTicket.filter(id=ticket.id).update(status=TicketStatus.RESOLVED, version=3)
    stranger = await make_account(Role.SITE_MANAGER, "stranger")
    await make_project(stranger.user)
    for version in (0, 3):
        payload = await transition(
            graphql, stranger, ticket.id, "CONFIRM", satisfaction=5, expectedVersion=version
        )
        assert payload["ticket"] is None
        [error] = payload["errors"]
        assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "ticketId"])
        assert "3" not in error["message"]
    assert (await ShortageTicket.get(id=ticket.id)).version == 3


async def test_a_replayed_step_is_absorbed_even_after_the_ticket_moved_on(
    graphql: GraphQL, office: Account, site_manager: Account, make_account: MakeAccount
) -> None:
    ticket = await _ticket(site_manager)
    step = {"expectedVersion": 0, "idempotencyKey": "phone-7"}
    first = await transition(graphql, office, ticket.id, "ACCEPT", **step)
    assert first["errors"] == [] and first["ticket"]["version"] == 1
    other = await make_account(Role.OFFICE, "office2")
    await transition(graphql, other, ticket.id, "REJECT", note="重复", expectedVersion=1)
    audited = await AuditEntry.all().count()

    again = await transition(graphql, office, ticket.id, "ACCEPT", **step)

    assert again["errors"] == []
    assert (again["ticket"]["status"], again["ticket"]["version"]) == ("REJECTED", 2)
    assert await TicketEvent.filter(ticket_id=ticket.id, action="ACCEPT").count() == 1
    assert await AuditEntry.all().count() == audited
    reused = await transition(
        graphql, office, ticket.id, "ACCEPT", expectedVersion=2, idempotencyKey="phone-7"
    )
    assert [(e["code"], e["field"]) for e in reused["errors"]] == [
        ("CONFLICT", ["input", "idempotencyKey"])
    ]
    assert reused["ticket"] is None


# --- daily reports --------------------------------------------------------------------------


async def _project(manager: Account) -> Project:
    project = await factories.project("DRV-1")
    await project.site_managers.add(manager.user)
    await Project.filter(id=project.id).update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    return project


def _report(project: Project, on_site: int, **extra: Any) -> dict[str, Any]:
    return {
        "projectId": global_id("Project", project.id),
        "date": TODAY.isoformat(),
        "workforce": [{"trade": "REBAR", "needed": 10, "onSite": on_site}],
        **extra,
    }


async def file(graphql: GraphQL, account: Account, values: dict[str, Any]) -> dict[str, Any]:
    """The fileDailyReport payload."""
    body = await graphql(FILE, {"input": values}, account=account)
    return body["data"]["fileDailyReport"]


async def test_a_stale_amendment_answers_conflict_with_the_report_as_it_now_is(
    graphql: GraphQL, office: Account, site_manager: Account
) -> None:
    project = await _project(site_manager)
    filed = await file(graphql, site_manager, _report(project, 1, expectedVersion=0))
    assert filed["errors"] == [] and filed["dailyReport"]["version"] == 1
    amended = await file(graphql, office, _report(project, 2, workDone="浇筑", expectedVersion=1))
    assert amended["dailyReport"]["version"] == 2

    payload = await file(graphql, site_manager, _report(project, 3, expectedVersion=1))

    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("CONFLICT", ["input", "expectedVersion"])
    assert payload["dailyReport"] == {
        "id": filed["dailyReport"]["id"],
        "version": 2,
        "workersOnSite": 2,
        "workDone": "浇筑",
        "editable": True,
        "workforce": [{"trade": "REBAR", "onSite": 2}],
    }
    stored = await DailyReport.get(project_id=project.id)
    assert (stored.version, stored.workers_on_site) == (2, 2)


async def test_a_second_first_filing_answers_conflict_with_the_first(
    graphql: GraphQL, office: Account, site_manager: Account
) -> None:
    project = await _project(site_manager)
    await file(graphql, office, _report(project, 6, expectedVersion=0))
    payload = await file(graphql, site_manager, _report(project, 1, expectedVersion=0))
    assert [e["code"] for e in payload["errors"]] == ["CONFLICT"]
    assert (payload["dailyReport"]["version"], payload["dailyReport"]["workersOnSite"]) == (1, 6)


@pytest.mark.parametrize(
    ("value", "code"),
    [(-1, "INVALID"), (2**31 - 1, "CONFLICT")],
    ids=["negative", "largest Int"],
)
async def test_hostile_report_versions_in_range_are_refused_in_the_payload(
    graphql: GraphQL, site_manager: Account, value: int, code: str
) -> None:
    project = await _project(site_manager)
    payload = await file(graphql, site_manager, _report(project, 1, expectedVersion=value))
    assert payload["dailyReport"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        (code, ["input", "expectedVersion"])
    ]
    assert await DailyReport.all().count() == 0


@pytest.mark.parametrize(
    "value", [2**31, "1", 0.5, None], ids=["past Int", "string", "float", "null"]
)
async def test_malformed_report_versions_are_refused_and_null_is_none(
    client: httpx.AsyncClient, site_manager: Account, value: Any
) -> None:
    project = await _project(site_manager)
    response = await client.post(
        "/graphql",
        json={"query": FILE, "variables": {"input": _report(project, 1, expectedVersion=value)}},
        headers=site_manager.headers,
    )
    if value is None:
        assert response.status_code == 200
        assert response.json()["data"]["fileDailyReport"]["dailyReport"]["version"] == 1
        return
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] != "INTERNAL"
    assert await DailyReport.all().count() == 0


async def test_someone_else_s_report_is_not_found_and_tells_no_version(
    graphql: GraphQL, site_manager: Account, make_account: MakeAccount
) -> None:
    project = await _project(site_manager)
    await file(graphql, site_manager, _report(project, 1))
    stranger = await make_account(Role.SITE_MANAGER, "stranger")
    payload = await file(graphql, stranger, _report(project, 9, expectedVersion=0))
    assert payload["dailyReport"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "projectId"])
    assert "version" not in error["message"]


async def test_a_replayed_amendment_is_absorbed_even_after_the_report_moved_on(
    graphql: GraphQL, office: Account, site_manager: Account
) -> None:
    project = await _project(site_manager)
    await file(graphql, site_manager, _report(project, 1))
    queued = _report(project, 2, expectedVersion=1, idempotencyKey="phone-9")
    first = await file(graphql, site_manager, queued)
    assert first["errors"] == [] and first["dailyReport"]["version"] == 2
    await file(graphql, office, _report(project, 3, expectedVersion=2))
    audited = await AuditEntry.all().count()

    again = await file(graphql, site_manager, queued)

    assert again["errors"] == []
    assert (again["dailyReport"]["version"], again["dailyReport"]["workersOnSite"]) == (3, 3)
    assert await AuditEntry.all().count() == audited
