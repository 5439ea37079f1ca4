"""Lists of projects: filtered, ordered and paged, always within the viewer's ProjectScope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from server.domain import board_history, health
from server.domain.access import ProjectScope
from server.domain.columns import column_length
from server.domain.health import Cutoffs, Health
from server.domain.models import Programme, Project, ProjectStatus
from server.domain.rows import fetch_rows
from server.domain.rows.plans import ProjectRow
from server.domain.schedule import EARLIEST_DATE, LATEST_DATE, in_calendar_year
from server.domain.validation import MAX_ITEMS, fits


class ProjectOrder(StrEnum):
    """How a list of projects is ordered."""

    CODE = "CODE"
    NAME = "NAME"
    HEALTH = "HEALTH"


@dataclass(frozen=True)
class ProjectFilter:
    """Which projects to list; None leaves a field free, and every given field must hold.

    Projects must be in a programme matching both `programme_codes` and `year`.
    """

    programme_codes: tuple[str, ...] | None = None
    year: int | None = None
    town: str | None = None
    responsible_unit: str | None = None
    health: frozenset[Health] | None = None
    status: frozenset[ProjectStatus] | None = None
    search: str | None = None

    def check(self, max_search_length: int) -> None:
        """ValueError naming the field (camelCase) and its first problem: search text over
        `max_search_length`, too many programme codes, texts longer than their columns, or
        a year out of the calendar. The database is never asked such a filter."""
        if len((self.search or "").strip()) > max_search_length:
            raise ValueError(f"search may be at most {max_search_length} characters.")
        if self.programme_codes is not None and len(self.programme_codes) > MAX_ITEMS:
            raise ValueError(f"programmeCodes may have at most {MAX_ITEMS} items.")
        texts = (
            ("programmeCodes", Programme, "code", self.programme_codes or ()),
            ("town", Project, "town", (self.town or "",)),
            ("responsibleUnit", Project, "responsible_unit", (self.responsible_unit or "",)),
        )
        for name, model, column, values in texts:
            if not all(fits(model, column, value) for value in values):
                limit = column_length(model, column)
                raise ValueError(f"{name} may be at most {limit} characters long.")
        if self.year is not None and not in_calendar_year(self.year):
            first, last = EARLIEST_DATE.year, LATEST_DATE.year
            raise ValueError(f"year must be from {first} to {last}.")


async def _filtered(
    queryset: QuerySet[Project], flt: ProjectFilter, cutoffs: Cutoffs, as_of: dt.date | None
) -> QuerySet[Project]:
    """`queryset` narrowed by a checked filter; health is decided by the database (by the
    snapshots of `as_of`, when given)."""
    if flt.programme_codes is not None or flt.year is not None:
        in_programme = Project.all()
        if flt.programme_codes is not None:
            in_programme = in_programme.filter(programmes__code__in=list(flt.programme_codes))
        if flt.year is not None:
            in_programme = in_programme.filter(programmes__year=flt.year)
        queryset = queryset.filter(id__in=Subquery(in_programme.values("id")))
    if flt.town is not None:
        queryset = queryset.filter(town=flt.town)
    if flt.responsible_unit is not None:
        queryset = queryset.filter(responsible_unit=flt.responsible_unit)
    if flt.status is not None:
        queryset = queryset.filter(status__in=set(flt.status))
    if flt.search:
        text = flt.search.strip()
        queryset = queryset.filter(Q(code__icontains=text) | Q(name__icontains=text))
    if flt.health is not None and as_of is None:
        queryset = queryset.filter(id__in=await health.ids_with_health(flt.health, cutoffs))
    return queryset


async def project_list(
    scope: ProjectScope,
    cutoffs: Cutoffs,
    flt: ProjectFilter | None = None,
    order: ProjectOrder = ProjectOrder.CODE,
    programme_id: int | None = None,
    as_of: dt.date | None = None,
) -> QuerySet[Project]:
    """The visible projects (of one programme when `programme_id` is given) that pass a
    checked filter, in `order`, as a queryset to page; colours as of `cutoffs`.

    With `as_of` (a past day), the board as it stood then: only the projects with a snapshot
    of that day, their health filtered and ordered as the snapshots recorded it.
    """
    queryset = Project.all()
    if programme_id is not None:
        members = Project.filter(programmes__id=programme_id).values("id")
        queryset = Project.filter(id__in=Subquery(members))
    queryset = scope.filter(queryset, "id")
    if flt is not None:
        queryset = await _filtered(queryset, flt, cutoffs, as_of)
    if as_of is not None:
        healths = flt.health if flt is not None else None
        queryset = queryset.filter(id__in=await board_history.ids_on_board(as_of, healths))
    if order == ProjectOrder.HEALTH:
        rank = health.health_rank(cutoffs) if as_of is None else board_history.snapshot_rank(as_of)
        queryset = queryset.annotate(health_rank=rank)
        return queryset.order_by("health_rank", "code")
    if order == ProjectOrder.NAME:
        return queryset.order_by("name", "code")
    return queryset.order_by("code")


async def managed_project_page(
    scope: ProjectScope, user_id: int, start: int, limit: int
) -> tuple[list[ProjectRow], bool, Callable[[], Awaitable[int]]]:
    """A page of the projects `user_id` runs the site of, as far as `scope` shows them, by code.

    Returns the page as rows, whether more follow, and a way to count them all (run only when
    a client asks for the total). One statement, written out: the query builder cost more than
    the query.
    """
    params: dict[str, Any] = {"user": user_id, "limit": limit + 1, "start": start}
    visible = scope.sql("p.id", params)
    rows = await fetch_rows(
        ProjectRow,
        f"SELECT {ProjectRow.select_list('p')} FROM project p"
        " JOIN project_site_manager s ON s.project_id = p.id"
        f" WHERE s.user_id = :user{visible} ORDER BY p.code, p.id LIMIT :limit OFFSET :start",
        params,
    )
    count = scope.filter(Project.filter(site_managers__id=user_id), "id").count
    return rows[:limit], len(rows) > limit, count
