"""Shortage tickets: filing, numbering, the one-stop workflow and who may see what.

The workflow is the zone's one-stop service (受理, 转交督办, 结果评估); `WORKFLOW` is the table
of the design document, and `transition_ticket` is the only way a ticket's status changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Subquery
from tortoise.queryset import QuerySet

from server.domain import audit, idempotency, photos
from server.domain.access import Access
from server.domain.clock import utc_now
from server.domain.models import (
    OPEN_STATUSES,
    Milestone,
    Photo,
    Project,
    Role,
    Severity,
    ShortageKind,
    ShortageTicket,
    TicketCounter,
    TicketEvent,
    TicketStatus,
    User,
)
from server.domain.notifications import notify
from server.domain.rawsql import fetch

CREATE_OPERATION = "createShortageTicket"
NUMBER_PREFIX = {ShortageKind.LABOUR: "LAB", ShortageKind.MATERIAL: "MAT"}
MAX_QUANTITY = decimal.Decimal("99999999999.999")
QUANTITY_PLACES = 3
QUANTUM = decimal.Decimal("0.001")


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
ASSIGNABLE_ROLES = frozenset({Role.COORDINATOR, Role.OFFICE})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, at the input path `field` (camelCase names)."""

    code: str
    message: str
    field: tuple[str, ...] | None = None


