"""Offline catch-up: what changed in a viewer's world since their sync token.

A phone that was offline asks `changes(since: token)` and gets, page by page, every object of
its working set that changed (as an upsert) and every object it must drop (as a tombstone:
deleted, or no longer visible to it), ending with the token to ask from next time. Without a
token it gets the whole working set, type by type, and then carries on from the journal
position read when that first page was served, so nothing written meanwhile is missed.

The rules:

- The working set is what the viewer may see (`server.domain.access`) of `journal.SYNCED_TYPES`:
  site managers their projects and everything in them, coordinators every project but only the
  tickets handed to them, everyone else every project; each viewer their own notifications.
- Changes come from the journal in `seq` order. Entries addressed to one viewer mark that their
  sight of the object changed: a project they were given arrives whole (with everything in it),
  and one taken away leaves as NOT_VISIBLE tombstones for it and everything in it. A ticket
  handed to or away from a coordinator works the same way.
- A token names its viewer and role: it answers only them, and a role change means a resync.
  The journal is pruned after `sync_retention_days`; a token from before the horizon has
  expired (SYNC_TOKEN_EXPIRED) and the app starts again without one.
- Some fields follow the date, not the data (a project's health, a milestone's or ticket's
  isOverdue and daysOverdue): the first catch-up of each zone day sends `DAY_TYPES` again.
  A daily report's `editable` is left to the app (its window is REPORT_WINDOW_DAYS).
- Tokens are plain positions, not server state: they survive restarts and work on any worker.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from tortoise.transactions import in_transaction

from server.domain import journal
from server.domain.access import ProjectScope, project_scope
from server.domain.clock import utc_now
from server.domain.errors import Refused
from server.domain.models import JournalEntry, JournalHorizon, Role, User
from server.domain.rawsql import fetch

DEFAULT_PAGE = 100
MAX_PAGE = 100
"""Objects (or journal entries) per page: the budget of one answer on a weak network."""

_TOKEN_PREFIX = "s1."
_TABLES: dict[str, str] = {
    "Programme": "programme",
    "Project": "project",
    "TaskSheet": "task_sheet",
    "Phase": "phase",
    "Milestone": "milestone",
    "ShortageTicket": "shortage_ticket",
    "Photo": "photo",
    "SupervisionReview": "supervision_review",
    "DailyReport": "daily_report",
    "Notification": "notification",
}
DAY_TYPES: tuple[str, ...] = ("Project", "Milestone", "ShortageTicket", "SupervisionReview")
"""Types with fields that follow the date (health, isOverdue, daysOverdue): sent again, in
the viewer's scope, on the first catch-up of each new day."""
_PROJECT_PARTS: tuple[str, ...] = tuple(
    name for name in journal.SYNCED_TYPES if name not in ("Programme", "Project", "Notification")
)
"""The types that belong to one project, which travel with it when sight of it changes."""


