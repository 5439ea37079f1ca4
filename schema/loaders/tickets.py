"""The tickets domain's DataLoaders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from aiodataloader import DataLoader

from schema.context import RequestContext
from schema.loaders import ByIdLoader, ByParentLoader, ReadyLoader
from server.domain.rows.tickets import TicketEventRow, TicketRow
from server.domain.tickets import TicketQuery, open_ticket_counts, tickets_of_projects


class TicketLoader(ByIdLoader):
    """Tickets by id (visibility is checked by the caller)."""

    row = TicketRow


class TicketEventsLoader(ByParentLoader):
    """The history of each ticket (key: ticket id), oldest first."""

    row = TicketEventRow
    parent_field = "ticket_id"
    order_by = ("id",)


class ProjectTicketsLoader(DataLoader):
    """The viewer's visible tickets of each project, newest first; key (project id, query).

    One statement per distinct query, whatever the number of projects.
    """

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, keys: Iterable[tuple[int, TicketQuery]]) -> list[list[TicketRow]]:
        keys = list(keys)
        user = self.context.user
        if user is None:  # Project.tickets asks for a signed-in viewer first
            return [[] for _ in keys]
        by_query: dict[TicketQuery, set[int]] = defaultdict(set)
        for project_id, query in keys:
            by_query[query].add(project_id)
        found: dict[tuple[int, TicketQuery], list[TicketRow]] = {}
        for query, project_ids in by_query.items():
            grouped = await tickets_of_projects(user, project_ids, query, self.context.today)
            for project_id in project_ids:
                found[(project_id, query)] = grouped.get(project_id, [])
        return [found[key] for key in keys]


class OpenTicketCountLoader(ReadyLoader):
    """How many open tickets each project has (key: project id), in one statement per batch."""

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[int]:
        project_ids = list(project_ids)
        counts = await open_ticket_counts(project_ids)
        return [counts.get(p, 0) for p in project_ids]


async def visible_ticket(context: RequestContext, ticket_id: int) -> TicketRow | None:
    """The ticket if it exists and the request's viewer may see it, else None (batched)."""
    ticket = await context.loaders.get(TicketLoader).load(ticket_id)
    if ticket is None or not await context.access.can_see_ticket(ticket):
        return None
    return ticket
