"""Supervision instructions (督办) given on milestones and the answers from site."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SupervisionReview(Model):
    """An instruction from a supervisor on a milestone, answered once by the project side."""

    id = fields.IntField(primary_key=True)
    milestone: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Milestone", related_name="reviews", on_delete=fields.CASCADE
    )
    project: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Project", related_name="reviews", on_delete=fields.CASCADE
    )
    reviewer: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="reviews_given", on_delete=fields.RESTRICT
    )
    instruction = fields.TextField()
    respond_by = fields.DateField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    response = fields.TextField(null=True)
    responded_at = fields.DatetimeField(null=True)
    responded_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="reviews_answered", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "supervision_review"
        indexes = (
            ("responded_at", "respond_by"),
            ("project_id", "responded_at"),
            ("milestone_id", "created_at"),
        )