class TombstoneReason(StrEnum):
    """Why the phone must drop an object."""

    DELETED = "DELETED"
    NOT_VISIBLE = "NOT_VISIBLE"


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One object to send whole: its type and id."""

    typename: str
    object_id: int


@dataclass(frozen=True, slots=True)
class Tombstone:
    """One object the phone must drop, and why."""

    typename: str
    object_id: int
    reason: TombstoneReason


@dataclass(frozen=True, slots=True)
class ChangePage:
    """One page of changes: what to upsert, what to drop, and the token to ask with next."""

    upserts: list[ObjectRef]
    tombstones: list[Tombstone]
    next_token: str
    has_more: bool


class Phase(StrEnum):
    """What a token's position is in: the whole working set, the day's re-send, the journal."""

    EVERYTHING = "E"
    DAY = "D"
    JOURNAL = "J"


_LISTED: dict[Phase, tuple[str, ...]] = {
    Phase.EVERYTHING: journal.SYNCED_TYPES,
    Phase.DAY: DAY_TYPES,
}


@dataclass(frozen=True, slots=True)
class SyncToken:
    """A position in a viewer's catch-up.

    In the EVERYTHING and DAY phases the position is a type of the phase's list and the last id
    sent of it, and `seq` is the journal position to carry on from afterwards; in the JOURNAL
    phase `seq` is the last journal entry sent. `day` is the zone date (ordinal) the answers'
    date-dependent fields were computed for.
    """

    user_id: int
    role: str
    seq: int
    day: int
    phase: Phase = Phase.JOURNAL
    type_index: int = 0
    after_id: int = 0

    def encode(self) -> str:
        """The opaque string the client keeps."""
        raw = (
            f"{self.user_id}.{self.role}.{self.seq}.{self.day}."
            f"{self.phase.value}.{self.type_index}.{self.after_id}"
        )
        return _TOKEN_PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(text: str, viewer: User) -> SyncToken:
    """The position `text` names; Refused INVALID for a string this server did not give out and
    SYNC_TOKEN_EXPIRED for one of another viewer or role (the app then starts again)."""
    token = _parse(text)
    if token is None:
        raise Refused("INVALID", "`since` is not a sync token this server gave out.", "since")
    if token.user_id != viewer.id or token.role != viewer.role.value:
        raise _expired("This sync token was given to another account or role")
    return token


def _parse(text: str) -> SyncToken | None:
    if not text.startswith(_TOKEN_PREFIX) or len(text) > 200:
        return None
    body = text[len(_TOKEN_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("ascii")
        user, role, seq, day, phase, type_index, after = raw.split(".")
        numbers = [int(user), int(seq), int(day), int(type_index), int(after)]
        token = SyncToken(
            numbers[0], role, numbers[1], numbers[2], Phase(phase), numbers[3], numbers[4]
        )
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if min(numbers) < 0 or role not in Role.__members__ or numbers[2] > dt.date.max.toordinal():
        return None
    if token.type_index > len(_LISTED.get(token.phase, ())):
        return None
    return token


def _expired(reason: str) -> Refused:
    return Refused(
        "SYNC_TOKEN_EXPIRED",
        f"{reason}: call `changes` without `since` to load the working set again.",
        "since",
    )


async def changes(
    viewer: User, since: str | None, today: dt.date, first: int | None = None
) -> ChangePage:
    """The next page of changes in `viewer`'s world after `since` (None: from the start), with
    date-dependent fields as of `today`."""
    size = _page_size(first)
    day = today.toordinal()
    if since is None:
        start = SyncToken(viewer.id, viewer.role.value, await journal.version(), day)
        return await _listing_page(viewer, replace(start, phase=Phase.EVERYTHING), size)
    token = decode_token(since, viewer)
    if token.seq < await journal.horizon():
        raise _expired("This sync token is older than the changes the server keeps")
    if token.phase is Phase.JOURNAL and token.day != day:
        token = replace(token, day=day, phase=Phase.DAY, type_index=0, after_id=0)
    if token.phase is Phase.JOURNAL:
        return await _journal_page(viewer, token, size)
    return await _listing_page(viewer, token, size)


def _page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if not 1 <= first <= MAX_PAGE:
        raise Refused("INVALID", f"`first` must be between 1 and {MAX_PAGE}.", "first")
    return first


# --- the whole working set, and the day's re-send ----------------------------------------------


async def _listing_page(viewer: User, token: SyncToken, size: int) -> ChangePage:
    """Up to `size` objects of the phase's types after the token's position, type by type; at
    the end of the list the journal carries on from the token's `seq`."""
    types = _LISTED[token.phase]
    upserts: list[ObjectRef] = []
    type_index, after_id = token.type_index, token.after_id
    while type_index < len(types) and len(upserts) < size:
        typename = types[type_index]
        room = size - len(upserts)
        ids = await visible_ids(viewer, typename, after_id=after_id, limit=room + 1)
        upserts.extend(ObjectRef(typename, i) for i in ids[:room])
        if len(ids) > room:
            after_id = ids[room - 1]
            break
        type_index, after_id = type_index + 1, 0
    if type_index < len(types):
        following = replace(token, type_index=type_index, after_id=after_id)
        return ChangePage(upserts, [], following.encode(), True)
    following = replace(token, phase=Phase.JOURNAL, type_index=0, after_id=0)
    has_more = await journal.version() > token.seq
    return ChangePage(upserts, [], following.encode(), has_more)


async def visible_ids(
    viewer: User,
    typename: str,
    *,
    after_id: int = 0,
    limit: int | None = None,
    among: list[int] | None = None,
    project_id: int | None = None,
) -> list[int]:
    """Ids of the `typename` objects `viewer` may see, in id order: after `after_id`, at most
    `limit`, only those in `among` or in project `project_id` when given."""
    table = _TABLES[typename]
    params: dict[str, Any] = {"after": after_id}
    sql = f"SELECT id FROM {table} WHERE id > :after"
    sql += _visibility_sql(viewer, typename, params)
    if among is not None:
        params["among"] = among
        sql += " AND id IN (:among)"
    if project_id is not None:
        params["project"] = project_id
        sql += " AND " + ("id" if typename == "Project" else "project_id") + " = :project"
    sql += " ORDER BY id"
    if limit is not None:
        params["limit"] = limit
        sql += " LIMIT :limit"
    return [row["id"] for row in await fetch(sql, params)]


def _visibility_sql(viewer: User, typename: str, params: dict[str, Any]) -> str:
    """The condition that keeps only what `viewer` may see of `typename`'s table."""
    if typename == "Programme":
        return ""
    if typename == "Notification":
        params["viewer"] = viewer.id
        return " AND user_id = :viewer"
    if typename == "ShortageTicket" and viewer.role == Role.COORDINATOR:
        params["viewer"] = viewer.id
        return " AND assignee_id = :viewer"
    scope: ProjectScope = project_scope(viewer)
    return scope.sql("id" if typename == "Project" else "project_id", params)


# --- changes from the journal -----------------------------------------------------------------


