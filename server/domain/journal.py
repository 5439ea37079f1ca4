"""The change journal: every change a phone may need to hear about, in commit order.

Each write that changes a synced object notes it here inside its own transaction (the audit
log's `record` does it for every audited object; the few writes that are not audited on their
own — notifications, photos linked to a ticket or milestone, a change of who sees a project or
a ticket — call `note` themselves). `server.domain.sync` reads the journal to answer
`changes(since:)`, and the conditional GETs take its newest `seq` as the data's version.

On PostgreSQL a sequence hands out `seq` when the row is inserted, not when it commits, so two
writers could commit out of order and a reader between the commits would skip the earlier
entry forever. Every transaction that writes the journal therefore holds one advisory lock
from its first entry to its commit: entries become visible in `seq` order. SQLite has one
writer at a time, so needs nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable

from tortoise import connections
from tortoise.models import Model

from server.domain.access import sees_every_project
from server.domain.models import JournalEntry, JournalHorizon, User
from server.domain.rawsql import fetch

SYNCED_TYPES: tuple[str, ...] = (
    "Programme",
    "Project",
    "TaskSheet",
    "Phase",
    "Milestone",
    "ShortageTicket",
    "Photo",
    "SupervisionReview",
    "DailyReport",
    "Notification",
)
"""The object types `changes` sends, in the order a whole working set is sent."""

PERSONAL_TYPES: frozenset[str] = frozenset({"Notification"})
"""Types whose entries are for their one recipient (`user_id`) only."""

_JOURNAL_LOCK = 0x77616C6C  # "wall": the advisory lock that orders journal commits
_PARENT_OWNED: dict[str, str] = {"TaskItem": "TaskSheet"}
"""Types that travel inside another synced type: a change to one is a change to its owner."""


async def note(
    typename: str,
    object_ids: Iterable[int],
    *,
    project_id: int | None,
    user_id: int | None = None,
    deleted: bool = False,
) -> None:
    """Journal a change to the objects `object_ids` of `typename`; call inside the write's
    transaction. `user_id` limits the entries to that one viewer."""
    ids = list(dict.fromkeys(object_ids))
    if not ids:
        return
    await _order_commits()
    await JournalEntry.bulk_create(
        [
            JournalEntry(
                typename=typename,
                object_id=object_id,
                project_id=project_id,
                user_id=user_id,
                deleted=deleted,
            )
            for object_id in ids
        ]
    )


async def note_object(obj: Model, *, deleted: bool = False) -> None:
    """Journal a change to `obj`, under the synced type it travels in when it has one.

    Changes to types phones are not sent (users, accounts, tokens) are journaled too, so the
    newest `seq` versions all the data the audit log covers.
    """
    typename = type(obj).__name__
    if typename in _PARENT_OWNED:
        typename = _PARENT_OWNED[typename]
        object_id = getattr(obj, "task_sheet_id", None)
    else:
        object_id = obj.pk
    if object_id is None:
        return
    if typename not in SYNCED_TYPES:  # not sent to phones, but still a new version of the data
        await note(typename, [object_id], project_id=None, deleted=deleted)
        return
    if typename in PERSONAL_TYPES:
        await note(typename, [object_id], project_id=None, user_id=obj.user_id, deleted=deleted)
        return
    project_id = obj.pk if typename == "Project" else getattr(obj, "project_id", None)
    await note(typename, [object_id], project_id=project_id, deleted=deleted)
    if typename != "Project" and project_id is not None:
        await _note_derived(typename, project_id)


async def _note_derived(typename: str, project_id: int) -> None:
    """Journal what a change inside a project recomputes: the project's own figures (health,
    forecast finish, next milestone, open tickets, labour alert), and for a milestone the
    forecasts of every milestone of the project, which follow one another's dates."""
    if typename == "Milestone":
        rows = await fetch("SELECT id FROM milestone WHERE project_id = :p", {"p": project_id})
        await note("Milestone", [row["id"] for row in rows], project_id=project_id)
    await note("Project", [project_id], project_id=project_id)


async def note_sight_changed(
    typename: str, object_id: int, project_id: int | None, user_ids: Iterable[int | None]
) -> None:
    """Tell each of `user_ids` that whether they see the object (and what it holds) may have
    changed: a project's site managers or a ticket's assignee changed."""
    for user_id in dict.fromkeys(u for u in user_ids if u is not None):
        await note(typename, [object_id], project_id=project_id, user_id=user_id)


async def version() -> int:
    """The newest journal `seq`, the synced data's version: the pruned horizon when every entry
    has been pruned, 0 for a journal never written."""
    rows = await fetch(
        "SELECT COALESCE(MAX(seq), (SELECT pruned_through FROM journal_horizon WHERE id = 1), 0)"
        " AS seq FROM journal_entry",
        {},
    )
    return int(rows[0]["seq"])


async def version_seen_by(user: User | None) -> int:
    """The newest journal `seq` among the entries that can change what `user` sees.

    A site manager sees their projects and what is in them, the programmes, people's names and
    their own notifications: the newest of the entries of their projects, of the entries
    addressed to them (their notifications; being given or losing a project), and of the
    entries of no project and no one (programmes, users). Every change in that world adds an
    entry newer than all of these, so the figure moves with it, and stays put through changes
    elsewhere in the zone. Everyone else sees every project: `version()`.

    Each project's newest entry is one backward step on the (project_id, seq) index.
    """
    if user is None or sees_every_project(user):
        return await version()
    rows = await fetch(
        "SELECT MAX(seq) AS seq FROM ("
        " SELECT (SELECT MAX(j.seq) FROM journal_entry j WHERE j.project_id = s.project_id)"
        " AS seq FROM project_site_manager s WHERE s.user_id = :user"
        " UNION ALL SELECT MAX(seq) FROM journal_entry WHERE user_id = :user"
        " UNION ALL SELECT MAX(seq) FROM journal_entry"
        " WHERE project_id IS NULL AND user_id IS NULL"
        " UNION ALL SELECT pruned_through FROM journal_horizon WHERE id = 1"
        ") AS parts",
        {"user": user.id},
    )
    return int(rows[0]["seq"] or 0)


async def horizon() -> int:
    """The newest `seq` pruned away: tokens at or before it can no longer be answered."""
    row = await JournalHorizon.get_or_none(id=1)
    return 0 if row is None else row.pruned_through


async def _order_commits() -> None:
    """On PostgreSQL, hold the journal's advisory lock until this transaction ends."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query("SELECT pg_advisory_xact_lock($1)", [_JOURNAL_LOCK])
