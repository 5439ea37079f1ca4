"""Filing a shortage ticket: the draft's checks, its number, and the rows it writes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from dataclasses import dataclass, field

from tortoise.expressions import F

from server.domain import audit, idempotency, journal, photos, report_reads
from server.domain.access import Access, access_of, acting_user
from server.domain.errors import Problems, Refused
from server.domain.models import (
    Milestone,
    Photo,
    Severity,
    ShortageKind,
    ShortageTicket,
    TicketCounter,
    TicketEvent,
    User,
)
from server.domain.models.daily_reports import TRADE_LABELS
from server.domain.tickets.text import clean_text

CREATE_OPERATION = "createShortageTicket"
NUMBER_PREFIX = {ShortageKind.LABOUR: "LAB", ShortageKind.MATERIAL: "MAT"}
MAX_QUANTITY = decimal.Decimal("99999999999.999")
QUANTITY_PLACES = 3
QUANTUM = decimal.Decimal("0.001")


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
    daily_report_id: int | None = None
    """The daily report a LABOUR ticket is filed from: its short trades fill in the trade
    and headcount when they are not given."""


_TEXT_LIMITS = {
    "title": 256,
    "trade": 64,
    "material": 128,
    "specification": 256,
    "unit": 16,
    "description": 5000,
}
# Per kind: the fields it may have, and those it must have.
_KIND_FIELDS = {
    ShortageKind.LABOUR: (("trade", "headcount"), ("trade", "headcount")),
    ShortageKind.MATERIAL: (
        ("material", "specification", "quantity", "unit"),
        ("material", "quantity", "unit"),
    ),
}


def _check_fields(draft: TicketDraft, problems: Problems) -> None:
    """Field-by-field checks of a draft that need no database (its texts are cleaned)."""
    for name, limit in _TEXT_LIMITS.items():
        value = clean_text(getattr(draft, name))
        setattr(draft, name, value)
        if value is not None and len(value) > limit:
            problems.add("INVALID", f"At most {limit} characters.", "input", name)
    if draft.title is None:
        problems.add("INVALID", "A title is required.", "input", "title")
    allowed, required = _KIND_FIELDS[draft.kind]
    for other_kind, (other_fields, _) in _KIND_FIELDS.items():
        if other_kind == draft.kind:
            continue
        for name in other_fields:
            if name not in allowed and getattr(draft, name) is not None:
                message = f"`{name}` belongs to {other_kind.value} tickets, not {draft.kind.value}."
                problems.add("INVALID", message, "input", name)
    for name in required:
        if getattr(draft, name) is None:
            problems.add("INVALID", f"{draft.kind.value} tickets need `{name}`.", "input", name)
    if draft.headcount is not None and draft.headcount <= 0:
        problems.add("INVALID", "The headcount must be positive.", "input", "headcount")
    if draft.quantity is not None:
        quantity = draft.quantity
        if not quantity.is_finite() or quantity <= 0:
            problems.add("INVALID", "The quantity must be positive.", "input", "quantity")
        elif quantity > MAX_QUANTITY or quantity != quantity.quantize(QUANTUM):
            problems.add(
                "INVALID",
                f"At most {QUANTITY_PLACES} decimal places and below {MAX_QUANTITY}.",
                "input",
                "quantity",
            )


async def _check_links(access: Access, draft: TicketDraft, problems: Problems) -> list[Photo]:
    """Checks of the objects a draft points to: the project, blocking milestone and photos.

    Returns the photos to link: photos of the project not yet linked to another ticket.
    """
    try:
        project = await access.project(draft.project_id, ("input", "projectId"))
    except Refused as refused:
        problems.extend(refused.problems)
        return []
    linked, refused_photos = await photos.photos_of_project(draft.photo_ids, project.id)
    for photo in linked:
        if photo.ticket_id is not None:
            position = draft.photo_ids.index(photo.id)
            refused_photos.append((position, "The photo shows another ticket."))
    for position, reason in sorted(refused_photos):
        problems.add("INVALID", reason, "input", "photoIds", str(position))
    if draft.blocking_milestone_id is not None and not await Milestone.exists(
        id=draft.blocking_milestone_id, project_id=project.id
    ):
        # One of another project answers exactly like one that does not exist.
        problems.add(
            "NOT_FOUND", "No such milestone of this project.", "input", "blockingMilestoneId"
        )
    return linked


async def _prefill_from_report(draft: TicketDraft, problems: Problems) -> None:
    """Fill in a LABOUR draft's trade and headcount from the daily report it comes from."""
    at = ("input", "dailyReportId")
    report = await report_reads.report_row(draft.daily_report_id or 0)
    if report is None or report.project_id != draft.project_id:
        problems.add("NOT_FOUND", "No such daily report of this project.", *at)
        return
    if draft.kind != ShortageKind.LABOUR:
        problems.add("INVALID", "Only LABOUR tickets are filed from a daily report.", *at)
        return
    trades = (await report_reads.trades_of([report.id])).get(report.id, [])
    short = [t for t in trades if t.on_site < t.needed]
    if not short and (draft.trade is None or draft.headcount is None):
        message = "The report has no trade short of workers: give the trade and headcount."
        problems.add("INVALID", message, *at)
        return
    if draft.trade is None:
        draft.trade = "、".join(TRADE_LABELS[t.trade] for t in short)[: _TEXT_LIMITS["trade"]]
    if draft.headcount is None:
        draft.headcount = sum(t.needed - t.on_site for t in short)


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
    actor: User | Access,
    draft: TicketDraft,
    *,
    today: dt.date,
    idempotency_key: str | None = None,
    key_ttl: dt.timedelta = idempotency.DEFAULT_TTL,
) -> ShortageTicket:
    """File a ticket for `actor`; call inside a transaction. Raises Refused.

    A retry with an idempotency key `actor` used within `key_ttl` for the same draft returns
    the first ticket; the key used for another draft is a CONFLICT.
    """
    access = access_of(actor)
    user = acting_user(access)
    if (problem := idempotency.key_problem(idempotency_key)) is not None:
        raise Refused("INVALID", problem, idempotency.KEY_FIELD)
    key_use = idempotency.KeyUse.of(
        user, CREATE_OPERATION, idempotency_key, dataclasses.asdict(draft), key_ttl
    )
    earlier = await idempotency.previous_result(key_use)
    if earlier is not None:
        ticket = await ShortageTicket.get_or_none(id=earlier)
        if ticket is not None:
            return ticket
    problems = Problems()
    if draft.daily_report_id is not None:
        await _prefill_from_report(draft, problems)
    _check_fields(draft, problems)
    linked = await _check_links(access, draft, problems)
    problems.raise_if_any()
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
        daily_report_id=draft.daily_report_id,
        reporter=user,
    )
    await TicketEvent.create(
        ticket=ticket, actor=user, action="CREATE", from_status=None, to_status=ticket.status
    )
    if linked:
        linked_ids = [photo.id for photo in linked]
        await Photo.filter(id__in=linked_ids).update(ticket_id=ticket.id)
        await journal.note("Photo", linked_ids, project_id=ticket.project_id)
    await idempotency.remember_result_or_refuse(
        key_use, ticket.id, "The same request is being filed already: retry to get its ticket."
    )
    after = audit.snapshot(ticket) or {}
    after["photo_ids"] = [photo.id for photo in linked]
    await audit.record(user, CREATE_OPERATION, ticket, after=after)
    return ticket