async def _journal_page(viewer: User, token: SyncToken, size: int) -> ChangePage:
    """What changed after the token's journal position, one page of entries in `seq` order."""
    entries = await _entries_after(viewer, token.seq, size + 1)
    has_more = len(entries) > size
    entries = entries[:size]
    decisions = await _decide(viewer, entries)
    upserts = [ref for ref, drop in decisions.items() if drop is None]
    tombstones = [
        Tombstone(ref.typename, ref.object_id, drop)
        for ref, drop in decisions.items()
        if drop is not None
    ]
    following = replace(token, seq=entries[-1]["seq"] if entries else token.seq)
    return ChangePage(upserts, tombstones, following.encode(), has_more)


async def _entries_after(viewer: User, seq: int, limit: int) -> list[dict[str, Any]]:
    """The journal entries after `seq` that may concern `viewer`, oldest first."""
    params: dict[str, Any] = {
        "since": seq,
        "types": list(journal.SYNCED_TYPES),
        "viewer": viewer.id,
        "limit": limit,
    }
    shared = "user_id IS NULL"
    in_scope = project_scope(viewer).sql("project_id", params).removeprefix(" AND ")
    if in_scope:
        shared += f" AND (typename = 'Programme' OR {in_scope})"
    sql = (
        "SELECT seq, typename, object_id, project_id, user_id, deleted FROM journal_entry"
        f" WHERE seq > :since AND typename IN (:types) AND (({shared}) OR user_id = :viewer)"
        " ORDER BY seq LIMIT :limit"
    )
    return list(await fetch(sql, params))


async def _decide(
    viewer: User, entries: list[dict[str, Any]]
) -> dict[ObjectRef, TombstoneReason | None]:
    """For each object the entries name, in the order last named: None to send it, or why the
    phone must drop it. Entries about what the viewer never saw and still does not see are
    left out."""
    latest: dict[ObjectRef, bool] = {}  # deleted, as the last entry says
    sight_changed: set[ObjectRef] = set()
    for entry in entries:
        ref = ObjectRef(entry["typename"], entry["object_id"])
        latest.pop(ref, None)
        latest[ref] = bool(entry["deleted"])
        if entry["user_id"] is not None and ref.typename not in journal.PERSONAL_TYPES:
            sight_changed.add(ref)
    visible = await _visible_among(viewer, latest)
    whole = [r.object_id for r in latest if r in sight_changed and r.typename == "Project"]
    parts = await _project_parts(whole)
    decisions: dict[ObjectRef, TombstoneReason | None] = {}

    def decide(ref: ObjectRef, drop: TombstoneReason | None) -> None:
        decisions.pop(ref, None)
        decisions[ref] = drop

    for ref, deleted in latest.items():
        if ref in visible:
            drop = None
        elif deleted:
            drop = TombstoneReason.DELETED
        elif ref in sight_changed:
            drop = TombstoneReason.NOT_VISIBLE
        else:
            continue
        decide(ref, drop)
        if ref in sight_changed and drop is not TombstoneReason.DELETED:
            for part in parts.get(ref.object_id, ()) if ref.typename == "Project" else ():
                decide(part, drop)
    return decisions


async def _visible_among(viewer: User, refs: dict[ObjectRef, Any]) -> set[ObjectRef]:
    """The objects among `refs` that exist and `viewer` may see (one statement per type)."""
    by_type: dict[str, list[int]] = {}
    for ref in refs:
        by_type.setdefault(ref.typename, []).append(ref.object_id)
    found: set[ObjectRef] = set()
    for typename, ids in by_type.items():
        found.update(ObjectRef(typename, i) for i in await visible_ids(viewer, typename, among=ids))
    return found


async def _project_parts(project_ids: list[int]) -> dict[int, list[ObjectRef]]:
    """Everything in each of the projects, by project (one statement per type).

    Only site managers' sight of a project changes, and they see all of a project they see.
    """
    parts: dict[int, list[ObjectRef]] = {}
    if not project_ids:
        return parts
    for typename in _PROJECT_PARTS:
        rows = await fetch(
            f"SELECT id, project_id FROM {_TABLES[typename]} WHERE project_id IN (:projects)"
            " ORDER BY id",
            {"projects": project_ids},
        )
        for row in rows:
            parts.setdefault(row["project_id"], []).append(ObjectRef(typename, row["id"]))
    return parts


# --- keeping the journal short ----------------------------------------------------------------


async def prune(before: dt.datetime) -> int:
    """Drop the journal entries written before `before` and move the horizon past them; the
    number dropped. Tokens from before the horizon then answer SYNC_TOKEN_EXPIRED."""
    async with in_transaction():
        rows = await fetch(
            "SELECT MAX(seq) AS seq FROM journal_entry WHERE at < :cutoff", {"cutoff": before}
        )
        through = rows[0]["seq"]
        if through is None:
            return 0
        dropped = await JournalEntry.filter(seq__lte=through).delete()
        horizon, _ = await JournalHorizon.get_or_create(id=1)
        horizon.pruned_through = max(horizon.pruned_through, int(through))
        horizon.pruned_at = utc_now()
        await horizon.save()
    return dropped
