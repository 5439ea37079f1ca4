"""Projects: the Project type and its queries and mutations."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.loaders import ByIdLoader, may_see_project
from schema.relay import Node
from schema.scalars import Date, Decimal
from server import models

ProjectStatus = graphene.Enum.from_enum(
    models.ProjectStatus, description="Where a project stands as a whole."
)


class GeoPoint(graphene.ObjectType):
    """A WGS 84 position."""

    latitude = graphene.Float(required=True, description="Degrees north.")
    longitude = graphene.Float(required=True, description="Degrees east.")


class ProjectLoader(ByIdLoader):
    """Projects by id."""

    model = models.Project


class Project(graphene.ObjectType):
    """A major construction project followed on the wall chart."""

    class Meta:
        interfaces = (Node,)

    code = graphene.String(required=True, description="The project's reference code.")
    name = graphene.String(required=True, description="The project's name.")
    responsible_unit = graphene.String(required=True, description="责任单位.")
    lead_official = graphene.String(description="责任领导.")
    town = graphene.String(description="镇(街): the town or street the site is in.")
    location = graphene.Field(GeoPoint, description="Where the site is.")
    site_radius_meters = graphene.Int(description="Photos within this radius count as on site.")
    total_investment = graphene.Field(Decimal, description="Total investment, 万元.")
    status = graphene.Field(ProjectStatus, required=True, description="Overall status.")
    planned_start = graphene.Field(Date, description="Planned start of works.")
    planned_finish = graphene.Field(Date, description="Planned completion.")

    # --- Shortage tickets (issue 5): types and batched resolvers live in schema/tickets.py ---
    tickets = graphene.Field(
        "schema.tickets.ShortageTicketConnection",
        required=True,
        first=graphene.Int(),
        after=graphene.String(),
        filter=graphene.Argument("schema.tickets.TicketFilter"),
        description="The project's shortage tickets the viewer may see, newest first.",
    )
    open_ticket_count = graphene.Int(
        required=True, description="Tickets not yet resolved, closed or rejected."
    )

    @staticmethod
    async def resolve_tickets(root: models.Project, info: ResolveInfo, **args: Any) -> Any:
        from schema.tickets import project_tickets  # schema.tickets imports this module

        return await project_tickets(root, info, **args)

    @staticmethod
    async def resolve_open_ticket_count(root: models.Project, info: ResolveInfo) -> int:
        from schema.tickets import project_open_ticket_count  # schema.tickets imports this module

        return await project_open_ticket_count(root, info)

    # --- end of shortage tickets ---

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> models.Project | None:
        if not await may_see_project(info.context, pk):
            return None
        return await info.context.loaders.get(ProjectLoader).load(pk)

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, models.Project)

    @staticmethod
    def resolve_location(root: models.Project, info: ResolveInfo) -> dict[str, float] | None:
        if root.latitude is None or root.longitude is None:
            return None
        return {"latitude": root.latitude, "longitude": root.longitude}


class Queries:
    """Project queries."""


class Mutations:
    """Project mutations."""


TYPES = (Project,)
