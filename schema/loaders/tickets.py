"""The tickets domain's DataLoaders."""

from __future__ import annotations

from schema.loaders import ByIdLoader
from server.domain import models


class TicketLoader(ByIdLoader):
    """Tickets by id (visibility is checked by the caller)."""

    model = models.ShortageTicket
