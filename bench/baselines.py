"""Bare Starlette routes: the floor each GraphQL row of the bench is measured against.

Each route answers the same JSON as its GraphQL query with the fewest SQL statements, written by
hand, and no GraphQL machinery. They run in the same uvicorn process as the service, mounted by
`bench.app` only when `WALLCHART_BENCH_BASELINES=1`. Domain rules that are pure Python (the
forecast) or an SQL expression (health) are reused, so both sides compute the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from graphql_relay import to_global_id
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.api.json_response import GraphQLJSONResponse
from server.domain.accounts import token_digest
from server.domain.clock import utc_now, zone_today
from server.domain.health import HEALTH_SQL, Cutoffs
from server.domain.models import MilestoneStatus
from server.domain.rawsql import fetch
from server.domain.schedule import Link, days_overdue, forecast_dates
from server.settings import Settings

HOME_MILESTONES = 10


# The statement the endpoint's token lookup amounts to, written out.
_LIVE_TOKEN_USER_SQL = (
    'SELECT u.id FROM auth_token t JOIN "user" u ON u.id = t.user_id'
    " WHERE t.token_hash = :digest AND t.revoked_at IS NULL AND t.expires_at > :now"
    " AND u.is_active = :active LIMIT 1"
)


def _unauthenticated() -> Response:
    return GraphQLJSONResponse({"errors": [{"message": "Sign in first."}]}, status_code=401)


async def _user_id(request: Request) -> int | None:
    """The same token lookup the endpoint makes: the same one statement."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    rows = await fetch(
        _LIVE_TOKEN_USER_SQL,
        {"digest": token_digest(token.strip()), "now": utc_now(), "active": True},
    )
    return rows[0]["id"] if rows else None


