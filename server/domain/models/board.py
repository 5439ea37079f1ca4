"""The board as it stood each day: one snapshot per project per day (挂图作战 over time)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class BoardSnapshot(Model):
    """One project's line of the board on one day, written once a day (and by backfill).

    `health` holds a `server.domain.health.Health` value. `backfilled` marks a line computed
    later from history rather than written on its day.
    """

    id = fields.BigIntField(primary_key=True)
    project: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Project", related_name="snapshots", on_delete=fields.CASCADE
    )
    date = fields.DateField()
    health = fields.CharField(max_length=8)
    overdue_milestones = fields.IntField()
    worst_days_overdue = fields.IntField()
    open_labour_tickets = fields.IntField()
    open_material_tickets = fields.IntField()
    execution_index = fields.DecimalField(max_digits=9, decimal_places=4, null=True)
    """Completed over targeted investment of the year's task sheet, when it has a target."""
    on_site_rate = fields.FloatField(null=True)
    """到岗率 of the day's daily report, when the project filed one."""
    backfilled = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "board_snapshot"
        unique_together = (("project", "date"),)
        indexes = (("date", "health"),)
