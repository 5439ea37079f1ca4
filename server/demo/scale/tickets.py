"""The scale seed's shortage tickets: two to eight per started project, each with the events
of the workflow steps that brought it to its status."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from server.demo.scale.tables import Table, model_table
from server.demo.scale.vocabulary import MATERIALS, TRADES
from server.demo.scale.zone import Zone
from server.domain import models

TICKET_PATHS: dict[models.TicketStatus, tuple[models.TicketStatus, ...]] = {
    models.TicketStatus.OPEN: (),
    models.TicketStatus.ACCEPTED: (models.TicketStatus.ACCEPTED,),
    models.TicketStatus.ASSIGNED: (models.TicketStatus.ACCEPTED, models.TicketStatus.ASSIGNED),
    models.TicketStatus.IN_PROGRESS: (
        models.TicketStatus.ACCEPTED,
        models.TicketStatus.ASSIGNED,
        models.TicketStatus.IN_PROGRESS,
    ),
    models.TicketStatus.RESOLVED: (
        models.TicketStatus.ACCEPTED,
        models.TicketStatus.ASSIGNED,
        models.TicketStatus.IN_PROGRESS,
        models.TicketStatus.RESOLVED,
    ),
    models.TicketStatus.CLOSED: (
        models.TicketStatus.ACCEPTED,
        models.TicketStatus.ASSIGNED,
        models.TicketStatus.IN_PROGRESS,
        models.TicketStatus.RESOLVED,
        models.TicketStatus.CLOSED,
    ),
    models.TicketStatus.REJECTED: (models.TicketStatus.REJECTED,),
}
"""The workflow steps that take a new ticket to each status."""
EVENT_ACTIONS = {
    models.TicketStatus.ACCEPTED: "ACCEPT",
    models.TicketStatus.ASSIGNED: "ASSIGN",
    models.TicketStatus.IN_PROGRESS: "START",
    models.TicketStatus.RESOLVED: "RESOLVE",
    models.TicketStatus.CLOSED: "CONFIRM",
    models.TicketStatus.REJECTED: "REJECT",
}
"""The event action of the step to each status."""
TICKET_STATUS_WEIGHTS = (
    (models.TicketStatus.OPEN, 6),
    (models.TicketStatus.ACCEPTED, 4),
    (models.TicketStatus.ASSIGNED, 5),
    (models.TicketStatus.IN_PROGRESS, 5),
    (models.TicketStatus.RESOLVED, 10),
    (models.TicketStatus.CLOSED, 60),
    (models.TicketStatus.REJECTED, 10),
)
BUSY_SITE_MANAGER = "site_busy"
"""Weights of the ticket statuses: most tickets are finished, a fifth are still open."""


def add_tickets(zone: Zone) -> None:
    """Every project's tickets and their events (ids follow the tickets' order)."""
    rng = zone.rng
    tickets = zone.add(
        model_table(
            models.ShortageTicket,
            "id",
            "number",
            "project_id",
            "kind",
            "title",
            "description",
            "severity",
            "trade",
            "headcount",
            "material",
            "specification",
            "quantity",
            "unit",
            "needed_by",
            "blocking_milestone_id",
            "status",
            "reporter_id",
            "assignee_id",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
            "satisfaction",
        )
    )
    events = zone.add(
        model_table(
            models.TicketEvent,
            "id",
            "ticket_id",
            "at",
            "actor_id",
            "action",
            "from_status",
            "to_status",
            "note",
        )
    )
    statuses = [status for status, _ in TICKET_STATUS_WEIGHTS]
    weights = [weight for _, weight in TICKET_STATUS_WEIGHTS]
    severities = list(models.Severity)
    numbers: dict[tuple[str, int], int] = {}
    for pk, (start, _, project_status) in zone.project_spans.items():
        if project_status == models.ProjectStatus.PLANNED:
            count = rng.randint(0, 2)
        else:
            count = rng.randint(2, 8)
        for _ in range(count):
            ticket_id = len(tickets.rows) + 1
            status = rng.choices(statuses, weights)[0]
            kind = rng.choice((models.ShortageKind.LABOUR, models.ShortageKind.MATERIAL))
            latest = max(start, min(zone.today, start + dt.timedelta(days=400)))
            filed_on = start + dt.timedelta(days=rng.randint(0, (latest - start).days))
            created = zone.instant(filed_on)
            prefix = "LAB" if kind == models.ShortageKind.LABOUR else "MAT"
            key = (prefix, filed_on.year)
            sequence = numbers[key] = numbers.get(key, 0) + 1
            reporter = rng.choice(zone.managers_of[pk])
            path = TICKET_PATHS[status]
            assignee = (
                rng.choice(zone.coordinators) if models.TicketStatus.ASSIGNED in path else None
            )
            at, resolved_at, closed_at = _events(
                zone, events, ticket_id, (created, reporter, assignee), path
            )
            milestone_ids = zone.milestones_of[pk]
            blocking = rng.choice(milestone_ids) if rng.random() < 0.3 else None
            title, shortage = _shortage(rng, kind)
            tickets.rows.append(
                (
                    ticket_id,
                    f"{prefix}-{filed_on.year}-{sequence:05d}",
                    pk,
                    kind.value,
                    title,
                    "现场急需，影响施工进度。",
                    rng.choices(severities, (30, 40, 20, 10))[0].value,
                    *shortage,
                    filed_on + dt.timedelta(days=rng.randint(3, 30)),
                    blocking,
                    status.value,
                    reporter,
                    assignee,
                    created,
                    at,
                    resolved_at,
                    closed_at,
                    rng.randint(3, 5) if status == models.TicketStatus.CLOSED else None,
                )
            )
    events.rows = [(i, *row[1:]) for i, row in enumerate(events.rows, start=1)]


def _events(
    zone: Zone,
    events: Table,
    ticket_id: int,
    filing: tuple[dt.datetime, int, int | None],
    path: tuple[models.TicketStatus, ...],
) -> tuple[dt.datetime, dt.datetime | None, dt.datetime | None]:
    """The ticket's events from its filing (when, reporter, assignee) along `path`.

    Returns when the last step was taken, and when the ticket was resolved and closed.
    """
    rng = zone.rng
    at, reporter, assignee = filing
    events.rows.append(
        (0, ticket_id, at, reporter, "CREATE", None, models.TicketStatus.OPEN.value, None)
    )
    previous = models.TicketStatus.OPEN
    resolved_at = closed_at = None
    for step in path:
        at = at + dt.timedelta(hours=rng.randint(2, 96))
        if step in (models.TicketStatus.IN_PROGRESS, models.TicketStatus.RESOLVED):
            actor = assignee or rng.choice(zone.office)
        elif step == models.TicketStatus.CLOSED:
            actor = reporter
        else:
            actor = rng.choice(zone.office)
        if step == models.TicketStatus.RESOLVED:
            resolved_at = at
        if step == models.TicketStatus.CLOSED:
            closed_at = at
        note = "已协调解决" if step == models.TicketStatus.RESOLVED else None
        events.rows.append(
            (0, ticket_id, at, actor, EVENT_ACTIONS[step], previous.value, step.value, note)
        )
        previous = step
    return at, resolved_at, closed_at


def _shortage(rng: random.Random, kind: models.ShortageKind) -> tuple[str, tuple[Any, ...]]:
    """A ticket's title and its trade, headcount, material, specification, quantity, unit."""
    if kind == models.ShortageKind.LABOUR:
        trade, headcount = rng.choice(TRADES), rng.randint(5, 80)
        return f"缺{trade}{headcount}人", (trade, headcount, None, None, None, None)
    material, specification, unit = rng.choice(MATERIALS)
    quantity = Decimal(rng.randint(1_000, 2_000_000)) / 1000
    return f"缺{material}{quantity}{unit}", (None, None, material, specification, quantity, unit)
