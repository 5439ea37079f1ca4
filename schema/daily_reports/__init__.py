"""Daily site reports (施工日报): the report type, a project's reports, and filing them."""

from __future__ import annotations

from schema.daily_reports.mutations import Mutations
from schema.daily_reports.types import DailyReport


class Queries:
    """Daily reports are read through their project (`Project.dailyReports`)."""


TYPES = (DailyReport,)

__all__ = ["TYPES", "Mutations", "Queries"]
