"""On-site photos: one row per photo of a project, its files named by sha256."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Photo(Model):
    """A photo taken on site, kept as evidence with its JPEG variants."""

    id = fields.IntField(primary_key=True)
    project: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Project", related_name="photos", on_delete=fields.CASCADE
    )
    milestone: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Milestone", related_name="photos", null=True, on_delete=fields.SET_NULL
    )
    ticket: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.ShortageTicket", related_name="photos", null=True, on_delete=fields.SET_NULL
    )
    uploaded_by: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="photos", on_delete=fields.RESTRICT
    )
    caption = fields.CharField(max_length=500, null=True)
    taken_at = fields.DatetimeField(null=True)
    uploaded_at = fields.DatetimeField(auto_now_add=True)
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    on_site = fields.BooleanField(null=True)
    width = fields.IntField()
    height = fields.IntField()
    content_type = fields.CharField(max_length=32)
    byte_size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64, db_index=True)

    class Meta:
        table = "photo"
        unique_together = (("project", "sha256"),)
        indexes = (
            ("project_id", "uploaded_at"),
            ("milestone_id", "uploaded_at"),
            ("ticket_id", "uploaded_at"),
        )
