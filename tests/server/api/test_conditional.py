"""Conditional GETs over real HTTP: ETags from the journal's version, 304 without running."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import schema.context
from schema.relay import global_id
from server.api import conditional
from server.domain.clock import zone_today
from server.domain.models import AuthToken, Photo, Project, Role
from server.settings import Settings
from tests import factories
from tests.conftest import TEST_PASSWORD, Account, GraphQL
from tests.server.api.test_metrics import grew, scrape

HOME = """query Home($first: Int!) {
  me { id projects(first: $first) { edges { node { ...Card } } } }
}
fragment Card on Project {
  id code name status health openTicketCount
  milestones(first: 10) { edges { node { id title plannedDate status isOverdue daysOverdue } } }
}"""
PAGE = {"first": 20}
COMPLETE = """mutation($input: CompleteMilestoneInput!) {
  completeMilestone(input: $input) { errors { code } } }"""
SET_MANAGERS = """mutation($input: SetProjectSiteManagersInput!) {
  setProjectSiteManagers(input: $input) { errors { code } } }"""
FILE_TICKET = """mutation($input: CreateShortageTicketInput!) {
  createShortageTicket(input: $input) { errors { code } } }"""


async def get(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    account: Account | None = None,
    **headers: str,
) -> httpx.Response:
    """A GraphQL GET; `headers` by name, `_` for `-` (if_none_match=...)."""
    params = {"query": query}
    if variables is not None:
        params["variables"] = json.dumps(variables)
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    return await client.get(
        "/graphql", params=params, headers={**(account.headers if account else {}), **sent}
    )


async def etag_of(
    client: httpx.AsyncClient,
    query: str = HOME,
    variables: dict[str, Any] | None = PAGE,
    account: Account | None = None,
) -> str:
    """The ETag of a fresh 200 answer without errors."""
    response = await get(client, query, variables, account)
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text
    return response.headers["etag"]


@pytest.fixture
async def site(site_manager: Account, settings: Settings) -> Project:
    """A project of the site manager with an overdue milestone."""
    project = await factories.project()
    await project.site_managers.add(site_manager.user)
    await factories.milestone(project, zone_today(settings.zone) - dt.timedelta(days=3))
    return project


@pytest.fixture
def move_today(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.date], None]:
    """Move the zone's today (for the answers and the ETags alike)."""

    def move(day: dt.date) -> None:
        monkeypatch.setattr(schema.context, "zone_today", lambda zone: day)
        monkeypatch.setattr(conditional, "zone_today", lambda zone: day)

    return move


