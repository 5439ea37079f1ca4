"""The zone's labour picture from the daily reports: on-site rates and resumption (复工).

A project is expected to be working when it is UNDER_CONSTRUCTION. It counts as resumed on a
day when it is expected to work and one of its reports with workers on site falls within the
last `gap_days` days (that day included): resumption starts with the first report with
workers after a suspension or after `gap_days` without any, and ends with the next such gap.
The series gives, per group and day, the workers needed and on site and their rate (到岗率),
the projects reporting, expected and resumed, and the resumption rate (复工率 = resumed ÷
expected), all computed by the database in one statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from server.domain.models import ProjectStatus
from server.domain.overdue import NO_TOWN_LABEL
from server.domain.rawsql import fetch
from server.domain.rows import dialect

MAX_SERIES_DAYS = 366
"""Longest span one series covers."""
ZONE_LABEL = "全区"


class LabourGroupBy(StrEnum):
    """What a labour series groups projects by."""

    ZONE = "ZONE"
    PROGRAMME = "PROGRAMME"
    TOWN = "TOWN"
    RESPONSIBLE_UNIT = "RESPONSIBLE_UNIT"


@dataclass(frozen=True, slots=True)
class LabourPoint:
    """One day of a series."""

    date: dt.date
    workers_needed: int
    workers_on_site: int
    projects_reporting: int
    projects_expected: int
    projects_resumed: int

    @property
    def on_site_rate(self) -> float | None:
        """Workers on site ÷ workers needed; None when none were needed."""
        return self.workers_on_site / self.workers_needed if self.workers_needed else None

    @property
    def resumption_rate(self) -> float | None:
        """Projects resumed ÷ projects expected to work; None when none were expected."""
        return self.projects_resumed / self.projects_expected if self.projects_expected else None


@dataclass(frozen=True, slots=True)
class LabourSeries:
    """The days of one group, in date order."""

    key: str
    label: str
    points: tuple[LabourPoint, ...]


# What a project's group is, and its label, per grouping (`p` the project, `g` a programme).
_GROUPS: dict[LabourGroupBy, tuple[str, str, str]] = {
    LabourGroupBy.ZONE: ("'ZONE'", f"'{ZONE_LABEL}'", ""),
    LabourGroupBy.TOWN: (
        "coalesce(p.town, '')",
        f"CASE WHEN coalesce(p.town, '') = '' THEN '{NO_TOWN_LABEL}' ELSE p.town END",
        "",
    ),
    LabourGroupBy.RESPONSIBLE_UNIT: ("p.responsible_unit", "p.responsible_unit", ""),
    LabourGroupBy.PROGRAMME: (
        "CAST(g.id AS TEXT)",
        "g.code || ' ' || g.name || ' (' || CAST(g.year AS TEXT) || ')'",
        " JOIN project_programme pp ON pp.project_id = p.id JOIN programme g"
        " ON g.id = pp.programme_id",
    ),
}


def _days_sql(start: dt.date, end: dt.date, gap_days: int, params: dict[str, Any]) -> str:
    """A VALUES list of (day, the first day of its resumption window), with its parameters."""
    cast = "CAST({} AS DATE)" if dialect() != "sqlite" else "{}"
    rows = []
    for index in range((end - start).days + 1):
        day = start + dt.timedelta(days=index)
        params[f"day{index}"] = day
        params[f"since{index}"] = day - dt.timedelta(days=gap_days - 1)
        rows.append(f"({cast.format(f':day{index}')}, {cast.format(f':since{index}')})")
    return ", ".join(rows)


async def labour_series(
    project_ids: Sequence[int] | None,
    start: dt.date,
    end: dt.date,
    group_by: LabourGroupBy,
    gap_days: int,
) -> list[LabourSeries]:
    """The series of the projects `project_ids` (None: every project) from `start` to `end`.

    One statement. Raises ValueError for a span the series does not cover (end before start,
    or longer than MAX_SERIES_DAYS).
    """
    if end < start:
        raise ValueError("`to` is before `from`.")
    if (end - start).days + 1 > MAX_SERIES_DAYS:
        raise ValueError(f"A series covers at most {MAX_SERIES_DAYS} days.")
    if project_ids is not None and not project_ids:
        return []
    params: dict[str, Any] = {"working": ProjectStatus.UNDER_CONSTRUCTION.value}
    days = _days_sql(start, end, gap_days, params)
    key, label, join = _GROUPS[group_by]
    chosen = ""
    if project_ids is not None:
        params["ids"] = list(project_ids)
        chosen = " WHERE p.id IN (:ids)"
    rows = await fetch(
        f"""WITH days(day, since) AS (VALUES {days}),
