"""The overdue board: open milestones past their planned date, listed and summarised in SQL.

A milestone is overdue as of a date when it is PENDING and its planned date is before that
date; it is `as_of - planned_date` days overdue. The list is ordered most overdue first, then
by project and milestone, and paged with a keyset cursor on those three columns, so a page is
one indexed range scan however deep it is. The summary is one GROUP BY over the same filtered
set, so its counts agree with the list.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.expressions import Subquery
from tortoise.functions import Count, Min
from tortoise.queryset import QuerySet

from server.domain.access import project_scope
from server.domain.columns import column_length
from server.domain.models import Milestone, MilestoneStatus, Programme, Project, User
from server.domain.rawsql import fetch
from server.domain.rows import fetch_rows
from server.domain.rows.plans import MilestoneRow
from server.domain.schedule import (
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_DAYS_OVERDUE,
    MAX_ID,
    in_calendar,
    in_calendar_year,
)


class OverdueGroupBy(StrEnum):
    """What the overdue summary groups by."""

    PROGRAMME = "PROGRAMME"
    RESPONSIBLE_UNIT = "RESPONSIBLE_UNIT"
    TOWN = "TOWN"
    PROJECT = "PROJECT"


@dataclass(frozen=True)
class OverdueFilter:
    """Which overdue milestones to consider; None means no restriction on that field.

    Projects must be in a programme matching both `programme_codes` and `year` (the same
    programme). An empty tuple of codes or project ids matches nothing. A filter whose date,
    year, day count or text is out of range (texts: longer than their columns) is refused
    with ValueError naming the parameter.
    """

    as_of: dt.date
    programme_codes: tuple[str, ...] | None = None
    year: int | None = None
    responsible_unit: str | None = None
    town: str | None = None
    project_ids: tuple[int, ...] | None = None
    min_days_overdue: int = 0

    def __post_init__(self) -> None:
        if not in_calendar(self.as_of):
            raise ValueError(f"asOf must be from {EARLIEST_DATE} to {LATEST_DATE}.")
        if self.year is not None and not in_calendar_year(self.year):
            raise ValueError(f"year must be from {EARLIEST_DATE.year} to {LATEST_DATE.year}.")
        if self.min_days_overdue < 0:
            raise ValueError("minDaysOverdue must not be negative.")
        if self.min_days_overdue > MAX_DAYS_OVERDUE:
            raise ValueError(f"minDaysOverdue may be at most {MAX_DAYS_OVERDUE}.")
        texts = (
            ("programmeCodes", Programme, "code", self.programme_codes or ()),
            ("responsibleUnit", Project, "responsible_unit", (self.responsible_unit or "",)),
            ("town", Project, "town", (self.town or "",)),
        )
        for name, model, column, values in texts:
            limit = column_length(model, column) or 0
            if any(len(value) > limit for value in values):
                raise ValueError(f"{name} may be at most {limit} characters long.")

    @property
    def latest_planned_date(self) -> dt.date:
        """The latest planned date that is overdue by at least `min_days_overdue` (and 1)."""
        return self.as_of - dt.timedelta(days=max(self.min_days_overdue, 1))


NOT_A_CURSOR = "`after` is not a cursor this list gave out."


@dataclass(frozen=True)
class OverdueCursor:
    """The position of one row in the overdue order: after it comes the next page."""

    planned_date: dt.date
    project_id: int
    milestone_id: int

    def encode(self) -> str:
        """The opaque cursor string handed to clients."""
        raw = f"overdue:{self.planned_date.isoformat()}:{self.project_id}:{self.milestone_id}"
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def decode(cls, cursor: str) -> OverdueCursor:
        """Parse a cursor from `encode`; ValueError when it is not one, or when its date or
        ids are out of range."""
        try:
            kind, day, project_id, milestone_id = (
                base64.urlsafe_b64decode(cursor.encode("ascii")).decode().split(":")
            )
            if kind != "overdue":
                raise ValueError(kind)
            decoded = cls(dt.date.fromisoformat(day), int(project_id), int(milestone_id))
        except (binascii.Error, ValueError, UnicodeError):
            raise ValueError(NOT_A_CURSOR) from None
        if not decoded.in_range():
            raise ValueError(NOT_A_CURSOR)
        return decoded

    def in_range(self) -> bool:
        """True when the date is in the calendar and the ids fit the id columns."""
        ids_fit = all(1 <= pk <= MAX_ID for pk in (self.project_id, self.milestone_id))
        return ids_fit and in_calendar(self.planned_date)

    @classmethod
    def of(cls, milestone: MilestoneRow) -> OverdueCursor:
        """The cursor pointing at `milestone`."""
        return cls(milestone.planned_date, milestone.project_id, milestone.id)


@dataclass(frozen=True)
class OverdueGroup:
    """One line of the overdue summary."""

    key: str
    label: str
    overdue_count: int
    project_count: int
    max_days_overdue: int


def days_overdue(planned_date: dt.date, as_of: dt.date) -> int:
    """Days a PENDING milestone planned for `planned_date` is overdue on `as_of` (0 if not)."""
    return max((as_of - planned_date).days, 0)


def project_conditions(flt: OverdueFilter, user: User) -> dict[str, Any]:
    """The filter's conditions on the project (and its programmes), as Project lookups,
    limited to the projects `user` may see."""
    conditions: dict[str, Any] = {}
    if flt.programme_codes is not None:
        conditions["programmes__code__in"] = list(flt.programme_codes)
    if flt.year is not None:
        conditions["programmes__year"] = flt.year
    if flt.responsible_unit is not None:
        conditions["responsible_unit"] = flt.responsible_unit
    if flt.town is not None:
        conditions["town"] = flt.town
    conditions.update(project_scope(user).lookups())
    return conditions


def overdue_queryset(flt: OverdueFilter, user: User) -> QuerySet[Milestone]:
    """The milestones overdue under `flt` that `user` may see, unordered (one SQL query).

    Every condition on the project goes into one `project_id IN (SELECT ...)` subquery, which
    the database can hash once instead of probing per milestone.
    """
    queryset = Milestone.filter(
        status=MilestoneStatus.PENDING, planned_date__lte=flt.latest_planned_date
    )
    if flt.programme_codes == () or flt.project_ids == ():
        return queryset.filter(id__in=[])
    if flt.project_ids is not None:
        queryset = queryset.filter(project_id__in=list(flt.project_ids))
    conditions = project_conditions(flt, user)
    if conditions:
        projects = Project.filter(**conditions).values("id")
        queryset = queryset.filter(project_id__in=Subquery(projects))
    return queryset


def ordered(queryset: QuerySet[Milestone]) -> QuerySet[Milestone]:
    """`queryset` in overdue order: most overdue first, then by project and milestone."""
    return queryset.order_by("planned_date", "project_id", "id")


def overdue_sql(flt: OverdueFilter, user: User, params: dict[str, Any]) -> str:
    """`overdue_queryset` written out: the condition on milestone `m` of the milestones overdue
    under `flt` that `user` may see; its parameters are added to `params`.

    The hot list and its count run this (the query builder cost more CPU than the query);
    the summary, the exports and the board filter through `overdue_queryset`. Both renderings
    live here, and `tests/server/domain/test_overdue.py` checks they select the same rows.
    """
    params.update(pending=MilestoneStatus.PENDING.value, latest=flt.latest_planned_date)
    where = "m.status = :pending AND m.planned_date <= :latest"
    if flt.programme_codes == () or flt.project_ids == ():
        return where + " AND 1 = 0"
    if flt.project_ids is not None:
        params["project_ids"] = list(flt.project_ids)
        where += " AND m.project_id IN (:project_ids)"
    projects = []
    if flt.programme_codes is not None or flt.year is not None:
        programmes = "SELECT pp.project_id FROM project_programme pp"
        programmes += " JOIN programme g ON g.id = pp.programme_id WHERE 1 = 1"
        if flt.programme_codes is not None:
            params["programme_codes"] = list(flt.programme_codes)
            programmes += " AND g.code IN (:programme_codes)"
        if flt.year is not None:
            params["year"] = flt.year
            programmes += " AND g.year = :year"
        projects.append(f" AND p.id IN ({programmes})")
    if flt.responsible_unit is not None:
        params["responsible_unit"] = flt.responsible_unit
        projects.append(" AND p.responsible_unit = :responsible_unit")
    if flt.town is not None:
        params["town"] = flt.town
        projects.append(" AND p.town = :town")
    projects.append(project_scope(user).sql("p.id", params))
    if any(projects):
        where += f" AND m.project_id IN (SELECT p.id FROM project p WHERE 1 = 1{''.join(projects)})"
    return where


def page_sql(
    flt: OverdueFilter, user: User, limit: int, after: OverdueCursor | None = None
) -> tuple[str, dict[str, Any]]:
    """The statement of one page of overdue milestones (a keyset range in overdue order),
    selecting `limit` rows as MilestoneRow columns, with its parameters."""
    params: dict[str, Any] = {"limit": limit}
    where = overdue_sql(flt, user, params)
    if after is not None:
        params.update(
            after_day=after.planned_date,
            after_project=after.project_id,
            after_id=after.milestone_id,
        )
        where += (
            " AND m.planned_date >= :after_day AND (m.planned_date > :after_day"
            " OR (m.project_id > :after_project AND m.planned_date = :after_day)"
            " OR (m.project_id = :after_project AND m.planned_date = :after_day"
            " AND m.id > :after_id))"
        )
    sql = (
        f"SELECT {MilestoneRow.select_list('m')} FROM milestone m WHERE {where}"
        " ORDER BY m.planned_date, m.project_id, m.id LIMIT :limit"
    )
    return sql, params


def count_sql(flt: OverdueFilter, user: User) -> tuple[str, dict[str, Any]]:
    """The statement counting the milestones overdue under `flt` for `user` (column `n`)."""
    params: dict[str, Any] = {}
    return f"SELECT count(*) AS n FROM milestone m WHERE {overdue_sql(flt, user, params)}", params


async def overdue_count(flt: OverdueFilter, user: User) -> int:
    """How many milestones are overdue under `flt` for `user` (one statement, run when a
    client asks for the total)."""
    sql, params = count_sql(flt, user)
    return int((await fetch(sql, params))[0]["n"])


async def overdue_page(
    flt: OverdueFilter, user: User, limit: int, after: OverdueCursor | None = None
) -> tuple[list[MilestoneRow], bool]:
    """One page of overdue milestones, as rows, and whether more follow (one SQL statement)."""
    rows = await fetch_rows(MilestoneRow, *page_sql(flt, user, limit + 1, after))
    return rows[:limit], len(rows) > limit


_GROUP_COLUMNS: dict[OverdueGroupBy, tuple[str, ...]] = {
    OverdueGroupBy.PROGRAMME: (
        "project__programmes__id",
        "project__programmes__code",
        "project__programmes__name",
        "project__programmes__year",
    ),
    OverdueGroupBy.RESPONSIBLE_UNIT: ("project__responsible_unit",),
    OverdueGroupBy.TOWN: ("project__town",),
    OverdueGroupBy.PROJECT: ("project_id", "project__code", "project__name"),
}

NO_TOWN_LABEL = "未填镇(街)"


def _key_and_label(group_by: OverdueGroupBy, row: dict[str, Any]) -> tuple[str, str]:
    if group_by is OverdueGroupBy.PROGRAMME:
        label = f"{row['project__programmes__code']} {row['project__programmes__name']}"
        return str(row["project__programmes__id"]), f"{label} ({row['project__programmes__year']})"
    if group_by is OverdueGroupBy.RESPONSIBLE_UNIT:
        unit = row["project__responsible_unit"]
        return unit, unit
    if group_by is OverdueGroupBy.TOWN:
        town = row["project__town"]
        return (town, town) if town else ("", NO_TOWN_LABEL)
    return str(row["project_id"]), f"{row['project__code']} {row['project__name']}"


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


async def overdue_summary(
    flt: OverdueFilter, user: User, group_by: OverdueGroupBy
) -> list[OverdueGroup]:
    """Overdue milestones under `flt` per group, worst first (one SQL aggregate).

    For PROGRAMME a project counts in each programme it is in that matches the filter; for
    PROJECT the key is the project's database id. Groups are ordered by overdue count, then
    worst delay, then key.
    """
    queryset = overdue_queryset(flt, user)
    if group_by is OverdueGroupBy.PROGRAMME:
        conditions: dict[str, Any] = {"project__programmes__id__isnull": False}
        if flt.programme_codes is not None:
            conditions["project__programmes__code__in"] = list(flt.programme_codes)
        if flt.year is not None:
            conditions["project__programmes__year"] = flt.year
        queryset = queryset.filter(**conditions)
    columns = _GROUP_COLUMNS[group_by]
    rows = (
        await queryset.annotate(
            overdue_count=Count("id"),
            project_count=Count("project_id", distinct=True),
            earliest=Min("planned_date"),
        )
        .group_by(*columns)
        .values(*columns, "overdue_count", "project_count", "earliest")
    )
    groups = []
    for row in rows:
        key, label = _key_and_label(group_by, row)
        groups.append(
            OverdueGroup(
                key=key,
                label=label,
                overdue_count=row["overdue_count"],
                project_count=row["project_count"],
                max_days_overdue=days_overdue(_as_date(row["earliest"]), flt.as_of),
            )
        )
    groups.sort(key=lambda g: (-g.overdue_count, -g.max_days_overdue, g.key))
    return groups
