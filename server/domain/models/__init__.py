"""All Tortoise models of the service, one module per domain."""

from server.domain.models.accounts import AuditEntry, AuthToken, LoginFailure, Role, User
from server.domain.models.board import BoardSnapshot
from server.domain.models.daily_reports import DailyReport, DailyReportTrade, Trade, Weather
from server.domain.models.idempotency import IdempotencyRecord
from server.domain.models.notifications import Notification
from server.domain.models.photos import Photo
from server.domain.models.plans import (
    Milestone,
    MilestoneDependency,
    MilestoneStatus,
    Phase,
    Programme,
    Project,
    ProjectStatus,
    Rebaseline,
    TaskItem,
    TaskSheet,
)
from server.domain.models.supervision import SupervisionReview
from server.domain.models.sync import JournalEntry, JournalHorizon, PersistedQuery
from server.domain.models.tickets import (
    OPEN_STATUSES,
    Severity,
    ShortageKind,
    ShortageTicket,
    TicketCounter,
    TicketEvent,
    TicketStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "AuditEntry",
    "AuthToken",
    "BoardSnapshot",
    "DailyReport",
    "DailyReportTrade",
    "IdempotencyRecord",
    "JournalEntry",
    "JournalHorizon",
    "LoginFailure",
    "Milestone",
    "MilestoneDependency",
    "MilestoneStatus",
    "Notification",
    "PersistedQuery",
    "Phase",
    "Photo",
    "Programme",
    "Project",
    "ProjectStatus",
    "Rebaseline",
    "Role",
    "Severity",
    "ShortageKind",
    "ShortageTicket",
    "SupervisionReview",
    "TaskItem",
    "TaskSheet",
    "TicketCounter",
    "TicketEvent",
    "TicketStatus",
    "Trade",
    "User",
    "Weather",
]
