"""Project mutations: create and change projects, their site managers and task sheets."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.errors import errors_field
from schema.mutations import mutation
from schema.projects.types import Project, ProjectStatus, TaskSheet, enum_value
from schema.relay import decode_id
from schema.scalars import Date, DateTime, Decimal
from server.domain import models, projects, task_sheets
from server.domain.access import PLANNERS
from server.domain.rows.plans import ProjectRow


class GeoPointInput(graphene.InputObjectType):
    """A WGS 84 position."""

    latitude = graphene.Float(required=True, description="Degrees north, -90 to 90.")
    longitude = graphene.Float(required=True, description="Degrees east, -180 to 180.")


class ProjectFields:
    """The editable fields of a project, shared by the create and update inputs."""

    programme_ids = graphene.List(
        graphene.NonNull(graphene.ID), description="The programmes it belongs to."
    )
    lead_official = graphene.String(description="责任领导.")
    town = graphene.String(description="镇(街).")
    location = graphene.InputField(GeoPointInput, description="Where the site is.")
    site_radius_meters = graphene.Int(description="Photos within this radius count as on site.")
    total_investment = graphene.InputField(
        Decimal, description="Total investment, 万元, not negative."
    )
    status = graphene.InputField(ProjectStatus, description="Overall status.")
    planned_start = graphene.InputField(Date, description="Planned start of works.")
    planned_finish = graphene.InputField(
        Date, description="Planned completion, not before the start."
    )


class CreateProjectInput(ProjectFields, graphene.InputObjectType):
    """A new project."""

    code = graphene.String(required=True, description="Unique reference code.")
    name = graphene.String(required=True, description="The project's name.")
    responsible_unit = graphene.String(required=True, description="责任单位.")
    site_manager_ids = graphene.List(
        graphene.NonNull(graphene.ID), description="Site managers who run it."
    )


class UpdateProjectInput(ProjectFields, graphene.InputObjectType):
    """Changes to a project: only the fields given are changed."""

    project_id = graphene.ID(required=True, description="The project to change.")
    code = graphene.String(description="Unique reference code.")
    name = graphene.String(description="The project's name.")
    responsible_unit = graphene.String(description="责任单位.")


class ProjectPayload(graphene.ObjectType):
    """Result of a project mutation."""

    project = graphene.Field(Project, description="The project as it now is.")
    errors = errors_field()


class SetProjectSiteManagersInput(graphene.InputObjectType):
    """The whole list of a project's site managers."""

    project_id = graphene.ID(required=True, description="The project.")
    user_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="Users with the SITE_MANAGER role; replaces the current list.",
    )


class TaskItemInput(graphene.InputObjectType):
    """One line of a task sheet."""

    title = graphene.String(required=True, description="What is to be achieved.")
    responsible_unit = graphene.String(description="The unit answering for it.")
    responsible_person = graphene.String(description="The person answering for it.")
    due_date = graphene.InputField(Date, description="When it is due.")
    done = graphene.Boolean(description="True once achieved.")


class SaveTaskSheetInput(graphene.InputObjectType):
    """A task sheet for a project and year; saving again issues the next revision."""

    project_id = graphene.ID(required=True, description="The project.")
    year = graphene.Int(required=True, description="The year the sheet covers.")
    scope = graphene.String(description="Construction content.")
    annual_investment_target = graphene.InputField(
        Decimal, description="Target for the year, 万元."
    )
    completed_investment = graphene.InputField(Decimal, description="Invested so far, 万元.")
    approved_at = graphene.InputField(DateTime, description="When it was approved.")
    items = graphene.List(graphene.NonNull(TaskItemInput), description="The targets, in order.")


class TaskSheetPayload(graphene.ObjectType):
    """Result of `saveTaskSheet`."""

    task_sheet = graphene.Field(TaskSheet, description="The revision just issued.")
    errors = errors_field()


def _ids(gids: list[str] | None, type_name: str) -> list[int | None]:
    """The pks of a list of global IDs (None for each malformed one); [] for no list."""
    return [decode_id(gid, type_name) for gid in gids or []]


def _project_values(input: Any) -> dict[str, Any]:
    """The given project fields of an input (in the input's order), as the domain takes them."""
    values = {key: input[key] for key in input if key in projects.PROJECT_FIELDS}
    if values.get("status") is not None:
        values["status"] = models.ProjectStatus(enum_value(values["status"]))
    location = values.get("location")
    if location is not None:
        values["location"] = projects.Location(location.latitude, location.longitude)
    return values


@mutation(ProjectPayload, CreateProjectInput, roles=PLANNERS, description="Create a project.")
async def create_project(info: ResolveInfo, user: models.User | None, input: Any) -> dict[str, Any]:
    project = await projects.create_project(
        user,
        _project_values(input),
        _ids(input.programme_ids, "Programme"),
        _ids(input.site_manager_ids, "User"),
    )
    return {"project": ProjectRow.of(project)}


@mutation(
    ProjectPayload, UpdateProjectInput, roles=PLANNERS, description="Change a project's fields."
)
async def update_project(info: ResolveInfo, user: models.User | None, input: Any) -> dict[str, Any]:
    project = await projects.update_project(
        info.context.access,
        decode_id(input.project_id, "Project"),
        _project_values(input),
        _ids(input.programme_ids, "Programme") if "programme_ids" in input else None,
    )
    return {"project": ProjectRow.of(project)}


@mutation(
    ProjectPayload,
    SetProjectSiteManagersInput,
    roles=PLANNERS,
    description="Replace the list of a project's site managers.",
)
async def set_project_site_managers(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    project = await projects.set_site_managers(
        info.context.access, decode_id(input.project_id, "Project"), _ids(input.user_ids, "User")
    )
    return {"project": ProjectRow.of(project)}


@mutation(
    TaskSheetPayload,
    SaveTaskSheetInput,
    roles=PLANNERS,
    description="Issue a project's task sheet for a year: the first, or the next revision.",
)
async def save_task_sheet(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    items = [
        task_sheets.ItemValues(
            title=item.title,
            responsible_unit=item.responsible_unit,
            responsible_person=item.responsible_person,
            due_date=item.due_date,
            done=bool(item.done),
        )
        for item in input.items or []
    ]
    values = task_sheets.SheetValues(
        year=input.year,
        scope=input.scope,
        annual_investment_target=input.annual_investment_target,
        completed_investment=input.completed_investment,
        approved_at=input.approved_at,
        items=items,
    )
    sheet = await task_sheets.save_task_sheet(
        info.context.access, decode_id(input.project_id, "Project"), values
    )
    return {"task_sheet": sheet}


class Mutations:
    """Project mutations."""

    create_project = create_project
    update_project = update_project
    set_project_site_managers = set_project_site_managers
    save_task_sheet = save_task_sheet
