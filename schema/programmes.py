"""Programmes: the Programme type with its projects and statistics, and createProgramme."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import graphene
from aiodataloader import DataLoader
from graphene import ResolveInfo
from tortoise.expressions import Subquery

from schema.context import RequestContext
from schema.errors import ApiError, errors_field
from schema.loaders.programmes import ProgrammeLoader
from schema.mutations import mutation
from schema.permissions import requires
from schema.projects import (
    Health,
    check_text_lengths,
    conflict_as_error,
    fits,
    project_list_field,
    project_page,
)
from schema.relay import CountableConnection, Node
from schema.supervision import ProgrammeProgressFields
from server.domain import audit, health, models
from server.domain.access import PLANNERS, READERS, sees_every_project
from server.domain.errors import Problems
from server.domain.health import Cutoffs
from server.domain.schedule import EARLIEST_DATE, LATEST_DATE, in_calendar_year
from server.domain.stats import programme_counts


class HealthCount(graphene.ObjectType):
    """How many projects have one colour."""

    health = graphene.Field(Health, required=True, description="The colour.")
    count = graphene.Int(required=True, description="Projects of that colour.")


@dataclass
class Stats:
    """The figures of one programme, as the viewer may see them."""

    project_count: int
    overdue_milestone_count: int
    open_ticket_count: int
    health_counts: list[dict[str, Any]]
    programme_id: int  # for the progress fields of schema/supervision.py


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


class ProgrammeStatsLoader(DataLoader):
    """The stats of each programme (key: programme id), in three statements per batch."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, programme_ids: Iterable[int]) -> list[Stats]:
        programme_ids = list(programme_ids)
        user = self.context.user
        manager = None if user is None or sees_every_project(user) else user.id
        cutoffs = Cutoffs.of(self.context.today, self.context.settings)
        colours = await health.health_counts_by_programme(programme_ids, cutoffs, manager)
        counts = await programme_counts(programme_ids, self.context.today, manager)
        result = []
        for pid in programme_ids:
            by_colour = colours[pid]
            overdue, tickets = counts[pid]
            result.append(
                Stats(
                    programme_id=pid,
                    project_count=sum(by_colour.values()),
                    overdue_milestone_count=overdue,
                    open_ticket_count=tickets,
                    health_counts=[
                        {"health": colour, "count": by_colour.get(colour, 0)}
                        for colour in health.Health
                    ],
                )
            )
        return result


class Programme(graphene.ObjectType):
    """A numbered yearly programme of major projects, e.g. 1090 of 2020."""

    class Meta:
        interfaces = (Node,)

    code = graphene.String(required=True, description='"1090", "1050", "1080", "765".')
    name = graphene.String(required=True, description='e.g. "重大产业项目".')
    year = graphene.Int(required=True, description="The programme's year.")
    projects = project_list_field("The programme's projects the viewer may see.")
    stats = graphene.Field(ProgrammeStats, required=True, description="The programme's figures.")

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> models.Programme | None:
        if info.context.user is None:
            return None
        return await info.context.loaders.get(ProgrammeLoader).load(pk)

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, models.Programme)

    @staticmethod
    async def resolve_projects(
        root: models.Programme,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        filter: Any = None,
        order_by: Any = None,
    ) -> CountableConnection:
        members = models.Project.filter(programmes__id=root.id).values("id")
        base = models.Project.filter(id__in=Subquery(members))
        return await project_page(info, base, first, after, filter, order_by)

    @staticmethod
    async def resolve_stats(root: models.Programme, info: ResolveInfo) -> Stats:
        return await info.context.loaders.get(ProgrammeStatsLoader).load(root.id)


class Queries:
    """Programme queries."""

    programmes = graphene.List(
        graphene.NonNull(Programme),
        required=True,
        year=graphene.Int(description="Only this year's programmes."),
        description="The programmes, newest year first, then by code.",
    )

    @staticmethod
    @requires(READERS)
    async def resolve_programmes(
        root: Any, info: ResolveInfo, year: int | None = None
    ) -> list[models.Programme]:
        queryset = models.Programme.all()
        if year is not None:
            if not in_calendar_year(year):
                first, last = EARLIEST_DATE.year, LATEST_DATE.year
                raise ApiError("INVALID", f"year must be from {first} to {last}.")
            queryset = queryset.filter(year=year)
        return await queryset.order_by("-year", "code")


class CreateProgrammeInput(graphene.InputObjectType):
    """A new programme; code and year together are unique."""

    code = graphene.String(required=True, description='e.g. "1090".')
    name = graphene.String(required=True, description='e.g. "重大产业项目".')
    year = graphene.Int(required=True, description="The programme's year.")


class ProgrammePayload(graphene.ObjectType):
    """Result of `createProgramme`."""

    programme = graphene.Field(Programme, description="The new programme.")
    errors = errors_field()


@mutation(ProgrammePayload, CreateProgrammeInput, roles=PLANNERS, description="Create a programme.")
async def create_programme(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    problems = Problems()
    code, name = input.code.strip(), input.name.strip()
    if not code:
        problems.add("INVALID", "Must not be empty.", "input", "code")
    if not name:
        problems.add("INVALID", "Must not be empty.", "input", "name")
    check_text_lengths(models.Programme, {"code": code, "name": name}, problems, "input")
    if not 2000 <= input.year <= 2100:
        problems.add("INVALID", "The year is 2000 to 2100.", "input", "year")
    looked_up = code and fits(models.Programme, "code", code)
    if looked_up and await models.Programme.exists(code=code, year=input.year):
        problems.add("CONFLICT", "This programme exists for that year.", "input", "code")
    problems.raise_if_any()
    async with conflict_as_error(("input", "code"), "This programme exists for that year."):
        programme = await models.Programme.create(code=code, name=name, year=input.year)
    await audit.record(user, "programme.create", programme)
    return {"programme": programme}


class Mutations:
    """Programme mutations."""

    create_programme = create_programme


TYPES = (Programme,)
