"""Programmes, projects, task sheets, roadmap phases, milestones and their history."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ProjectStatus(StrEnum):
    """Where a project stands as a whole."""

    PLANNED = "PLANNED"
    UNDER_CONSTRUCTION = "UNDER_CONSTRUCTION"
    COMPLETED = "COMPLETED"
    SUSPENDED = "SUSPENDED"


class MilestoneStatus(StrEnum):
    """A milestone is open until it is recorded as done."""

    PENDING = "PENDING"
    DONE = "DONE"


class Programme(Model):
    """A numbered yearly programme of major projects, e.g. 1090 of 2020."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32)
    name = fields.CharField(max_length=128)
    year = fields.IntField()

    class Meta:
        table = "programme"
        unique_together = (("code", "year"),)


class Project(Model):
    """A major construction project followed on the wall chart."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=256)
    responsible_unit = fields.CharField(max_length=128, db_index=True)
    lead_official = fields.CharField(max_length=64, null=True)
    town = fields.CharField(max_length=64, null=True, db_index=True)
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    site_radius_meters = fields.IntField(null=True)
    total_investment = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    status = fields.CharEnumField(ProjectStatus, max_length=24, default=ProjectStatus.PLANNED)
    planned_start = fields.DateField(null=True)
    planned_finish = fields.DateField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    programmes: fields.ManyToManyRelation[Programme] = fields.ManyToManyField(
        "models.Programme", related_name="projects", through="project_programme"
    )
    site_managers: fields.ManyToManyRelation = fields.ManyToManyField(
        "models.User", related_name="managed_projects", through="project_site_manager"
    )

    class Meta:
        table = "project"


class TaskSheet(Model):
    """One revision of the task sheet (任务书) for a year, each re-issue adding one."""

    id = fields.IntField(primary_key=True)
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name="task_sheets", on_delete=fields.CASCADE
    )
    year = fields.IntField()
    revision = fields.IntField()
    scope = fields.TextField(null=True)
    annual_investment_target = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    completed_investment = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    approved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "task_sheet"
        unique_together = (("project", "year", "revision"),)


class TaskItem(Model):
    """One line of a task sheet: a target with who answers for it and by when."""

    id = fields.IntField(primary_key=True)
    sheet: fields.ForeignKeyRelation[TaskSheet] = fields.ForeignKeyField(
        "models.TaskSheet", related_name="items", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    title = fields.CharField(max_length=256)
    responsible_unit = fields.CharField(max_length=128, null=True)
    responsible_person = fields.CharField(max_length=64, null=True)
    due_date = fields.DateField(null=True)
    done = fields.BooleanField(default=False)

    class Meta:
        table = "task_item"
        indexes = (("sheet_id", "position"),)


class Phase(Model):
    """A phase of the roadmap (路线图), ordered by sequence."""

    id = fields.IntField(primary_key=True)
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name="phases", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=128)
    sequence = fields.IntField()
    planned_start = fields.DateField(null=True)
    planned_finish = fields.DateField(null=True)

    class Meta:
        table = "phase"
        indexes = (("project_id", "sequence"),)


class Milestone(Model):
    """A dated point of the project timetable (时间表)."""

    id = fields.IntField(primary_key=True)
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name="milestones", on_delete=fields.CASCADE
    )
    phase: fields.ForeignKeyNullableRelation[Phase] = fields.ForeignKeyField(
        "models.Phase", related_name="milestones", null=True, on_delete=fields.SET_NULL
    )
    title = fields.CharField(max_length=256)
    baseline_date = fields.DateField()
    planned_date = fields.DateField()
    actual_date = fields.DateField(null=True)
    status = fields.CharEnumField(MilestoneStatus, max_length=8, default=MilestoneStatus.PENDING)
    completion_note = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "milestone"
        indexes = (("status", "planned_date"), ("project_id", "planned_date"))


class MilestoneDependency(Model):
    """Successor may not finish before the predecessor date plus lag_days."""

    id = fields.IntField(primary_key=True)
    predecessor: fields.ForeignKeyRelation[Milestone] = fields.ForeignKeyField(
        "models.Milestone", related_name="successor_links", on_delete=fields.CASCADE
    )
    successor: fields.ForeignKeyRelation[Milestone] = fields.ForeignKeyField(
        "models.Milestone", related_name="predecessor_links", on_delete=fields.CASCADE
    )
    lag_days = fields.IntField(default=0)

    class Meta:
        table = "milestone_dependency"
        unique_together = (("predecessor", "successor"),)
        # Schedules load the links of a page of projects by successor (issue 7: was a full scan).
        indexes = (("successor_id",),)


class Rebaseline(Model):
    """One move of the planned date of a milestone, with the reason given."""

    id = fields.IntField(primary_key=True)
    milestone: fields.ForeignKeyRelation[Milestone] = fields.ForeignKeyField(
        "models.Milestone", related_name="rebaselines", on_delete=fields.CASCADE
    )
    old_date = fields.DateField()
    new_date = fields.DateField()
    reason = fields.TextField()
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "rebaseline"
        indexes = (("milestone_id", "at"),)
