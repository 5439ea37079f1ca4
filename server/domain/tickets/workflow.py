"""The one-stop workflow (受理, 转交督办, 结果评估): the design's table and the one transition.

`WORKFLOW` is the table of the design document, and `transition_ticket` is the only way a
ticket's status changes.

Every step raises the ticket's `version` by one. A client may name the version it saw
(`expected_version`): when the ticket has moved on, the step is refused CONFLICT carrying the
ticket as it now stands, never applied over a change the client has not seen. A step may
carry an idempotency key: a retry of a step that was taken returns the ticket instead of
being refused as stale by its own first success.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from server.domain import audit, idempotency, journal
from server.domain.access import TICKET_ASSIGNEES, TICKET_OFFICE, Access, access_of, acting_user
from server.domain.clock import utc_now
from server.domain.errors import VERSION_FIELD, Problems, Refused, stale_version
from server.domain.models import ShortageTicket, TicketEvent, TicketStatus, User
from server.domain.notifications import notify
from server.domain.rows.tickets import TicketRow
from server.domain.tickets.text import clean_text

TRANSITION_OPERATION = "transitionTicket"
MAX_NOTE_LENGTH = 5000


class TicketAction(StrEnum):
    """A step of the workflow, as the client names it."""

    ACCEPT = "ACCEPT"
    ASSIGN = "ASSIGN"
    START = "START"
    RESOLVE = "RESOLVE"
    CONFIRM = "CONFIRM"
    REOPEN = "REOPEN"
    REJECT = "REJECT"


class Party(StrEnum):
    """Who, relative to a ticket, may take a step: the `who` column of the workflow table."""

    OFFICE = "OFFICE"
    ASSIGNEE = "ASSIGNEE"
    REPORTER = "REPORTER"
    SITE_MANAGER = "SITE_MANAGER"


@dataclass(frozen=True)
class Rule:
    """One row of the workflow table: from which statuses, to which, and by whom."""

    sources: frozenset[TicketStatus]
    target: TicketStatus | None
    parties: frozenset[Party]
    needs_note: bool = False


def _rule(
    sources: Sequence[TicketStatus],
    target: TicketStatus | None,
    parties: Sequence[Party],
    *,
    needs_note: bool = False,
) -> Rule:
    return Rule(frozenset(sources), target, frozenset(parties), needs_note)


S = TicketStatus
WORKFLOW: dict[TicketAction, Rule] = {
    TicketAction.ACCEPT: _rule([S.OPEN], S.ACCEPTED, [Party.OFFICE]),
    TicketAction.ASSIGN: _rule([S.OPEN, S.ACCEPTED, S.ASSIGNED], S.ASSIGNED, [Party.OFFICE]),
    TicketAction.START: _rule([S.ASSIGNED], S.IN_PROGRESS, [Party.ASSIGNEE, Party.OFFICE]),
    TicketAction.RESOLVE: _rule(
        [S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS],
        S.RESOLVED,
        [Party.ASSIGNEE, Party.OFFICE],
        needs_note=True,
    ),
    TicketAction.CONFIRM: _rule([S.RESOLVED], S.CLOSED, [Party.REPORTER, Party.SITE_MANAGER]),
    # REOPEN goes back to IN_PROGRESS when someone is assigned, else to ACCEPTED.
    TicketAction.REOPEN: _rule(
        [S.RESOLVED], None, [Party.REPORTER, Party.SITE_MANAGER], needs_note=True
    ),
    TicketAction.REJECT: _rule([S.OPEN, S.ACCEPTED], S.REJECTED, [Party.OFFICE], needs_note=True),
}


@dataclass
class TransitionRequest:
    """One step asked for. Ids are decoded; 0 stands for an id that never exists.

    `expected_version` is the ticket's version the client saw (None: take the step on
    whatever version the ticket is at, as before versions were sent).
    """

    ticket_id: int
    action: TicketAction
    assignee_id: int | None = None
    note: str | None = None
    satisfaction: int | None = None
    expected_version: int | None = None


async def parties_of(access: Access, ticket: ShortageTicket) -> set[Party]:
    """What the user behind `access` is to `ticket`, for the `who` column of the table."""
    user = acting_user(access)
    found: set[Party] = set()
    if user.role in TICKET_OFFICE:
        found.add(Party.OFFICE)
    if ticket.assignee_id == user.id:
        found.add(Party.ASSIGNEE)
    if ticket.reporter_id == user.id:
        found.add(Party.REPORTER)
    if await access.manages(ticket.project_id):
        found.add(Party.SITE_MANAGER)
    return found


def target_of(action: TicketAction, ticket: ShortageTicket) -> TicketStatus:
    """The status `action` leads to from the ticket as it stands."""
    target = WORKFLOW[action].target
    if target is not None:
        return target
    return TicketStatus.IN_PROGRESS if ticket.assignee_id is not None else TicketStatus.ACCEPTED


def _invalid_transition(
    action: TicketAction, status: TicketStatus, *, just_now: bool = False
) -> Refused:
    when = "someone else just made it" if just_now else "it is"
    return Refused(
        "INVALID_TRANSITION",
        f"{action.value} is not possible: {when} {status.value}.",
        ("input", "action"),
    )


async def _check_request(request: TransitionRequest, rule: Rule) -> Problems:
    """Field checks of a transition: assignee, note and satisfaction where the table says."""
    problems = Problems()
    action = request.action
    if action == TicketAction.ASSIGN:
        if request.assignee_id is None:
            problems.add("INVALID", "ASSIGN needs an assignee.", "input", "assigneeId")
        else:
            assignee = await User.get_or_none(id=request.assignee_id)
            if assignee is None:
                problems.add("NOT_FOUND", "No such user.", "input", "assigneeId")
            elif not assignee.is_active or assignee.role not in TICKET_ASSIGNEES:
                problems.add(
                    "INVALID",
                    "Tickets go to an active coordinator or office user.",
                    "input",
                    "assigneeId",
                )
    elif request.assignee_id is not None:
        problems.add("INVALID", "Only ASSIGN takes an assignee.", "input", "assigneeId")
    note = clean_text(request.note)
    if rule.needs_note and note is None:
        problems.add("INVALID", f"{action.value} needs a note.", "input", "note")
    elif note is not None and len(note) > MAX_NOTE_LENGTH:
        problems.add("INVALID", f"At most {MAX_NOTE_LENGTH} characters.", "input", "note")
    if action == TicketAction.CONFIRM:
        if request.satisfaction is None:
            problems.add(
                "INVALID", "CONFIRM needs a satisfaction, 1 to 5.", "input", "satisfaction"
            )
        elif not 1 <= request.satisfaction <= 5:
            problems.add("INVALID", "Satisfaction is from 1 to 5.", "input", "satisfaction")
    elif request.satisfaction is not None:
        problems.add("INVALID", "Only CONFIRM takes a satisfaction.", "input", "satisfaction")
    return problems


async def transition_ticket(
    actor: User | Access,
    request: TransitionRequest,
    *,
    idempotency_key: str | None = None,
    key_ttl: dt.timedelta = idempotency.DEFAULT_TTL,
) -> ShortageTicket:
    """Take one step of the workflow; call inside a transaction. Raises Refused.

    A retry with an idempotency key `actor` used within `key_ttl` for the same request returns
    the ticket as it now stands, even when it has moved on since (checked before the version).
    With `request.expected_version` other than the ticket's version, the step is refused
    CONFLICT carrying the ticket (`Refused.current`, a TicketRow).

    The change is a conditional UPDATE on the version the checks were made against, so of two
    people acting at once exactly one wins; the other gets CONFLICT (with the ticket) when it
    named a version or the step is still possible, INVALID_TRANSITION when it is no longer
    possible.
    """
    access = access_of(actor)
    user = acting_user(access)
    if (problem := idempotency.key_problem(idempotency_key)) is not None:
        raise Refused("INVALID", problem, idempotency.KEY_FIELD)
    expected = request.expected_version
    if expected is not None and expected < 0:
        raise Refused("INVALID", "A version is 0 or more.", VERSION_FIELD)
    key_use = idempotency.KeyUse.of(
        user, TRANSITION_OPERATION, idempotency_key, dataclasses.asdict(request), key_ttl
    )
    if (again := await _replayed(access, key_use)) is not None:
        return again
    ticket = await ShortageTicket.get_or_none(id=request.ticket_id)
    if ticket is None or not await access.can_see_ticket(ticket):
        raise Refused("NOT_FOUND", "No such ticket.", ("input", "ticketId"))
    if expected is not None and expected != ticket.version:
        raise stale_version("ticket", expected, ticket.version, TicketRow.of(ticket))
    rule = WORKFLOW[request.action]
    if ticket.status not in rule.sources:
        raise _invalid_transition(request.action, ticket.status)
    if not rule.parties & await parties_of(access, ticket):
        who = ", ".join(sorted(p.value.lower().replace("_", " ") for p in rule.parties))
        raise Refused("FORBIDDEN", f"{request.action.value} is for: {who}.", ("input", "action"))
    (await _check_request(request, rule)).raise_if_any()
    before = audit.snapshot(ticket)
    source = ticket.status
    target = target_of(request.action, ticket)
    now = utc_now()
    changes: dict[str, object] = {"status": target, "updated_at": now}
    changes["version"] = ticket.version + 1
    if request.action == TicketAction.ASSIGN:
        changes["assignee_id"] = request.assignee_id
    elif request.action == TicketAction.RESOLVE:
        changes["resolved_at"] = now
    elif request.action == TicketAction.REOPEN:
        changes["resolved_at"] = None
    elif request.action == TicketAction.CONFIRM:
        changes["closed_at"] = now
        changes["satisfaction"] = request.satisfaction
    updated = await ShortageTicket.filter(id=ticket.id, version=ticket.version).update(**changes)
    if updated != 1:
        # The first call under this key may be what won: then this retry gets its result.
        if (again := await _replayed(access, key_use)) is not None:
            return again
        current = await ShortageTicket.get(id=ticket.id)
        if expected is not None:
            raise stale_version("ticket", expected, current.version, TicketRow.of(current))
        if current.status not in rule.sources:
            raise _invalid_transition(request.action, current.status, just_now=True)
        raise Refused(
            "CONFLICT",
            "Someone changed the ticket at the same moment: reload it and try again.",
            ("input", "ticketId"),
            current=TicketRow.of(current),
        )
    await TicketEvent.create(
        ticket_id=ticket.id,
        actor=user,
        action=request.action.value,
        from_status=source,
        to_status=target,
        note=clean_text(request.note),
    )
    if request.action == TicketAction.ASSIGN:
        parties = (ticket.assignee_id, request.assignee_id)
        await journal.note_sight_changed("ShortageTicket", ticket.id, ticket.project_id, parties)
    await idempotency.remember_result_or_refuse(
        key_use, ticket.id, "The same step is being taken already: retry to get the ticket."
    )
    ticket = await ShortageTicket.get(id=ticket.id)
    await _tell_parties(user, ticket, request.action, source)
    await audit.record(user, TRANSITION_OPERATION, ticket, before=before)
    return ticket


async def _replayed(access: Access, key_use: idempotency.KeyUse | None) -> ShortageTicket | None:
    """The ticket an earlier step under the key was taken on, as it now stands, if visible."""
    earlier = await idempotency.previous_result(key_use)
    if earlier is None:
        return None
    again = await ShortageTicket.get_or_none(id=earlier)
    if again is None or not await access.can_see_ticket(again):
        return None
    return again


async def _tell_parties(
    actor: User, ticket: ShortageTicket, action: TicketAction, source: TicketStatus
) -> None:
    """The reporter hears of every step, the assignee of an assignment; never the actor."""
    if ticket.reporter_id != actor.id:
        await notify(
            [ticket.reporter_id],
            "TICKET_TRANSITION",
            f"{ticket.number} {ticket.title}: {action.value}, {source.value} → "
            f"{ticket.status.value}.",
            ticket=ticket,
        )
    if action == TicketAction.ASSIGN and ticket.assignee_id not in (actor.id, None):
        await notify(
            [ticket.assignee_id],
            "TICKET_ASSIGNED",
            f"{ticket.number} {ticket.title} is assigned to you.",
            ticket=ticket,
        )
