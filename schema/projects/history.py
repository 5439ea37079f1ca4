"""The board over time in the schema: a project's colours by day and the `asOf` argument of
the board's lists and figures, answered from the daily snapshots."""

from __future__ import annotations

import datetime as dt
from typing import Any

import graphene
from graphene import ResolveInfo

from schema.errors import ApiError
from schema.loaders.board_history import HealthHistoryLoader
from schema.loaders.projects import ProjectHealthLoader
from schema.scalars import Date
from server.domain import board_history
from server.domain.health import Health as DomainHealth
from server.domain.rows.plans import ProjectRow

AS_OF_DESCRIPTION = (
    "The board as it stood at the end of this past day, from that day's snapshots; today or "
    "omitted: live. A day after today is refused (INVALID); a past day with no snapshots "
    "gives an empty board (zero counts): run `python -m server snapshot-board` to backfill it."
)


def past_day(info: ResolveInfo, as_of: dt.date | None) -> dt.date | None:
    """The past day to answer from snapshots, or None for the live board (no `asOf`, or
    today); a top-level INVALID error for a day after today."""
    if as_of is None or as_of == info.context.today:
        return None
    try:
        board_history.check_past_day(as_of, info.context.today)
    except ValueError as exc:
        raise ApiError("INVALID", f"asOf: {exc}") from None
    return as_of


class HealthOnDate(graphene.ObjectType):
    """A project's colour on one day of its history."""

    date = graphene.Field(Date, required=True, description="The day (zone calendar).")
    health = graphene.Field(
        "schema.projects.types.Health", required=True, description="The colour that day."
    )


def health_history_field() -> graphene.List:
    """`Project.healthHistory(from, to)`."""
    return graphene.List(
        graphene.NonNull(HealthOnDate),
        required=True,
        from_=graphene.Argument(Date, name="from", required=True, description="First day."),
        to=graphene.Argument(
            Date, required=True, description="Last day (days after today are not listed)."
        ),
        description="The project's colour on each day from `from` to `to`, oldest first, as "
        "the daily snapshots recorded it (written shortly after each midnight, or backfilled); "
        "today, not yet written, from the live board. A day without a snapshot is left out. "
        "At most 366 days; `to` before `from` is INVALID.",
    )


async def resolve_health_history(
    root: ProjectRow, info: ResolveInfo, from_: dt.date, to: dt.date
) -> list[HealthOnDate]:
    """The recorded colours of the range, with today's live colour when the range reaches it."""
    try:
        board_history.check_range(from_, to)
    except ValueError as exc:
        raise ApiError("INVALID", str(exc)) from None
    today = info.context.today
    if from_ > today:
        return []
    recorded = await info.context.loaders.get(HealthHistoryLoader).load(
        (root.id, from_, min(to, today - dt.timedelta(days=1)))
    )
    found = [HealthOnDate(date=day, health=colour) for day, colour in recorded]
    if to >= today:
        live: DomainHealth = await info.context.loaders.get(ProjectHealthLoader).load(root.id)
        found.append(HealthOnDate(date=today, health=live))
    return found


def project_on(row: Any, as_of: dt.date | None) -> Any:
    """A page's project row, seen on the board of `as_of` when that is a past day."""
    return row if as_of is None else board_history.ProjectOnDate.of_row(row, as_of)
