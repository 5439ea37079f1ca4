"""Five-colour health of a project, computed by the database with today and thresholds bound.

The rules, first match wins:

1. BLUE   the project is COMPLETED
2. RED    an open milestone more than `health_orange_max_days` overdue, or an open CRITICAL ticket
3. ORANGE an open milestone more than `health_yellow_max_days` overdue, or an open HIGH ticket
4. YELLOW an open milestone overdue at all
5. BLUE   at least one milestone, and every one done on or before its planned date
6. GREEN  otherwise: on track

`classify` states the same rules in Python for unit tests; `HEALTH_SQL` is what queries use,
so filters, counts and the `health` field agree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.expressions import RawSQL

from server.domain.access import ProjectScope
from server.domain.models import OPEN_STATUSES, MilestoneStatus, ProjectStatus, Severity
from server.domain.rawsql import PLACEHOLDER, fetch
from server.settings import Settings


class Health(StrEnum):
    """The five colours of the status board, from finished to worst."""

    BLUE = "BLUE"
    GREEN = "GREEN"
    YELLOW = "YELLOW"
    ORANGE = "ORANGE"
    RED = "RED"


@dataclass(frozen=True)
class Cutoffs:
    """Dates that separate the colours: a milestone planned before a cutoff is that late."""

    today: dt.date
    orange_before: dt.date
    red_before: dt.date

    @classmethod
    def of(cls, today: dt.date, settings: Settings) -> Cutoffs:
        """The cutoffs for `today` with the thresholds of `settings`."""
        return cls(
            today=today,
            orange_before=today - dt.timedelta(days=settings.health_yellow_max_days),
            red_before=today - dt.timedelta(days=settings.health_orange_max_days),
        )

    def params(self) -> dict[str, Any]:
        """The named parameters HEALTH_SQL needs."""
        return {
            "today": self.today,
            "orange_before": self.orange_before,
            "red_before": self.red_before,
            "open_statuses": [status.value for status in OPEN_STATUSES],
        }


def classify(
    *,
    completed: bool,
    max_days_overdue: int,
    open_ticket_severities: Iterable[Severity],
    milestone_count: int,
    all_done_on_time: bool,
    settings: Settings,
) -> Health:
    """The colour for these facts about a project (the rules of the module docstring)."""
    severities = set(open_ticket_severities)
    if completed:
        return Health.BLUE
    if max_days_overdue > settings.health_orange_max_days or Severity.CRITICAL in severities:
        return Health.RED
    if max_days_overdue > settings.health_yellow_max_days or Severity.HIGH in severities:
        return Health.ORANGE
    if max_days_overdue > 0:
        return Health.YELLOW
    if milestone_count > 0 and all_done_on_time:
        return Health.BLUE
    return Health.GREEN


def health_sql(row: str) -> str:
    """The health of the project row named `row` as SQL (parameters from Cutoffs.params)."""

    def late_milestone(before: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM milestone m WHERE m.project_id = {row}.id"
            f" AND m.status = '{MilestoneStatus.PENDING.value}' AND m.planned_date < :{before})"
        )

    def open_ticket(severity: Severity) -> str:
        return (
            f"EXISTS (SELECT 1 FROM shortage_ticket t WHERE t.project_id = {row}.id"
            f" AND t.status IN (:open_statuses) AND t.severity = '{severity.value}')"
        )

    return f"""CASE
  WHEN {row}.status = '{ProjectStatus.COMPLETED.value}' THEN '{Health.BLUE.value}'
  WHEN {late_milestone("red_before")} OR {open_ticket(Severity.CRITICAL)}
    THEN '{Health.RED.value}'
  WHEN {late_milestone("orange_before")} OR {open_ticket(Severity.HIGH)}
    THEN '{Health.ORANGE.value}'
  WHEN {late_milestone("today")} THEN '{Health.YELLOW.value}'
  WHEN EXISTS (SELECT 1 FROM milestone m WHERE m.project_id = {row}.id)
    AND NOT EXISTS (SELECT 1 FROM milestone m WHERE m.project_id = {row}.id
      AND (m.status <> '{MilestoneStatus.DONE.value}' OR m.actual_date IS NULL
           OR m.actual_date > m.planned_date))
    THEN '{Health.BLUE.value}'
  ELSE '{Health.GREEN.value}'