async def test_a_get_has_a_weak_etag_and_a_repeat_is_304_after_two_statements(
    client: httpx.AsyncClient,
    site_manager: Account,
    site: Project,
    count_statements: Callable[[], Any],
) -> None:
    first = await get(client, HOME, PAGE, site_manager)
    assert first.status_code == 200
    assert first.json()["data"]["me"]["projects"]["edges"][0]["node"]["code"] == site.code
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and etag.endswith('"') and len(etag) == 36
    assert first.headers["cache-control"] == "private, no-cache"
    with count_statements() as counter:
        again = await get(client, HOME, PAGE, site_manager, if_none_match=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "private, no-cache"
    assert "content-type" not in again.headers
    # the bearer token's look-up, then the journal's version: nothing of the query runs
    assert len(counter.statements) == 2, counter.statements
    assert "journal_entry" in counter.statements[1]
    # the strong form and a list naming it revalidate too (weak comparison)
    for header in (etag.removeprefix("W/"), f'"nope", W/"x", {etag}', f"{etag}, *"):
        listed = await get(client, HOME, PAGE, site_manager, if_none_match=header)
        assert listed.status_code == 304, header


async def test_others_signing_in_and_out_leave_a_poll_unchanged(
    client: httpx.AsyncClient, site_manager: Account, office: Account, site: Project
) -> None:
    etag = await etag_of(client, HOME, PAGE, site_manager)
    login = """mutation($u: String!, $p: String!) {
      login(input: {username: $u, password: $p}) { token errors { code } } }"""
    signed_in = await client.post(
        "/graphql", json={"query": login, "variables": {"u": "office", "p": TEST_PASSWORD}}
    )
    token = signed_in.json()["data"]["login"]["token"]
    assert token
    logout = await client.post(
        "/graphql",
        json={"query": "mutation { logout { ok } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert logout.json()["data"]["logout"]["ok"] is True
    again = await get(client, HOME, PAGE, site_manager, if_none_match=etag)
    assert again.status_code == 304  # sign-ins are audited but change no answer


async def test_a_304_is_logged_and_counted_as_not_modified(
    client: httpx.AsyncClient,
    site_manager: Account,
    site: Project,
    caplog: pytest.LogCaptureFixture,
) -> None:
    etag = await etag_of(client, account=site_manager)
    before = await scrape(client)
    caplog.set_level(logging.INFO, logger="wallchart.request")
    caplog.clear()
    response = await get(client, HOME, PAGE, site_manager, if_none_match=etag)
    lines = list(caplog.records)
    after = await scrape(client)
    assert response.status_code == 304
    [line] = [r for r in lines if r.name == "wallchart.request" and r.getMessage() == "request"]
    assert line.__dict__["status"] == 304
    assert line.__dict__["outcome"] == "not_modified"
    assert line.__dict__["operation_name"] == "Home"
    assert line.__dict__["bytes_out"] == 0
    labels = {"operation": "Home", "type": "query", "outcome": "not_modified", "status": "3xx"}
    assert grew(before, after, "wallchart_requests_total", **labels) == 1


async def test_changes_others_make_give_a_new_etag(
    client: httpx.AsyncClient,
    graphql: GraphQL,
    site_manager: Account,
    office: Account,
    make_account: Callable[..., Any],
    site: Project,
    settings: Settings,
) -> None:
    etag = await etag_of(client, account=site_manager)
    [pending] = await site.milestones.all()
    done = await graphql(
        COMPLETE,
        {
            "input": {
                "milestoneId": global_id("Milestone", pending.id),
                "actualDate": zone_today(settings.zone).isoformat(),
            }
        },
        account=site_manager,
    )
    assert done["data"]["completeMilestone"]["errors"] == []
    stale = await get(client, HOME, PAGE, site_manager, if_none_match=etag)
    assert stale.status_code == 200
    node = stale.json()["data"]["me"]["projects"]["edges"][0]["node"]
    assert node["milestones"]["edges"][0]["node"]["status"] == "DONE"
    completed = stale.headers["etag"]
    assert completed != etag

    filed = await graphql(
        FILE_TICKET,
        {
            "input": {
                "projectId": global_id("Project", site.id),
                "kind": "LABOUR",
                "title": "缺钢筋工",
                "trade": "钢筋工",
                "headcount": 18,
            }
        },
        account=site_manager,
    )
    assert filed["data"]["createShortageTicket"]["errors"] == []
    ticketed = await get(client, HOME, PAGE, site_manager, if_none_match=completed)
    assert ticketed.status_code == 200
    assert ticketed.json()["data"]["me"]["projects"]["edges"][0]["node"]["openTicketCount"] == 1

    other = await make_account(Role.SITE_MANAGER, "site2")
    moved = await graphql(
        SET_MANAGERS,
        {
            "input": {
                "projectId": global_id("Project", site.id),
                "userIds": [global_id("User", other.user.id)],
            }
        },
        account=office,
    )
    assert moved["data"]["setProjectSiteManagers"]["errors"] == []
    gone = await get(client, HOME, PAGE, site_manager, if_none_match=ticketed.headers["etag"])
    assert gone.status_code == 200
    assert gone.json()["data"]["me"]["projects"]["edges"] == []
    assert gone.headers["etag"] not in (etag, completed, ticketed.headers["etag"])


async def test_a_site_managers_poll_stays_put_through_changes_elsewhere(
    client: httpx.AsyncClient,
    graphql: GraphQL,
    site_manager: Account,
    office: Account,
    site: Project,
    make_account: Callable[..., Any],
    settings: Settings,
) -> None:
    elsewhere = await factories.project("P-ELSE")
    [far] = [await factories.milestone(elsewhere, zone_today(settings.zone))]
    mine = await etag_of(client, account=site_manager)
    offices = await etag_of(client, account=office)
    today = zone_today(settings.zone).isoformat()
    done = await graphql(
        COMPLETE,
        {"input": {"milestoneId": global_id("Milestone", far.id), "actualDate": today}},
        account=office,
    )
    assert done["data"]["completeMilestone"]["errors"] == []
    # a change in a project the site manager does not see: their poll stays 304 ...
    unchanged = await get(client, HOME, PAGE, site_manager, if_none_match=mine)
    assert unchanged.status_code == 304
    # ... while the office, who sees every project, gets the new answer
    assert (await get(client, HOME, PAGE, office, if_none_match=offices)).status_code == 200
    # being given that project is a change for them
    newcomer = await make_account(Role.SITE_MANAGER, "site3")
    given = await graphql(
        SET_MANAGERS,
        {
            "input": {
                "projectId": global_id("Project", elsewhere.id),
                "userIds": [
                    global_id("User", site_manager.user.id),
                    global_id("User", newcomer.user.id),
                ],
            }
        },
        account=office,
    )
    assert given["data"]["setProjectSiteManagers"]["errors"] == []
    grown = await get(client, HOME, PAGE, site_manager, if_none_match=mine)
    assert grown.status_code == 200
    assert len(grown.json()["data"]["me"]["projects"]["edges"]) == 2
    # a new name for a programme or a person (no project, no one) is a change for everyone
    renamed = await graphql(
        """mutation($input: UpdateUserInput!) { updateUser(input: $input) { errors { code } } }""",
        {"input": {"userId": global_id("User", newcomer.user.id), "displayName": "赵工"}},
        account=await make_account(Role.ADMIN, "root"),
    )
    assert renamed["data"]["updateUser"]["errors"] == []
    after = await get(client, HOME, PAGE, site_manager, if_none_match=grown.headers["etag"])
    assert after.status_code == 200


async def test_viewer_variables_media_type_and_day_each_change_the_etag(
    client: httpx.AsyncClient,
    site_manager: Account,
    office: Account,
    site: Project,
    move_today: Callable[[dt.date], None],
    settings: Settings,
) -> None:
    mine = await etag_of(client, account=site_manager)
    assert await etag_of(client, account=site_manager) == mine
    assert await etag_of(client, account=office) != mine
    assert await etag_of(client, variables={"first": 5}, account=site_manager) != mine
    anonymous = await etag_of(client, "query Anon { me { id } }", {}, None)
    assert await etag_of(client, "query Anon { me { id } }", {}, None) == anonymous
    graphql_json = await get(
        client, HOME, PAGE, site_manager, accept="application/graphql-response+json"
    )
    assert graphql_json.headers["content-type"].startswith("application/graphql-response+json")
    assert graphql_json.headers["etag"] != mine
    refused = await get(
        client,
        HOME,
        PAGE,
        site_manager,
        if_none_match=mine,
        accept="application/graphql-response+json",
    )
    assert refused.status_code == 200

    today = zone_today(settings.zone)
    move_today(today + dt.timedelta(days=1))
    tomorrow = await get(client, HOME, PAGE, site_manager, if_none_match=mine)
    assert tomorrow.status_code == 200
    assert tomorrow.headers["etag"] != mine
    milestone = tomorrow.json()["data"]["me"]["projects"]["edges"][0]["node"]["milestones"]
    assert milestone["edges"][0]["node"]["daysOverdue"] == 4
    move_today(today)
    assert await etag_of(client, account=site_manager) == mine


async def test_an_answer_with_photo_urls_is_revalidated_within_half_their_lifetime(
    client: httpx.AsyncClient,
    office: Account,
    site: Project,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    photo = await Photo.create(
        project=site,
        uploaded_by=office.user,
        width=1,
        height=1,
        content_type="image/jpeg",
        byte_size=1,
        sha256="a" * 64,
    )
    query = "query P($id: ID!) { node(id: $id) { ... on Photo { url } } }"
    without_url = "query P($id: ID!) { node(id: $id) { ... on Photo { width } } }"
    variables = {"id": global_id("Photo", photo.id)}
    half = settings.photo_url_ttl_seconds // 2
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    monkeypatch.setattr(conditional, "utc_now", lambda: start)
    etag = await etag_of(client, query, variables, office)
    plain = await etag_of(client, without_url, variables, office)
    monkeypatch.setattr(conditional, "utc_now", lambda: start + dt.timedelta(seconds=half - 1))
    assert (await get(client, query, variables, office, if_none_match=etag)).status_code == 304
    monkeypatch.setattr(conditional, "utc_now", lambda: start + dt.timedelta(seconds=half))
    later = await get(client, query, variables, office, if_none_match=etag)
    assert later.status_code == 200
    assert later.json()["data"]["node"]["url"].startswith(f"http://testserver/photos/{photo.id}/")
    assert later.headers["etag"] != etag
    # without a URL the answer does not expire
    assert (
        await get(client, without_url, variables, office, if_none_match=plain)
    ).status_code == 304


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ auditLog(first: 5) { edges { node { action } } } }", None),
        ("{ me { sessions { lastUsedAt } } }", None),
        ("{ me { ...S } } fragment S on User { sessions { id } }", None),
        ("{ users(first: 5) { edges { node { username } } } }", None),
        ('{ boardChanges(from: "2024-01-01", to: "2024-01-02") { completed { id } } }', None),
        ('{ projects(asOf: "2024-01-01") { totalCount } }', None),
        ("query Q($d: Date) { projects(asOf: $d) { totalCount } }", {"d": "2024-01-01"}),
        ('query Q($d: Date = "2024-01-01") { projects(asOf: $d) { totalCount } }', {}),
        (
            '{ programmes { stats(asOf: "2024-01-01") { projectCount } } }',
            None,
        ),
        (
            '{ projects { edges { node { healthHistory(from: "2024-01-01", to: "2024-01-02")'
            " { date } } } } }",
            None,
        ),
        ("query Q($id: ID!) { node(id: $id) { id } }", {"id": "SESSION"}),
        ("query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["SESSION"]}),
        ('{ node(id: "bm9wZQ==") { ... on Session { lastAddress } } }', None),
    ],
)
async def test_documents_reading_what_the_journal_does_not_version_get_no_etag(
    client: httpx.AsyncClient, admin: Account, query: str, variables: dict[str, Any] | None
) -> None:
    session = await AuthToken.get(user_id=admin.user.id)
    if variables is not None:
        session_id = global_id("Session", session.id)
        variables = {
            name: [session_id]
            if value == ["SESSION"]
            else session_id
            if value == "SESSION"
            else value
            for name, value in variables.items()
        }
    response = await get(client, query, variables, admin)
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text
    assert "etag" not in response.headers
    assert response.headers["cache-control"] == "private, no-store"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query Q($d: Date) { projects(asOf: $d) { totalCount } }", {"d": None}),
        ("query Q($d: Date) { projects(asOf: $d) { totalCount } }", {}),
        ("query Q($d: Date) { projects(asOf: $d) { totalCount } }", {"d": "TODAY"}),
        ("query Q($id: ID!) { node(id: $id) { id } }", {"id": "PROJECT"}),
        ("{ __schema { queryType { name } } }", None),
    ],
)
async def test_live_board_and_node_of_versioned_types_get_an_etag(
    client: httpx.AsyncClient,
    office: Account,
    site: Project,
    settings: Settings,
    query: str,
    variables: dict[str, Any] | None,
) -> None:
    known = {
        "TODAY": zone_today(settings.zone).isoformat(),
        "PROJECT": global_id("Project", site.id),
    }
    if variables is not None:
        variables = {name: known.get(value, value) for name, value in variables.items()}
    etag = await etag_of(client, query, variables, office)
    again = await get(client, query, variables, office, if_none_match=etag)
    assert again.status_code == 304