class TicketRefused(Exception):
    """A create or transition was refused; nothing was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)


def _input(*path: str) -> tuple[str, ...]:
    return ("input", *path)


# --- Visibility -------------------------------------------------------------------------------


def visible_tickets(user: User) -> QuerySet[ShortageTicket]:
    """The tickets `user` may see.

    Site managers see their projects' tickets, coordinators the tickets assigned to them,
    OFFICE, SUPERVISOR and ADMIN all of them.
    """
    if user.role == Role.SITE_MANAGER:
        managed = Project.filter(site_managers__id=user.id).values("id")
        return ShortageTicket.filter(project_id__in=Subquery(managed))
    if user.role == Role.COORDINATOR:
        return ShortageTicket.filter(assignee_id=user.id)
    return ShortageTicket.all()


async def can_see_ticket(user: User | None, ticket: ShortageTicket) -> bool:
    """True when `user` may see `ticket`."""
    if user is None:
        return False
    if user.role == Role.COORDINATOR:
        return ticket.assignee_id == user.id
    return await Access(user).can_see_project(ticket.project_id)


def is_overdue(ticket: ShortageTicket, today: dt.date) -> bool:
    """Not resolved, closed or rejected, and needed before today."""
    return (
        ticket.status in OPEN_STATUSES and ticket.needed_by is not None and ticket.needed_by < today
    )


@dataclass(frozen=True)
class TicketQuery:
    """The conditions of a ticket list (TicketFilter); None or False means any."""

    kind: ShortageKind | None = None
    statuses: tuple[TicketStatus, ...] | None = None
    severities: tuple[Severity, ...] | None = None
    project_ids: tuple[int, ...] | None = None
    assigned_to_me: bool = False
    overdue_only: bool = False


def filter_tickets(
    tickets: QuerySet[ShortageTicket], query: TicketQuery, user: User, today: dt.date
) -> QuerySet[ShortageTicket]:
    """`tickets` narrowed by `query`, newest first."""
    if query.kind is not None:
        tickets = tickets.filter(kind=query.kind)
    if query.statuses is not None:
        tickets = tickets.filter(status__in=list(query.statuses))
    if query.severities is not None:
        tickets = tickets.filter(severity__in=list(query.severities))
    if query.project_ids is not None:
        tickets = tickets.filter(project_id__in=list(query.project_ids))
    if query.assigned_to_me:
        tickets = tickets.filter(assignee_id=user.id)
    if query.overdue_only:
        tickets = tickets.filter(status__in=list(OPEN_STATUSES), needed_by__lt=today)
    return tickets.order_by("-created_at", "-id")


async def open_ticket_counts(project_ids: Sequence[int]) -> dict[int, int]:
    """How many open (not yet resolved or rejected) tickets each project has, in one query."""
    if not project_ids:
        return {}
    rows = await fetch(
        "SELECT project_id, COUNT(*) AS open_count FROM shortage_ticket"
        " WHERE project_id IN (:project_ids) AND status IN (:open_statuses) GROUP BY project_id",
        {"project_ids": list(project_ids), "open_statuses": [s.value for s in OPEN_STATUSES]},
    )
    return {row["project_id"]: int(row["open_count"]) for row in rows}


# --- Filing -----------------------------------------------------------------------------------


@dataclass
class TicketDraft:
    """What a reporter files. Ids are already decoded; 0 stands for an id that never exists
    (in `photo_ids`, None stands for one that is malformed)."""

    project_id: int
    kind: ShortageKind
    title: str
    description: str | None = None
    severity: Severity = Severity.MEDIUM
    trade: str | None = None
    headcount: int | None = None
    material: str | None = None
    specification: str | None = None
    quantity: decimal.Decimal | None = None
    unit: str | None = None
    needed_by: dt.date | None = None
    blocking_milestone_id: int | None = None
    photo_ids: list[int | None] = field(default_factory=list)


_TEXT_LIMITS = {
    "title": 256,
    "trade": 64,
    "material": 128,
    "specification": 256,
    "unit": 16,
    "description": 5000,
}
MAX_NOTE_LENGTH = 5000
_KIND_FIELDS = {
    ShortageKind.LABOUR: (("trade", "headcount"), ("trade", "headcount")),
    ShortageKind.MATERIAL: (
        ("material", "specification", "quantity", "unit"),
        ("material", "quantity", "unit"),
    ),
}


def _clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _check_fields(draft: TicketDraft, problems: list[Problem]) -> None:
    """Field-by-field checks of a draft that need no database."""
    for name, limit in _TEXT_LIMITS.items():
        value = _clean_text(getattr(draft, name))
        setattr(draft, name, value)
        if value is not None and len(value) > limit:
            problems.append(Problem("INVALID", f"At most {limit} characters.", _input(name)))
    if draft.title is None:
        problems.append(Problem("INVALID", "A title is required.", _input("title")))
    allowed, required = _KIND_FIELDS[draft.kind]
    for other_kind, (other_fields, _) in _KIND_FIELDS.items():
        if other_kind == draft.kind:
            continue
        for name in other_fields:
            if name not in allowed and getattr(draft, name) is not None:
                problems.append(
                    Problem(
                        "INVALID",
                        f"`{name}` belongs to {other_kind.value} tickets, not {draft.kind.value}.",
                        _input(name),
                    )
                )
    for name in required:
        if getattr(draft, name) is None:
            problems.append(
                Problem("INVALID", f"{draft.kind.value} tickets need `{name}`.", _input(name))
            )
    if draft.headcount is not None and draft.headcount <= 0:
        problems.append(Problem("INVALID", "The headcount must be positive.", _input("headcount")))
    if draft.quantity is not None:
        quantity = draft.quantity
        if not quantity.is_finite() or quantity <= 0:
            problems.append(
                Problem("INVALID", "The quantity must be positive.", _input("quantity"))
            )
        elif quantity > MAX_QUANTITY or quantity != quantity.quantize(QUANTUM):
            problems.append(
                Problem(
                    "INVALID",
                    f"At most {QUANTITY_PLACES} decimal places and below {MAX_QUANTITY}.",
                    _input("quantity"),
                )
            )


async def _check_links(actor: User, draft: TicketDraft, problems: list[Problem]) -> list[Photo]:
    """Checks of the objects a draft points to: the project, blocking milestone and photos.

    Returns the photos to link: photos of the project not yet linked to another ticket.
    """
    project = await Project.get_or_none(id=draft.project_id)
    if project is None or not await Access(actor).can_see_project(project.id):
        problems.append(Problem("NOT_FOUND", "No such project.", _input("projectId")))
        return []
    linked, refused = await photos.photos_of_project(draft.photo_ids, project.id)
    for photo in linked:
        if photo.ticket_id is not None:
            refused.append((draft.photo_ids.index(photo.id), "The photo shows another ticket."))
    for position, reason in sorted(refused):
        problems.append(Problem("INVALID", reason, _input("photoIds", str(position))))
    if draft.blocking_milestone_id is not None and not await Milestone.exists(
        id=draft.blocking_milestone_id, project_id=project.id
    ):
        # One of another project answers exactly like one that does not exist.
        problems.append(
            Problem(
                "NOT_FOUND", "No such milestone of this project.", _input("blockingMilestoneId")
            )
        )
    return linked


async def allocate_number(kind: ShortageKind, year: int) -> str:
    """The next ticket number of `kind` in `year`; call inside the creating transaction.

    The counter row is created if missing (a conflicting insert is ignored), then bumped with a
    single UPDATE, which holds the row lock until the transaction ends: concurrent filers wait
    for each other, and a rolled-back filing gives its number back, so there are no gaps.
    """
    await TicketCounter.bulk_create(
        [TicketCounter(kind=kind, year=year, last_number=0)], ignore_conflicts=True
    )
    await TicketCounter.filter(kind=kind, year=year).update(last_number=F("last_number") + 1)
    counter = await TicketCounter.get(kind=kind, year=year)
    return f"{NUMBER_PREFIX[kind]}-{year}-{counter.last_number:04d}"


async def create_ticket(
    actor: User,
    draft: TicketDraft,
    *,
    today: dt.date,
    idempotency_key: str | None = None,
    key_ttl: dt.timedelta = idempotency.DEFAULT_TTL,
) -> ShortageTicket:
    """File a ticket for `actor`; call inside a transaction. Raises TicketRefused.

    A retry with an idempotency key `actor` used within `key_ttl` for the same draft returns
    the first ticket; the key used for another draft is a CONFLICT.
    """
    if (problem := idempotency.key_problem(idempotency_key)) is not None:
        raise TicketRefused([Problem("INVALID", problem, _input("idempotencyKey"))])
    key_use = idempotency.KeyUse.of(
        actor, CREATE_OPERATION, idempotency_key, dataclasses.asdict(draft), key_ttl
    )
    try:
        earlier = await idempotency.previous_result(key_use)
    except idempotency.KeyReused as exc:
        raise TicketRefused([Problem("CONFLICT", exc.message, _input("idempotencyKey"))]) from None
    if earlier is not None:
        ticket = await ShortageTicket.get_or_none(id=earlier)
        if ticket is not None:
            return ticket
    problems: list[Problem] = []
    _check_fields(draft, problems)
    linked = await _check_links(actor, draft, problems)
    if problems:
        raise TicketRefused(problems)
    ticket = await ShortageTicket.create(
        number=await allocate_number(draft.kind, today.year),
        project_id=draft.project_id,
        kind=draft.kind,
        title=draft.title,
        description=draft.description,
        severity=draft.severity,
        trade=draft.trade,
        headcount=draft.headcount,
        material=draft.material,
        specification=draft.specification,
        quantity=draft.quantity,
        unit=draft.unit,
        needed_by=draft.needed_by,
        blocking_milestone_id=draft.blocking_milestone_id,
        reporter=actor,
    )
    await TicketEvent.create(
        ticket=ticket, actor=actor, action="CREATE", from_status=None, to_status=ticket.status
    )
    if linked:
        await Photo.filter(id__in=[photo.id for photo in linked]).update(ticket_id=ticket.id)
    try:
        await idempotency.remember_result(key_use, ticket.id)
    except IntegrityError:
        # A simultaneous first call with the same key committed first; a retry returns it.
        raise TicketRefused(
            [
                Problem(
                    "CONFLICT",
                    "The same request is being filed already: retry to get its ticket.",
                    _input("idempotencyKey"),
                )
            ]
        ) from None
    after = audit.snapshot(ticket) or {}
    after["photo_ids"] = [photo.id for photo in linked]
    await audit.record(actor, CREATE_OPERATION, ticket, after=after)
    return ticket


# --- The workflow -----------------------------------------------------------------------------


@dataclass
class TransitionRequest:
    """One step asked for. Ids are decoded; 0 stands for an id that never exists."""

    ticket_id: int
    action: TicketAction
    assignee_id: int | None = None
    note: str | None = None
    satisfaction: int | None = None


async def parties_of(user: User, ticket: ShortageTicket) -> set[Party]:
    """What `user` is to `ticket`, for the `who` column of the workflow table."""
    found: set[Party] = set()
    if user.role in (Role.OFFICE, Role.ADMIN):
        found.add(Party.OFFICE)
    if ticket.assignee_id == user.id:
        found.add(Party.ASSIGNEE)
    if ticket.reporter_id == user.id:
        found.add(Party.REPORTER)
    if (
        user.role == Role.SITE_MANAGER
        and await Project.filter(id=ticket.project_id, site_managers__id=user.id).exists()
    ):
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
) -> TicketRefused:
    when = "someone else just made it" if just_now else "it is"
    return TicketRefused(
        [
            Problem(
                "INVALID_TRANSITION",
                f"{action.value} is not possible: {when} {status.value}.",
                _input("action"),
            )
        ]
    )


async def _check_request(request: TransitionRequest, rule: Rule) -> list[Problem]:
    """Field checks of a transition: assignee, note and satisfaction where the table says."""
    problems: list[Problem] = []
    action = request.action
    if action == TicketAction.ASSIGN:
        if request.assignee_id is None:
            problems.append(Problem("INVALID", "ASSIGN needs an assignee.", _input("assigneeId")))
        else:
            assignee = await User.get_or_none(id=request.assignee_id)
            if assignee is None:
                problems.append(Problem("NOT_FOUND", "No such user.", _input("assigneeId")))
            elif not assignee.is_active or assignee.role not in ASSIGNABLE_ROLES:
                problems.append(
                    Problem(
                        "INVALID",
                        "Tickets go to an active coordinator or office user.",
                        _input("assigneeId"),
                    )
                )
    elif request.assignee_id is not None:
        problems.append(Problem("INVALID", "Only ASSIGN takes an assignee.", _input("assigneeId")))
    note = _clean_text(request.note)
    if rule.needs_note and note is None:
        problems.append(Problem("INVALID", f"{action.value} needs a note.", _input("note")))
    elif note is not None and len(note) > MAX_NOTE_LENGTH:
        problems.append(
            Problem("INVALID", f"At most {MAX_NOTE_LENGTH} characters.", _input("note"))
        )
    if action == TicketAction.CONFIRM:
        if request.satisfaction is None:
            problems.append(
                Problem("INVALID", "CONFIRM needs a satisfaction, 1 to 5.", _input("satisfaction"))
            )
        elif not 1 <= request.satisfaction <= 5:
            problems.append(
                Problem("INVALID", "Satisfaction is from 1 to 5.", _input("satisfaction"))
            )
    elif request.satisfaction is not None:
        problems.append(
            Problem("INVALID", "Only CONFIRM takes a satisfaction.", _input("satisfaction"))
        )
    return problems


async def transition_ticket(actor: User, request: TransitionRequest) -> ShortageTicket:
    """Take one step of the workflow; call inside a transaction. Raises TicketRefused.

    The change is a conditional UPDATE on the version the checks were made against, so of two
    people acting at once exactly one wins; the other gets INVALID_TRANSITION when the step is
    no longer possible, CONFLICT when it still is but the ticket changed under them.
    """
    ticket = await ShortageTicket.get_or_none(id=request.ticket_id)
    if ticket is None or not await can_see_ticket(actor, ticket):
        raise TicketRefused([Problem("NOT_FOUND", "No such ticket.", _input("ticketId"))])
    rule = WORKFLOW[request.action]
    if ticket.status not in rule.sources:
        raise _invalid_transition(request.action, ticket.status)
    if not rule.parties & await parties_of(actor, ticket):
        who = ", ".join(sorted(p.value.lower().replace("_", " ") for p in rule.parties))
        raise TicketRefused(
            [Problem("FORBIDDEN", f"{request.action.value} is for: {who}.", _input("action"))]
        )
    problems = await _check_request(request, rule)
    if problems:
        raise TicketRefused(problems)
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
        current = await ShortageTicket.get(id=ticket.id)
        if current.status not in rule.sources:
            raise _invalid_transition(request.action, current.status, just_now=True)
        raise TicketRefused(
            [
                Problem(
                    "CONFLICT",
                    "Someone changed the ticket at the same moment: reload it and try again.",
                    _input("ticketId"),
                )
            ]
        )
    note = _clean_text(request.note)
    await TicketEvent.create(
        ticket_id=ticket.id,
        actor=actor,
        action=request.action.value,
        from_status=source,
        to_status=target,
        note=note,
    )
    ticket = await ShortageTicket.get(id=ticket.id)
    await _tell_parties(actor, ticket, request.action, source)
    await audit.record(actor, "transitionTicket", ticket, before=before)
    return ticket


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
