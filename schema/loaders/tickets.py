"""The tickets domain's DataLoaders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from aiodataloader import DataLoader

from schema.context import RequestContext
from schema.loaders import ByIdLoader, ByParentLoader, ReadyLoader
from server.domain import models
from server.domain.access import visible_tickets
from server.domain.tickets import TicketQuery, filter_tickets, open_ticket_counts


class TicketLoader(ByIdLoader):
    """Tickets by id (visibility is checked by the caller)."""

    model = models.ShortageTicket


class TicketEventsLoader(ByParentLoader):
    """The history of each ticket (key: ticket id), oldest first."""

    model = models.TicketEvent
    parent_field = "ticket_id"
    order_by = ("id",)


class ProjectTicketsLoader(DataLoader):
    """The viewer's visible tickets of each project, newest first; key (project id, query).

    One statement per distinct query, whatever the number of projects.
    """

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(
        self, keys: Iterable[tuple[int, TicketQuery]]
    ) -> list[list[models.ShortageTicket]]:
        keys = list(keys)
        user = self.context.user
        if user is None:  # Project.tickets asks for a signed-in viewer first
            return [[] for _ in keys]
        by_query: dict[TicketQuery, set[int]] = defaultdict(set)
        for project_id, query in keys:
            by_query[query].add(project_id)
        found: dict[tuple[int, TicketQuery], list[models.ShortageTicket]] = defaultdict(list)
        for query, project_ids in by_query.items():
            rows = filter_tickets(
                visible_tickets(user).filter(project_id__in=sorted(project_ids)),
                query,
                user,
                self.context.today,
            )
            for ticket in await rows:
                found[(ticket.project_id, query)].append(ticket)
        return [found[key] for key in keys]


class OpenTicketCountLoader(ReadyLoader):
    """How many open tickets each project has (key: project id), in one statement per batch."""

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[int]:
        project_ids = list(project_ids)
        counts = await open_ticket_counts(project_ids)
        return [counts.get(p, 0) for p in project_ids]


async def visible_ticket(context: RequestContext, ticket_id: int) -> models.ShortageTicket | None:
    """The ticket if it exists and the request's viewer may see it, else None (batched)."""
    ticket = await context.loaders.get(TicketLoader).load(ticket_id)
    if ticket is None or not await context.access.can_see_ticket(ticket):
        return None
    return ticket
