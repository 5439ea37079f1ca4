"""Timetables and roadmaps: the Milestone and Phase types, their queries and mutations."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.loaders import ByIdLoader, may_see_project
from schema.projects import Project, ProjectLoader
from schema.relay import Node
from schema.scalars import Date
from server import models

MilestoneStatus = graphene.Enum.from_enum(
    models.MilestoneStatus, description="A milestone is open until recorded as done."
)


class MilestoneLoader(ByIdLoader):
    """Milestones by id."""

    model = models.Milestone


class Milestone(graphene.ObjectType):
    """A dated point of a project's timetable (时间表)."""

    class Meta:
        interfaces = (Node,)

    project = graphene.Field(Project, required=True, description="The project it belongs to.")
    title = graphene.String(required=True, description="What is reached.")
    baseline_date = graphene.Field(Date, required=True, description="The first approved plan.")
    planned_date = graphene.Field(Date, required=True, description="The current plan.")
    actual_date = graphene.Field(Date, description="When it was reached.")
    status = graphene.Field(MilestoneStatus, required=True, description="Open or done.")

    # Photos (issue 4): the field and its resolver live with the photo types.
    photos = graphene.Field(
        "schema.photos.PhotoConnection",
        required=True,
        first=graphene.Int(description="Page size (default 20, at most 100)."),
        after=graphene.String(description="Cursor of the item before the page."),
        description="Photos linked as proof, newest first.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> models.Milestone | None:
        milestone = await info.context.loaders.get(MilestoneLoader).load(pk)
        if milestone is None or not await may_see_project(info.context, milestone.project_id):
            return None
        return milestone

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, models.Milestone)

    @staticmethod
    async def resolve_project(root: models.Milestone, info: ResolveInfo) -> models.Project:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    async def resolve_photos(
        root: models.Milestone,
        info: ResolveInfo,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        from schema.photos import milestone_photos  # schema.photos imports this module

        return await milestone_photos(root.id, info, first, after)


class Queries:
    """Schedule queries."""


class Mutations:
    """Schedule mutations."""


TYPES = (Milestone,)
