"""Shortage tickets: filing and numbering (`filing`), the one-stop workflow (`workflow`) and
reading lists of them (`reads`). Who may see which ticket is the access module's rule.

The names callers use are importable from here.
"""

from __future__ import annotations

from server.domain.tickets.filing import TicketDraft, create_ticket
from server.domain.tickets.reads import (
    TicketQuery,
    filter_tickets,
    is_overdue,
    open_ticket_counts,
    tickets_of_projects,
)
from server.domain.tickets.workflow import TicketAction, TransitionRequest, transition_ticket

__all__ = [
    "TicketAction",
    "TicketDraft",
    "TicketQuery",
    "TransitionRequest",
    "create_ticket",
    "filter_tickets",
    "is_overdue",
    "open_ticket_counts",
    "tickets_of_projects",
    "transition_ticket",
]