async def test_answers_with_errors_get_no_etag(
    client: httpx.AsyncClient, office: Account, settings: Settings
) -> None:
    future = (zone_today(settings.zone) + dt.timedelta(days=5)).isoformat()
    query = "query M($d: Date!) { missingDailyReports(date: $d) { totalCount } }"
    response = await get(client, query, {"d": future}, office)
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID"
    assert "etag" not in response.headers
    assert response.headers["cache-control"] == "private, no-store"
    anonymous = await get(client, "{ projects { totalCount } }")
    assert anonymous.json()["errors"]
    assert "etag" not in anonymous.headers
    bad_variables = await get(client, query, {"d": "not a date"}, office)
    assert bad_variables.status_code == 400
    assert "etag" not in bad_variables.headers


@pytest.mark.parametrize(
    "header",
    [
        "*",
        "garbage",
        'W/"',
        '"' * 5000,
        "W/" * 3000,
        "x" * 100_000,
        ", ".join(f'W/"{n:032x}"' for n in range(2000)),
        '"\x00\x01\x7f"',
        'W/"é", "\u2028"',
        "",
        ",,,,",
    ],
)
async def test_hostile_if_none_match_headers_answer_in_full(
    client: httpx.AsyncClient, site_manager: Account, site: Project, header: str
) -> None:
    try:
        sent = header.encode("latin-1")
    except UnicodeEncodeError:
        sent = header.encode()
    response = await client.get(
        "/graphql",
        params={"query": HOME, "variables": json.dumps(PAGE)},
        headers=[*site_manager.headers.items(), ("If-None-Match", sent)],  # type: ignore[list-item]
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["me"]["projects"]["edges"]


async def test_a_current_etag_in_a_long_list_or_several_headers_still_matches(
    client: httpx.AsyncClient, site_manager: Account, site: Project
) -> None:
    etag = await etag_of(client, account=site_manager)
    many = ", ".join([*(f'W/"{n:032x}"' for n in range(100)), etag])
    assert (await get(client, HOME, PAGE, site_manager, if_none_match=many)).status_code == 304
    response = await client.get(
        "/graphql",
        params={"query": HOME, "variables": json.dumps(PAGE)},
        headers=[
            *site_manager.headers.items(),
            ("If-None-Match", 'W/"other"'),
            ("If-None-Match", etag),
        ],
    )
    assert response.status_code == 304


async def test_post_never_gets_an_etag_nor_a_304(
    client: httpx.AsyncClient, site_manager: Account, site: Project
) -> None:
    etag = await etag_of(client, account=site_manager)
    response = await client.post(
        "/graphql",
        json={"query": HOME, "variables": PAGE},
        headers={**site_manager.headers, "If-None-Match": etag},
    )
    assert response.status_code == 200
    assert response.json()["data"]["me"]["projects"]["edges"]
    assert "etag" not in response.headers
    assert "cache-control" not in response.headers


async def test_the_etag_survives_gzip_and_revalidates_either_encoding(
    client: httpx.AsyncClient, office: Account, settings: Settings
) -> None:
    for number in range(30):
        await factories.project(code=f"GZ-{number:03d}")
    query = "{ projects(first: 30) { edges { node { id code name town responsibleUnit } } } }"
    response = await get(client, query, None, office, accept_encoding="gzip")
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.content) > settings.gzip_min_bytes
    etag = response.headers["etag"]
    assert etag.startswith('W/"')
    plain = await get(client, query, None, office, accept_encoding="identity")
    assert "content-encoding" not in plain.headers
    assert plain.headers["etag"] == etag
    for encoding in ("gzip", "identity"):
        again = await get(client, query, None, office, accept_encoding=encoding, if_none_match=etag)
        assert again.status_code == 304
        assert again.content == b""
        assert "content-encoding" not in again.headers


def test_dependence_walks_fragments_once_and_finds_photo_urls(settings: Settings) -> None:
    from graphql import parse

    from schema import build_schema

    graphql_schema = build_schema().graphql_schema
    text = """query A { me { ...U ...U projects { edges { node { ...P } } } } }
      fragment U on User { id }
      fragment P on Project {
        id photos(first: 1) { edges { node { url(variant: THUMBNAIL) } } }
      }"""
    document = parse(text)
    operation = document.definitions[0]
    found = conditional.dependence(graphql_schema, document, operation, text)  # type: ignore[arg-type]
    assert found.unversioned is None
    assert found.photo_urls
