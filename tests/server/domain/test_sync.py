"""Offline catch-up rules: working sets, journal pages, tombstones and tokens."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from tortoise.transactions import in_transaction

from server.domain import journal, notifications, sync
from server.domain.access import Access
from server.domain.errors import Refused
from server.domain.models import JournalEntry, Role, TicketStatus, User
from server.domain.projects import set_site_managers
from server.domain.sync import ObjectRef, Tombstone, TombstoneReason
from server.domain.tickets.workflow import TicketAction, TransitionRequest, transition_ticket
from server.domain.timetable import complete_milestone
from tests.conftest import MakeAccount
from tests.ticket_helpers import make_milestone, make_photo, make_project, make_ticket

TODAY = dt.date(2026, 12, 5)


async def _all(viewer: User, since: str | None = None, first: int = 100) -> sync.ChangePage:
    """Every page from `since` to the end, merged (upserts and tombstones in order)."""
    upserts: list[ObjectRef] = []
    tombstones: list[Tombstone] = []
    while True:
        page = await sync.changes(viewer, since, TODAY, first)
        upserts += page.upserts
        tombstones += page.tombstones
        since = page.next_token
        if not page.has_more:
            return sync.ChangePage(upserts, tombstones, since, False)


@pytest.fixture
async def world(make_account: MakeAccount) -> dict[str, object]:
    """Two site managers with a project each, a coordinator, and the office."""
    one = (await make_account(Role.SITE_MANAGER, "one")).user
    two = (await make_account(Role.SITE_MANAGER, "two")).user
    coordinator = (await make_account(Role.COORDINATOR, "coord")).user
    office = (await make_account(Role.OFFICE, "office")).user
    mine = await make_project(one)
    theirs = await make_project(two)
    return {
        "one": one,
        "two": two,
        "coordinator": coordinator,
        "office": office,
        "mine": mine,
        "theirs": theirs,
        "mine_milestone": await make_milestone(mine),
        "theirs_milestone": await make_milestone(theirs),
        "mine_ticket": await make_ticket(mine, one),
        "theirs_ticket": await make_ticket(theirs, two, assignee=coordinator),
        "mine_photo": await make_photo(mine, one),
    }


async def test_working_set_holds_only_what_the_viewer_sees(world: dict) -> None:
    page = await _all(world["one"])
    assert set(page.upserts) == {
        ObjectRef("Project", world["mine"].id),
        ObjectRef("Milestone", world["mine_milestone"].id),
        ObjectRef("ShortageTicket", world["mine_ticket"].id),
        ObjectRef("Photo", world["mine_photo"].id),
    }
    assert page.tombstones == []


async def test_working_set_pages_in_a_stable_order_with_no_gaps(world: dict) -> None:
    whole = await _all(world["office"])
    paged = await _all(world["office"], first=1)
    assert paged.upserts == whole.upserts
    order = [journal.SYNCED_TYPES.index(ref.typename) for ref in whole.upserts]
    assert order == sorted(order)
    assert len(whole.upserts) == 7  # 2 projects, 2 milestones, 2 tickets, 1 photo


async def test_coordinator_sees_only_tickets_handed_to_them(world: dict) -> None:
    page = await _all(world["coordinator"])
    tickets = {ref.object_id for ref in page.upserts if ref.typename == "ShortageTicket"}
    assert tickets == {world["theirs_ticket"].id}


async def test_a_change_after_the_token_comes_back_once(world: dict) -> None:
    one = world["one"]
    token = (await _all(one)).next_token
    assert (await _all(one, token)).upserts == []
    async with in_transaction():
        await complete_milestone(Access(one), world["mine_milestone"].id, TODAY, TODAY)
    page = await _all(one, token)
    assert ObjectRef("Milestone", world["mine_milestone"].id) in page.upserts
    assert (await _all(one, page.next_token)).upserts == []


async def test_changes_elsewhere_do_not_reach_the_viewer(world: dict) -> None:
    one = world["one"]
    token = (await _all(one)).next_token
    async with in_transaction():
        await complete_milestone(Access(world["two"]), world["theirs_milestone"].id, TODAY, TODAY)
    page = await _all(one, token)
    assert page.upserts == [] and page.tombstones == []


async def test_a_project_handed_away_leaves_whole_and_comes_back_whole(world: dict) -> None:
    one, two, office, mine = world["one"], world["two"], world["office"], world["mine"]
    token = (await _all(one)).next_token
    async with in_transaction():
        await set_site_managers(Access(office), mine.id, [two.id])
    gone = await _all(one, token)
    assert gone.upserts == []
    assert {(t.typename, t.object_id) for t in gone.tombstones} == {
        ("Project", mine.id),
        ("Milestone", world["mine_milestone"].id),
        ("ShortageTicket", world["mine_ticket"].id),
        ("Photo", world["mine_photo"].id),
    }
    assert {t.reason for t in gone.tombstones} == {TombstoneReason.NOT_VISIBLE}

    two_token = (await _all(two)).next_token  # two already holds `mine` from the full sync
    async with in_transaction():
        await set_site_managers(Access(office), mine.id, [one.id])
    back = await _all(one, gone.next_token)
    assert set(back.upserts) == {ref for ref in (await _all(one)).upserts}
    assert back.tombstones == []
    lost = await _all(two, two_token)
    assert ("Project", mine.id) in {(t.typename, t.object_id) for t in lost.tombstones}


async def test_a_ticket_handed_to_someone_else_leaves_the_coordinator(world: dict) -> None:
    coordinator, office = world["coordinator"], world["office"]
    ticket = world["theirs_ticket"]
    other = await User.create(
        username="coord2", display_name="c2", role=Role.COORDINATOR, password_hash="x"
    )
    await type(ticket).filter(id=ticket.id).update(status=TicketStatus.ASSIGNED)
    token = (await _all(coordinator)).next_token
    async with in_transaction():
        await transition_ticket(
            Access(office),
            TransitionRequest(ticket.id, TicketAction.ASSIGN, assignee_id=other.id),
        )
    page = await _all(coordinator, token)
    assert Tombstone("ShortageTicket", ticket.id, TombstoneReason.NOT_VISIBLE) in page.tombstones
    assert ObjectRef("ShortageTicket", ticket.id) not in page.upserts
    gained = await _all(other)
    assert ObjectRef("ShortageTicket", ticket.id) in gained.upserts


async def test_notifications_reach_only_their_recipient(world: dict) -> None:
    one, two = world["one"], world["two"]
    tokens = {u.id: (await _all(u)).next_token for u in (one, two)}
    async with in_transaction():
        (note,) = await notifications.notify([one], "TEST", "你好")
    assert ObjectRef("Notification", note.id) in (await _all(one, tokens[one.id])).upserts
    assert (await _all(two, tokens[two.id])).upserts == []


async def test_deleted_objects_leave_as_deleted(world: dict) -> None:
    one, photo = world["one"], world["mine_photo"]
    token = (await _all(one)).next_token
    async with in_transaction():
        await photo.delete()
        await journal.note_object(photo, deleted=True)
    page = await _all(one, token)
    assert page.tombstones == [Tombstone("Photo", photo.id, TombstoneReason.DELETED)]


async def test_journal_pages_split_by_entries_and_keep_order(world: dict) -> None:
    one = world["one"]
    token = (await _all(one)).next_token
    async with in_transaction():
        await journal.note("Milestone", [world["mine_milestone"].id], project_id=world["mine"].id)
        await journal.note("Photo", [world["mine_photo"].id], project_id=world["mine"].id)
    first = await sync.changes(one, token, TODAY, 1)
    assert first.upserts == [ObjectRef("Milestone", world["mine_milestone"].id)]
    assert first.has_more
    second = await sync.changes(one, first.next_token, TODAY, 1)
    assert second.upserts == [ObjectRef("Photo", world["mine_photo"].id)]
    assert not second.has_more


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "s1.",
        "s1.!!!!",
        "s1." + "A" * 300,
        "s1.\x00",
        "s1." + base64.urlsafe_b64encode(b"-1.OFFICE.0.1.J.0.0").decode(),
        "s1." + base64.urlsafe_b64encode(b"1.OFFICE.0.1.X.0.0").decode(),
        "s1." + base64.urlsafe_b64encode(b"1.NOBODY.0.1.J.0.0").decode(),
        "s1." + base64.urlsafe_b64encode(b"1.OFFICE.0.1.E.99.0").decode(),
        "s1." + base64.urlsafe_b64encode(b"1.OFFICE.0.99999999.J.0.0").decode(),
    ],
)
async def test_tokens_not_given_out_are_invalid(world: dict, token: str) -> None:
    with pytest.raises(Refused) as refused:
        await sync.changes(world["one"], token, TODAY)
    assert refused.value.code == "INVALID"


async def test_another_viewers_token_or_a_new_role_means_resync(world: dict) -> None:
    one, two = world["one"], world["two"]
    token = (await _all(one)).next_token
    with pytest.raises(Refused) as refused:
        await sync.changes(two, token, TODAY)
    assert refused.value.code == "SYNC_TOKEN_EXPIRED"
    one.role = Role.OFFICE
    with pytest.raises(Refused) as refused:
        await sync.changes(one, token, TODAY)
    assert refused.value.code == "SYNC_TOKEN_EXPIRED"


async def test_a_token_older_than_the_pruned_journal_has_expired(world: dict) -> None:
    one = world["one"]
    token = (await _all(one)).next_token
    async with in_transaction():
        await complete_milestone(Access(one), world["mine_milestone"].id, TODAY, TODAY)
    await JournalEntry.all().update(at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert await sync.prune(dt.datetime(2021, 1, 1, tzinfo=dt.UTC)) >= 1
    with pytest.raises(Refused) as refused:
        await sync.changes(one, token, TODAY)
    assert refused.value.code == "SYNC_TOKEN_EXPIRED"
    assert (await _all(one)).upserts  # starting again works


async def test_a_token_after_the_horizon_still_works(world: dict) -> None:
    one = world["one"]
    await JournalEntry.all().update(at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    await sync.prune(dt.datetime(2021, 1, 1, tzinfo=dt.UTC))
    token = (await _all(one)).next_token
    async with in_transaction():
        await complete_milestone(Access(one), world["mine_milestone"].id, TODAY, TODAY)
    assert ObjectRef("Milestone", world["mine_milestone"].id) in (await _all(one, token)).upserts


@pytest.mark.parametrize("first", [0, -1, 101, 2**40])
async def test_page_size_out_of_range_is_invalid(world: dict, first: int) -> None:
    with pytest.raises(Refused) as refused:
        await sync.changes(world["one"], None, TODAY, first)
    assert refused.value.code == "INVALID"


def test_tokens_are_opaque_but_stable() -> None:
    token = sync.SyncToken(7, "OFFICE", 42, TODAY.toordinal(), sync.Phase.DAY, 3, 9)
    assert token.encode().startswith("s1.")
    raw = base64.urlsafe_b64decode(token.encode()[3:] + "==").decode()
    assert raw == f"7.OFFICE.42.{TODAY.toordinal()}.D.3.9"


async def test_the_first_catch_up_of_a_new_day_sends_the_dated_types_again(world: dict) -> None:
    one = world["one"]
    token = (await _all(one)).next_token
    assert (await _all(one, token)).upserts == []
    tomorrow = TODAY + dt.timedelta(days=1)
    upserts, since = [], token
    while True:
        page = await sync.changes(one, since, tomorrow, 1)
        upserts += page.upserts
        since = page.next_token
        if not page.has_more:
            break
    assert upserts == [
        ObjectRef("Project", world["mine"].id),
        ObjectRef("Milestone", world["mine_milestone"].id),
        ObjectRef("ShortageTicket", world["mine_ticket"].id),
    ]
    assert (await sync.changes(one, since, tomorrow)).upserts == []


async def test_a_working_set_loaded_after_the_whole_journal_was_pruned_carries_on(
    world: dict,
) -> None:
    one = world["one"]
    async with in_transaction():
        await complete_milestone(Access(one), world["mine_milestone"].id, TODAY, TODAY)
    await JournalEntry.all().update(at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert await sync.prune(dt.datetime(2021, 1, 1, tzinfo=dt.UTC)) >= 1
    assert await JournalEntry.all().count() == 0
    assert await journal.version() == await journal.horizon() > 0
    token = (await _all(one)).next_token
    assert (await _all(one, token)).upserts == []
