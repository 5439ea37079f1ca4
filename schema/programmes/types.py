"""The programme types: Programme with its projects and its figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import graphene
from graphene import ResolveInfo

from schema.loaders.board_history import ProgrammeStatsOnDateLoader
from schema.loaders.programmes import ProgrammeLoader, ProgrammeStatsLoader
from schema.projects.history import AS_OF_DESCRIPTION, past_day
from schema.projects.pages import project_list_field, project_page
from schema.projects.types import Health
from schema.relay import CountableConnection, Node
from schema.scalars import Date
from schema.supervision.types import ProgrammeProgressFields
from server.domain.rows.plans import ProgrammeRow
from server.domain.stats import ProgrammeStats as Stats


class HealthCount(graphene.ObjectType):
    """How many projects have one colour."""

    health = graphene.Field(Health, required=True, description="The colour.")
    count = graphene.Int(required=True, description="Projects of that colour.")


class ProgrammeStats(ProgrammeProgressFields, graphene.ObjectType):
    """Figures of a programme, over the projects the viewer may see."""

    project_count = graphene.Int(required=True, description="Projects in the programme.")
    overdue_milestone_count = graphene.Int(
        required=True, description="Open milestones past their planned date."
    )
    open_ticket_count = graphene.Int(required=True, description="Shortage tickets still open.")
    health_counts = graphene.List(
        graphene.NonNull(HealthCount),
        required=True,
        description="Projects per colour, every colour listed, BLUE to RED.",
    )


class Programme(graphene.ObjectType):
    """A numbered yearly programme of major projects, e.g. 1090 of 2020."""

    class Meta:
        interfaces = (Node,)

    code = graphene.String(required=True, description='"1090", "1050", "1080", "765".')
    name = graphene.String(required=True, description='The programme\'s name, e.g. "重大产业项目".')
    year = graphene.Int(required=True, description="The programme's year.")
    projects = project_list_field("The programme's projects the viewer may see.")
    stats = graphene.Field(
        ProgrammeStats,
        required=True,
        as_of=graphene.Argument(
            Date,
            description=AS_OF_DESCRIPTION + " Only the counts and colours have a history: "
            "the progress fields (statusDate, investment, execution) stay today's.",
        ),
        description="The programme's figures.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> ProgrammeRow | None:
        if info.context.user is None:
            return None
        return await info.context.loaders.get(ProgrammeLoader).load(pk)

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, ProgrammeRow)

    @staticmethod
    async def resolve_projects(
        root: ProgrammeRow,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        filter: Any = None,
        order_by: Any = None,
    ) -> CountableConnection:
        return await project_page(info, first, after, filter, order_by, programme_id=root.id)

    @staticmethod
    async def resolve_stats(
        root: ProgrammeRow, info: ResolveInfo, as_of: dt.date | None = None
    ) -> Stats:
        day = past_day(info, as_of)
        if day is not None:
            return await info.context.loaders.get(ProgrammeStatsOnDateLoader).load((root.id, day))
        return await info.context.loaders.get(ProgrammeStatsLoader).load(root.id)
