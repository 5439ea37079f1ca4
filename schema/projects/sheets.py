"""The task sheet types: a project's yearly sheet (任务书), its revisions and its items."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.loaders.projects import (
    ProjectLoader,
    ProjectTaskSheetsLoader,
    TaskItemLoader,
    TaskItemsLoader,
    TaskSheetLoader,
)
from schema.relay import Node
from schema.scalars import Date, DateTime, Decimal
from server.domain.rows.plans import ProjectRow, TaskItemRow, TaskSheetRow


class TaskItem(graphene.ObjectType):
    """One line of a task sheet: a target, who answers for it, and by when."""

    class Meta:
        interfaces = (Node,)

    title = graphene.String(required=True, description="What is to be achieved.")
    responsible_unit = graphene.String(description="The unit answering for it.")
    responsible_person = graphene.String(description="The person answering for it.")
    due_date = graphene.Field(Date, description="When it is due.")
    done = graphene.Boolean(required=True, description="True once achieved.")

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> TaskItemRow | None:
        item = await info.context.loaders.get(TaskItemLoader).load(pk)
        if item is None:
            return None
        sheet = await info.context.loaders.get(TaskSheetLoader).load(item.sheet_id)
        if sheet is None or not await info.context.access.can_see_project(sheet.project_id):
            return None
        return item

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, TaskItemRow)


class TaskSheet(graphene.ObjectType):
    """One revision of a project's task sheet (任务书) for a year."""

    class Meta:
        interfaces = (Node,)

    project = graphene.Field(
        "schema.projects.types.Project", required=True, description="The project it is for."
    )
    year = graphene.Int(required=True, description="The year the sheet covers.")
    revision = graphene.Int(required=True, description="Bumped on every re-issue of the sheet.")
    scope = graphene.String(description="Construction content.")
    annual_investment_target = graphene.Field(Decimal, description="Target for the year, 万元.")
    completed_investment = graphene.Field(Decimal, description="Invested so far, 万元.")
    items = graphene.List(
        graphene.NonNull(TaskItem), required=True, description="The targets, in order."
    )
    approved_at = graphene.Field(DateTime, description="When this revision was approved.")
    revisions = graphene.List(
        graphene.NonNull(lambda: TaskSheet),
        required=True,
        description="Every revision of this project's sheet for the same year, newest first.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> TaskSheetRow | None:
        sheet = await info.context.loaders.get(TaskSheetLoader).load(pk)
        if sheet is None or not await info.context.access.can_see_project(sheet.project_id):
            return None
        return sheet

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, TaskSheetRow)

    @staticmethod
    async def resolve_project(root: TaskSheetRow, info: ResolveInfo) -> ProjectRow:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    async def resolve_items(root: TaskSheetRow, info: ResolveInfo) -> list[TaskItemRow]:
        return await info.context.loaders.get(TaskItemsLoader).load(root.id)

    @staticmethod
    async def resolve_revisions(root: TaskSheetRow, info: ResolveInfo) -> list[TaskSheetRow]:
        sheets = await info.context.loaders.get(ProjectTaskSheetsLoader).load(root.project_id)
        return [sheet for sheet in sheets if sheet.year == root.year]
