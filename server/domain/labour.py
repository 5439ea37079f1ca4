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

from graphql_relay import to_global_id

from server.domain import report_reads
from server.domain.models import (
    OPEN_STATUSES,
    Notification,
    Project,
    ProjectStatus,
    Role,
    ShortageKind,
    User,
)
from server.domain.notifications import notify
from server.domain.overdue import NO_TOWN_LABEL
from server.domain.rawsql import fetch
from server.domain.rows import dialect
from server.domain.rows.daily_reports import DailyReportRow, DailyReportTradeRow
from server.domain.schedule import EARLIEST_DATE

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


def _days_sql(start: dt.date, end: dt.date, params: dict[str, Any]) -> str:
    """A VALUES list of the days of the span, with their parameters."""
    cast = "CAST({} AS DATE)" if dialect() != "sqlite" else "{}"
    rows = []
    for index in range((end - start).days + 1):
        params[f"day{index}"] = start + dt.timedelta(days=index)
        rows.append(f"({cast.format(f':day{index}')})")
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
    days = _days_sql(start, end, params)
    # A report with workers covers its day and the `gap_days - 1` after it (until the
    # project's next such report): each covered stretch adds one resumed project from its
    # first day and takes it away after its last, and a running sum counts them per day.
    params.update(
        span_start=start,
        span_end=end,
        first_worker=start - dt.timedelta(days=gap_days - 1),
        gap=gap_days,
    )
    if dialect() == "sqlite":
        after_gap, span_start = "date(day, '+' || :gap || ' days')", ":span_start"
    else:
        after_gap, span_start = "(day + CAST(:gap AS integer))", "CAST(:span_start AS DATE)"
    key, label, join = _GROUPS[group_by]
    chosen = ""
    if project_ids is not None:
        params["ids"] = list(project_ids)
        chosen = " WHERE p.id IN (:ids)"
    rows = await fetch(
        f"""WITH days(day) AS (VALUES {days}),
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
worker AS (
  SELECT m.grp AS grp, r.date AS day,
    lead(r.date) OVER (PARTITION BY m.grp, r.project_id ORDER BY r.date) AS next_day
  FROM daily_report r JOIN members m ON m.project_id = r.project_id
  WHERE r.workers_on_site > 0 AND m.status = :working
    AND r.date >= :first_worker AND r.date <= :span_end
),
covered AS (
  SELECT grp, day, CASE WHEN next_day IS NULL OR next_day > {after_gap} THEN {after_gap}
    ELSE next_day END AS stop
  FROM worker
),
events AS (
  SELECT grp, CASE WHEN day < {span_start} THEN {span_start} ELSE day END AS day, 1 AS delta
  FROM covered
  UNION ALL
  SELECT grp, CASE WHEN stop < {span_start} THEN {span_start} ELSE stop END, -1
  FROM covered WHERE stop <= :span_end
),
changes AS (SELECT grp, day, sum(delta) AS delta FROM events GROUP BY grp, day),
resumed AS (
  SELECT g.grp AS grp, d.day AS day,
    sum(coalesce(c.delta, 0)) OVER (PARTITION BY g.grp ORDER BY d.day) AS resumed
  FROM groups g CROSS JOIN days d
  LEFT JOIN changes c ON c.grp = g.grp AND c.day = d.day
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


@dataclass(frozen=True, slots=True)
class LabourAlert:
    """A project short of workers: its on-site rate below the threshold for `days` reports
    in a row (since `since`), with no open LABOUR ticket."""

    project_id: int
    since: dt.date
    days: int
    latest: DailyReportRow
    short_trades: tuple[DailyReportTradeRow, ...]

    @property
    def on_site_rate(self) -> float:
        """The rate of the latest report of the streak."""
        return self.latest.workers_on_site / self.latest.workers_needed


# A report is low when workers were needed and fewer than `percent` of them came; a report
# that needed nobody, or reached the threshold, ends a streak.
_LOW = "{r}.workers_needed > 0 AND {r}.workers_on_site * 100 < :percent * {r}.workers_needed"
_ALERTS_SQL = f"""SELECT r.project_id AS project_id, count(*) AS days, min(r.date) AS since,
  max(r.date) AS latest
FROM daily_report r JOIN project p ON p.id = r.project_id
WHERE p.status = :working{{chosen}} AND {_LOW.format(r="r")}
  AND r.date > coalesce((SELECT max(g.date) FROM daily_report g WHERE g.project_id = r.project_id
    AND NOT ({_LOW.format(r="g")})), :epoch)
  AND NOT EXISTS (SELECT 1 FROM shortage_ticket t WHERE t.project_id = r.project_id
    AND t.kind = :labour AND t.status IN (:open_statuses))
GROUP BY r.project_id HAVING count(*) >= :days
ORDER BY min(r.date), r.project_id"""


async def labour_alerts(
    project_ids: Sequence[int] | None, percent: int, days: int
) -> list[LabourAlert]:
    """The alerts of these projects (None: every project), oldest streak first.

    A project under construction is alerted when its latest `days` or more reports in a row
    each had fewer than `percent` % of the workers needed on site, and it has no open LABOUR
    ticket. Three statements: the streaks, the streaks' latest reports, their trades.
    """
    if project_ids is not None and not project_ids:
        return []
    params: dict[str, Any] = {
        "working": ProjectStatus.UNDER_CONSTRUCTION.value,
        "percent": percent,
        "days": days,
        "epoch": EARLIEST_DATE - dt.timedelta(days=1),  # before any report
        "labour": ShortageKind.LABOUR.value,
        "open_statuses": [status.value for status in OPEN_STATUSES],
    }
    chosen = ""
    if project_ids is not None:
        params["ids"] = list(project_ids)
        chosen = " AND p.id IN (:ids)"
    streaks = await fetch(_ALERTS_SQL.format(chosen=chosen), params)
    if not streaks:
        return []
    keys = [(row["project_id"], _day(row["latest"])) for row in streaks]
    latest = await report_reads.reports_on(keys)
    trades = await report_reads.trades_of([report.id for report in latest.values()])
    alerts = []
    for row, key in zip(streaks, keys, strict=True):
        report = latest[key]
        short = tuple(t for t in trades.get(report.id, []) if t.on_site < t.needed)
        since, streak = _day(row["since"]), int(row["days"])
        alerts.append(LabourAlert(row["project_id"], since, streak, report, short))
    return alerts


def _day(value: dt.date | str) -> dt.date:
    """A date from a driver's value (text on SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


LABOUR_ALERT = "LABOUR_ALERT"
"""The kind of the office's notification that a project's alert has started."""


@dataclass(frozen=True, slots=True)
class AlertRule:
    """When a project is short of workers: below `percent` % on site for `days` reports."""

    percent: int = 70
    days: int = 3


async def notify_if_alert_started(report: DailyReportRow, rule: AlertRule) -> None:
    """Tell the office once about each labour alert of `report`'s project; call inside the
    filing transaction.

    An alert is known by the first report of its streak (the notification's subject): filing
    the report that completes a streak tells the office, whether it is the newest or a day
    filed late; amending or adding to a streak already told does not.
    """
    found = await labour_alerts([report.project_id], rule.percent, rule.days)
    if not found:
        return
    alert = found[0]
    first = (await report_reads.reports_on([(alert.project_id, alert.since)]))[
        (alert.project_id, alert.since)
    ]
    subject = to_global_id("DailyReport", str(first.id))
    if await Notification.exists(kind=LABOUR_ALERT, subject_id=subject):
        return
    code, name = (await Project.filter(id=report.project_id).values_list("code", "name"))[0]
    office = await User.filter(role=Role.OFFICE, is_active=True).values_list("id", flat=True)
    message = (
        f"{code} {name}: 到岗率 {alert.on_site_rate:.0%}, below {rule.percent}% for"
        f" {alert.days} reports in a row since {alert.since.isoformat()}."
    )
    await notify(office, LABOUR_ALERT, message, subject_id=subject)
