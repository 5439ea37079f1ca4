"""`changes(since:, first:)` through the HTTP endpoint: pages, fragments, refusals."""

from __future__ import annotations

from base64 import urlsafe_b64encode as b64
from typing import Any

import pytest

from bench.queries import SYNC
from server.domain.models import JournalEntry, JournalHorizon, Project, Role
from tests.conftest import Account, GraphQL, MakeAccount
from tests.ticket_helpers import make_milestone, make_photo, make_project, make_ticket

COMPLETE = """
mutation Complete($id: ID!) {
  completeMilestone(input: {milestoneId: $id, actualDate: "2026-12-01"}) {
    errors { code message }
  }
}
"""


async def _sync(
    graphql: GraphQL, account: Account, since: str | None = None, first: int | None = None
) -> dict[str, Any]:
    body = await graphql(SYNC, {"since": since, "first": first}, account=account)
    assert "errors" not in body, body
    return body["data"]["changes"]


async def _everything(graphql: GraphQL, account: Account, since: str | None = None) -> tuple:
    upserts, tombstones = [], []
    while True:
        page = await _sync(graphql, account, since, 3)
        upserts += page["upserts"]
        tombstones += page["tombstones"]
        since = page["nextToken"]
        if not page["hasMore"]:
            return upserts, tombstones, since


@pytest.fixture
async def manager(make_account: MakeAccount) -> Account:
    """A site manager with one project: a milestone, a ticket and a photo."""
    account = await make_account(Role.SITE_MANAGER, "mgr")
    project = await make_project(account.user)
    await make_milestone(project)
    await make_ticket(project, account.user)
    await make_photo(project, account.user)
    other = await make_project()
    await make_milestone(other)
    return account


async def test_the_whole_working_set_arrives_with_its_fields(
    graphql: GraphQL, manager: Account
) -> None:
    upserts, tombstones, token = await _everything(graphql, manager)
    assert [u["__typename"] for u in upserts] == ["Project", "Milestone", "ShortageTicket", "Photo"]
    project, milestone, ticket, photo = upserts
    assert milestone["project"]["id"] == project["id"] == ticket["project"]["id"]
    assert ticket["version"] == 0 and ticket["events"][0]["action"] == "CREATE"
    assert photo["width"] > 0
    assert tombstones == []
    assert token.startswith("s1.")


async def test_a_change_comes_back_with_what_it_recomputes(
    graphql: GraphQL, manager: Account
) -> None:
    upserts, _, token = await _everything(graphql, manager)
    milestone = next(u for u in upserts if u["__typename"] == "Milestone")
    answer = await graphql(COMPLETE, {"id": milestone["id"]}, account=manager)
    assert answer["data"]["completeMilestone"]["errors"] == []
    changed, tombstones, _ = await _everything(graphql, manager, token)
    by_type = {u["__typename"]: u for u in changed}
    assert by_type["Milestone"]["milestoneStatus"] == "DONE"
    assert by_type["Milestone"]["actualDate"] == "2026-12-01"
    assert "Project" in by_type  # its health and next milestone follow the milestone
    assert tombstones == []


async def test_statements_do_not_grow_with_the_page(
    graphql: GraphQL, manager: Account, count_statements: Any
) -> None:
    counts = []
    for _ in range(2):
        with count_statements() as counter:
            page = await _sync(graphql, manager, None, 100)
        counts.append((len(page["upserts"]), len(counter.statements)))
        project = await Project.get(site_managers__id=manager.user.id)
        for _ in range(5):
            await make_photo(project, manager.user)
    (small, small_count), (large, large_count) = counts
    assert large == small + 5
    assert large_count == small_count


async def test_a_full_page_of_every_type_is_within_the_cost_budget(
    graphql: GraphQL, manager: Account, settings: Any
) -> None:
    body = await graphql(SYNC, {"first": 100}, account=manager)
    cost = body["extensions"]["cost"]
    assert cost["requested"] <= cost["limit"] == settings.max_query_cost


@pytest.mark.parametrize(
    ("since", "code"),
    [
        ("", "INVALID"),
        ("garbage", "INVALID"),
        ("s1." + "Q" * 100_000, "INVALID"),
        (
            "s1." + b64(b"999.SITE_MANAGER.0.1.J.0.0").decode(),
            "SYNC_TOKEN_EXPIRED",
        ),  # another user's
    ],
)
async def test_tokens_not_for_this_viewer_are_refused(
    graphql: GraphQL, manager: Account, since: str, code: str
) -> None:
    body = await graphql(SYNC, {"since": since}, account=manager)
    assert body["errors"][0]["extensions"]["code"] == code
    assert body["data"] is None


async def test_an_expired_token_tells_the_app_to_start_again(
    graphql: GraphQL, manager: Account
) -> None:
    from server.domain import sync

    _, _, token = await _everything(graphql, manager)
    await JournalEntry.create(typename="Project", object_id=1, project_id=1)
    await JournalHorizon.create(id=1, pruned_through=10**12)
    body = await graphql(SYNC, {"since": token}, account=manager)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "SYNC_TOKEN_EXPIRED"
    assert "without `since`" in error["message"]
    assert sync.MAX_PAGE == 100


@pytest.mark.parametrize("first", [0, -1, 101, 2**31 - 1])
async def test_page_sizes_out_of_range_are_invalid(
    graphql: GraphQL, manager: Account, first: int
) -> None:
    body = await graphql(SYNC, {"first": first}, account=manager)
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


@pytest.mark.parametrize(
    "variables", [{"first": 2**40}, {"first": "ten"}, {"since": 12}, {"since": "s1.\x00"}]
)
async def test_wrongly_typed_arguments_are_refused_before_running(
    graphql: GraphQL, manager: Account, variables: dict[str, Any]
) -> None:
    body = await graphql(SYNC, variables, account=manager, status=400)
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def test_anonymous_callers_must_sign_in(graphql: GraphQL) -> None:
    body = await graphql(SYNC)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
