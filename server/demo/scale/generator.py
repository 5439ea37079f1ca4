"""The scale seed's tables, built in memory, parents before children."""

from __future__ import annotations

from server.demo.scale.accounts import add_users
from server.demo.scale.daily_reports import add_daily_reports
from server.demo.scale.photos import add_photos
from server.demo.scale.plans import add_plans
from server.demo.scale.projects import add_programmes, add_projects
from server.demo.scale.supervision import add_reviews
from server.demo.scale.tables import Table
from server.demo.scale.tickets import add_tickets
from server.demo.scale.zone import Zone


class ScaleGenerator(Zone):
    """Builds the rows of a zone with `projects` projects, reproducibly from `seed`."""

    def build(self) -> list[Table]:
        """Every table's rows, parents before children."""
        add_programmes(self)
        add_users(self)
        add_projects(self)
        add_plans(self)
        add_tickets(self)
        add_reviews(self)
        add_photos(self)
        add_daily_reports(self)
        return list(self.tables.values())