END"""


HEALTH_SQL = health_sql("p")
"""The health of the project row `p` as an SQL expression (parameters from Cutoffs.params)."""

WORST_FIRST = (Health.RED, Health.ORANGE, Health.YELLOW, Health.GREEN, Health.BLUE)


def _sql_literal(value: Any) -> str:
    """A cutoff date or an enum value written as an SQL literal (never client text)."""
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'"
    if isinstance(value, str) and re.fullmatch(r"[A-Z_]+", value):
        return f"'{value}'"
    raise ValueError(f"not a value the health rank writes out: {value!r}")


def health_rank(cutoffs: Cutoffs) -> RawSQL:
    """An ORM annotation: 0 for RED up to 4 for BLUE, for ordering projects worst first.

    The ORM's public RawSQL takes no parameters, so the cutoff dates and statuses (made by
    the service, never by a client) are written in as literals.
    """
    ranks = " ".join(f"WHEN '{h.value}' THEN {i}" for i, h in enumerate(WORST_FIRST))
    params = cutoffs.params()

    def literal(match: re.Match[str]) -> str:
        value = params[match.group(1)]
        if isinstance(value, list):
            return ", ".join(_sql_literal(item) for item in value)
        return _sql_literal(value)

    row = '"project"'  # the ORM's name for the project table in its queries
    template = f"CASE {health_sql(row)} {ranks} END"
    return RawSQL(PLACEHOLDER.sub(literal, template))


async def health_of(project_ids: Sequence[int], cutoffs: Cutoffs) -> dict[int, Health]:
    """The health of each of these projects, in one statement."""
    if not project_ids:
        return {}
    rows = await fetch(
        f"SELECT p.id AS id, {HEALTH_SQL} AS health FROM project p WHERE p.id IN (:ids)",
        {**cutoffs.params(), "ids": list(project_ids)},
    )
    return {row["id"]: Health(row["health"]) for row in rows}


async def ids_with_health(healths: Iterable[Health], cutoffs: Cutoffs) -> list[int]:
    """Ids of the projects whose health is one of `healths`, chosen by the database."""
    wanted = [Health(h).value for h in healths]
    if not wanted:
        return []
    rows = await fetch(
        f"SELECT p.id AS id FROM project p WHERE ({HEALTH_SQL}) IN (:wanted)",
        {**cutoffs.params(), "wanted": wanted},
    )
    return [row["id"] for row in rows]


async def health_counts_by_programme(
    programme_ids: Sequence[int], cutoffs: Cutoffs, scope: ProjectScope
) -> dict[int, dict[Health, int]]:
    """How many of the projects in `scope` of each programme have each colour, grouped by
    the database."""
    if not programme_ids:
        return {}
    params: dict[str, Any] = {**cutoffs.params(), "programmes": list(programme_ids)}
    visible = scope.sql("p.id", params)
    rows = await fetch(
        "SELECT programme_id, health, COUNT(*) AS n FROM ("
        f" SELECT pp.programme_id AS programme_id, {HEALTH_SQL} AS health"
        " FROM project p JOIN project_programme pp ON pp.project_id = p.id"
        f" WHERE pp.programme_id IN (:programmes){visible}"
        ") AS coloured GROUP BY programme_id, health",
        params,
    )
    counts: dict[int, dict[Health, int]] = {pid: {} for pid in programme_ids}
    for row in rows:
        counts[row["programme_id"]][Health(row["health"])] = int(row["n"])
    return counts