members AS (
  SELECT p.id AS project_id, p.status AS status, {key} AS grp, {label} AS label
  FROM project p{join}{chosen}
),
groups AS (SELECT grp, min(label) AS label FROM members GROUP BY grp),
per_day AS (
  SELECT m.grp AS grp, r.date AS day, sum(r.workers_needed) AS needed,
    sum(r.workers_on_site) AS on_site, count(*) AS reporting
  FROM daily_report r JOIN members m ON m.project_id = r.project_id
  WHERE r.date IN (SELECT day FROM days)
  GROUP BY m.grp, r.date
),
resumed AS (
  SELECT m.grp AS grp, d.day AS day, count(DISTINCT r.project_id) AS resumed
  FROM days d JOIN daily_report r ON r.date >= d.since AND r.date <= d.day
  JOIN members m ON m.project_id = r.project_id
  WHERE r.workers_on_site > 0 AND m.status = :working
  GROUP BY m.grp, d.day
),
expected AS (
  SELECT grp, count(DISTINCT project_id) AS expected FROM members
  WHERE status = :working GROUP BY grp
)
SELECT g.grp AS grp, g.label AS label, d.day AS day,
  coalesce(pd.needed, 0) AS needed, coalesce(pd.on_site, 0) AS on_site,
  coalesce(pd.reporting, 0) AS reporting, coalesce(e.expected, 0) AS expected,
  coalesce(rs.resumed, 0) AS resumed
FROM groups g CROSS JOIN days d
LEFT JOIN per_day pd ON pd.grp = g.grp AND pd.day = d.day
LEFT JOIN resumed rs ON rs.grp = g.grp AND rs.day = d.day
LEFT JOIN expected e ON e.grp = g.grp
ORDER BY g.grp, d.day""",
        params,
    )
    series: dict[str, tuple[str, list[LabourPoint]]] = {}
    for row in rows:
        day = row["day"] if isinstance(row["day"], dt.date) else dt.date.fromisoformat(row["day"])
        point = LabourPoint(
            date=day,
            workers_needed=int(row["needed"]),
            workers_on_site=int(row["on_site"]),
            projects_reporting=int(row["reporting"]),
            projects_expected=int(row["expected"]),
            projects_resumed=int(row["resumed"]),
        )
        series.setdefault(str(row["grp"]), (row["label"], []))[1].append(point)
    return [
        LabourSeries(key, label, tuple(points))
        for key, (label, points) in sorted(series.items(), key=lambda item: item[1][0])
    ]


def resumed_on(
    worker_days: Sequence[dt.date], status: ProjectStatus, today: dt.date, gap_days: int
) -> dt.date | None:
    """The day a project resumed (复工): the first day with workers on site of its current
    run, when it is still working (a day with workers within the last `gap_days`); None for
    a suspended project or one that has not worked lately.

    `worker_days` are the days its reports had workers on site, in any order.
    """
    if status != ProjectStatus.UNDER_CONSTRUCTION or not worker_days:
        return None
    days = sorted(set(day for day in worker_days if day <= today))
    if not days or (today - days[-1]).days >= gap_days:
        return None
    start = days[-1]
    for earlier in reversed(days[:-1]):
        if (start - earlier).days > gap_days:
            break
        start = earlier
    return start


async def worker_days_of(project_ids: Sequence[int], since: dt.date) -> dict[int, list[dt.date]]:
    """Each project's report days with workers on site from `since` on (one statement)."""
    if not project_ids:
        return {}
    rows = await fetch(
        "SELECT r.project_id AS project_id, r.date AS day FROM daily_report r"
        " WHERE r.project_id IN (:ids) AND r.date >= :since AND r.workers_on_site > 0",
        {"ids": list(project_ids), "since": since},
    )
    found: dict[int, list[dt.date]] = {}
    for row in rows:
        day = row["day"] if isinstance(row["day"], dt.date) else dt.date.fromisoformat(row["day"])
        found.setdefault(row["project_id"], []).append(day)
    return found