def _date(value: Any) -> str | None:
    """A date column as the Date scalar writes it (SQLite hands back text)."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class Baselines:
    """The bare routes, bound to the service's settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def me(self, request: Request) -> Response:
        """`{ me { id } }`: the token lookup and the JSON, nothing else."""
        user_id = await _user_id(request)
        if user_id is None:
            return _unauthenticated()
        return GraphQLJSONResponse({"data": {"me": {"id": to_global_id("User", str(user_id))}}})

    async def home(self, request: Request) -> Response:
        """The site manager's home screen (`bench.queries.HOME`) in three statements."""
        user_id = await _user_id(request)
        if user_id is None:
            return _unauthenticated()
        first = int(request.query_params.get("first", "20"))
        today = zone_today(self.settings.zone)
        cutoffs = Cutoffs.of(today, self.settings)
        page = (
            "SELECT p.id FROM project p JOIN project_site_manager s ON s.project_id = p.id"
            " WHERE s.user_id = :uid ORDER BY p.code LIMIT :first"
        )
        projects = await fetch(
            "SELECT p.id AS id, p.code AS code, p.name AS name, p.status AS status,"
            f" {HEALTH_SQL} AS health,"
            " (SELECT COUNT(*) FROM shortage_ticket t WHERE t.project_id = p.id"
            "  AND t.status IN (:open_statuses)) AS open_tickets"
            f" FROM project p WHERE p.id IN ({page}) ORDER BY p.code",
            {**cutoffs.params(), "uid": user_id, "first": first},
        )
        rows = await fetch(
            "SELECT m.id AS id, m.project_id AS project_id, m.title AS title,"
            " m.planned_date AS planned_date, m.actual_date AS actual_date, m.status AS status,"
            " d.predecessor_id AS predecessor_id, d.lag_days AS lag_days"
            " FROM milestone m LEFT JOIN milestone_dependency d ON d.successor_id = m.id"
            f" WHERE m.project_id IN ({page}) ORDER BY m.planned_date, m.id",
            {"uid": user_id, "first": first},
        )
        milestones: dict[int, list[SimpleNamespace]] = defaultdict(list)
        links: dict[int, list[Link]] = defaultdict(list)
        seen: set[int] = set()
        for row in rows:
            if row["id"] not in seen:
                seen.add(row["id"])
                milestones[row["project_id"]].append(
                    SimpleNamespace(
                        id=row["id"],
                        title=row["title"],
                        planned_date=_as_date(row["planned_date"]),
                        actual_date=_as_date(row["actual_date"]),
                        status=MilestoneStatus(row["status"]),
                    )
                )
            if row["predecessor_id"] is not None:
                links[row["project_id"]].append(
                    Link(row["predecessor_id"], row["id"], row["lag_days"])
                )
        edges = []
        for project in projects:
            own = milestones[project["id"]]
            forecast = forecast_dates(own, links[project["id"]], today)  # type: ignore[arg-type]
            open_ones = [m for m in own if m.status == MilestoneStatus.PENDING]
            upcoming = min(
                open_ones, key=lambda m: (forecast[m.id], m.planned_date, m.id), default=None
            )
            edges.append(
                {
                    "node": {
                        "id": to_global_id("Project", str(project["id"])),
                        "code": project["code"],
                        "name": project["name"],
                        "status": project["status"],
                        "health": project["health"],
                        "openTicketCount": int(project["open_tickets"]),
                        "nextMilestone": upcoming
                        and {
                            "id": to_global_id("Milestone", str(upcoming.id)),
                            "title": upcoming.title,
                            "plannedDate": _date(upcoming.planned_date),
                            "forecastDate": _date(forecast[upcoming.id]),
                        },
                        "milestones": {
                            "edges": [{"node": _milestone(m, today)} for m in own[:HOME_MILESTONES]]
                        },
                    }
                }
            )
        me = {"id": to_global_id("User", str(user_id)), "projects": {"edges": edges}}
        return GraphQLJSONResponse({"data": {"me": me}})

    async def board(self, request: Request) -> Response:
        """The supervisor's board (`bench.queries.BOARD`): overdue rows and the summary."""
        user_id = await _user_id(request)
        if user_id is None:
            return _unauthenticated()
        first = int(request.query_params.get("first", "50"))
        today = zone_today(self.settings.zone)
        overdue = " m.status = :pending AND m.planned_date < :today"
        rows = await fetch(
            "SELECT m.id AS id, m.title AS title, m.planned_date AS planned_date,"
            " p.id AS project_id, p.code AS code, p.name AS name, p.town AS town,"
            " p.responsible_unit AS unit FROM milestone m JOIN project p ON p.id = m.project_id"
            f" WHERE {overdue} ORDER BY m.planned_date, m.project_id, m.id LIMIT :first",
            {"pending": MilestoneStatus.PENDING.value, "today": today, "first": first},
        )
        groups = await fetch(
            "SELECT g.id AS id, g.code AS code, g.name AS name, g.year AS year,"
            " COUNT(m.id) AS overdue, COUNT(DISTINCT m.project_id) AS projects,"
            " MIN(m.planned_date) AS oldest"
            " FROM milestone m JOIN project_programme pp ON pp.project_id = m.project_id"
            " JOIN programme g ON g.id = pp.programme_id"
            f" WHERE {overdue} GROUP BY g.id, g.code, g.name, g.year",
            {"pending": MilestoneStatus.PENDING.value, "today": today},
        )
        edges = [
            {
                "node": {
                    "id": to_global_id("Milestone", str(row["id"])),
                    "title": row["title"],
                    "plannedDate": _date(row["planned_date"]),
                    "daysOverdue": (today - _as_date(row["planned_date"])).days,
                    "project": {
                        "id": to_global_id("Project", str(row["project_id"])),
                        "code": row["code"],
                        "name": row["name"],
                        "town": row["town"],
                        "responsibleUnit": row["unit"],
                    },
                }
            }
            for row in rows
        ]
        groups = sorted(
            groups, key=lambda g: (-int(g["overdue"]), _as_date(g["oldest"]), str(g["id"]))
        )
        summary = [
            {
                "key": to_global_id("Programme", str(group["id"])),
                "label": f"{group['code']} {group['name']} ({group['year']})",
                "overdueCount": int(group["overdue"]),
                "projectCount": int(group["projects"]),
                "maxDaysOverdue": (today - _as_date(group["oldest"])).days,
            }
            for group in groups
        ]
        data = {"overdueMilestones": {"edges": edges}, "overdueSummary": summary}
        return GraphQLJSONResponse({"data": data})


def _milestone(milestone: SimpleNamespace, today: dt.date) -> dict[str, Any]:
    late = days_overdue(milestone.status, milestone.planned_date, today)
    return {
        "id": to_global_id("Milestone", str(milestone.id)),
        "title": milestone.title,
        "plannedDate": _date(milestone.planned_date),
        "actualDate": _date(milestone.actual_date),
        "status": milestone.status.value,
        "isOverdue": late > 0,
        "daysOverdue": late,
    }


def routes(settings: Settings) -> list[Route]:
    """The baseline routes, under /bench/."""
    baselines = Baselines(settings)
    return [
        Route("/bench/me", baselines.me),
        Route("/bench/home", baselines.home),
        Route("/bench/board", baselines.board),
    ]
