"""The board over time: `boardChanges(from, to, filter)`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import graphene
from graphene import ResolveInfo

from schema.board.types import BoardChanges
from schema.errors import ApiError
from schema.permissions import requires, viewer
from schema.projects.pages import decoded_filter
from schema.projects.types import ProjectFilter
from schema.scalars import Date
from server.domain import board_changes, project_lists
from server.domain.access import READERS, project_scope
from server.domain.errors import Refused
from server.domain.health import Cutoffs


class Queries:
    """Queries of the board over time."""

    board_changes = graphene.Field(
        BoardChanges,
        required=True,
        from_=graphene.Argument(
            Date, name="from", required=True, description="First day (the zone's calendar)."
        ),
        to=graphene.Argument(
            Date,
            required=True,
            description=f"Last day, included; at most {board_changes.MAX_SPAN_DAYS} days "
            "after `from`.",
        ),
        filter=graphene.Argument(
            ProjectFilter, description="Which projects to consider (colours as of today)."
        ),
        description="What changed on the board from `from` to `to`, grouped for the weekly "
        "meeting: colours, milestones newly overdue, completed or re-baselined, tickets "
        "opened, closed or reopened, supervision instructions issued and answered. Only what "
        "the viewer may see (coordinators: the tickets handed to them).",
    )

    @staticmethod
    @requires(READERS)
    async def resolve_board_changes(
        root: Any, info: ResolveInfo, from_: dt.date, to: dt.date, filter: Any = None
    ) -> board_changes.BoardChanges:
        user = viewer(info)
        settings = info.context.settings
        flt = decoded_filter(filter, settings.max_search_length)
        projects = None
        if flt is not None:
            cutoffs = Cutoffs.of(info.context.today, settings)
            projects = await project_lists.project_list(project_scope(user), cutoffs, flt)
        try:
            return await board_changes.board_changes(user, from_, to, settings.zone, projects)
        except Refused as exc:
            raise ApiError(exc.code, exc.message) from None


class Mutations:
    """The board over time changes nothing through the API (snapshots are written daily)."""
