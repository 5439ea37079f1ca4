"""Daily site reports (施工日报): one per project per zone-calendar day, with the workforce per
trade, equipment, materials, weather and photos."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Weather(StrEnum):
    """The weather on site, as the report gives it."""

    SUNNY = "SUNNY"
    CLOUDY = "CLOUDY"
    OVERCAST = "OVERCAST"
    LIGHT_RAIN = "LIGHT_RAIN"
    HEAVY_RAIN = "HEAVY_RAIN"
    SNOW = "SNOW"
    FOG = "FOG"
    HIGH_WIND = "HIGH_WIND"
    EXTREME_HEAT = "EXTREME_HEAT"


class Trade(StrEnum):
    """The trades a site counts its workers by."""

    REBAR = "REBAR"
    FORMWORK = "FORMWORK"
    CONCRETE = "CONCRETE"
    MASONRY = "MASONRY"
    STEEL_STRUCTURE = "STEEL_STRUCTURE"
    ELECTRICAL = "ELECTRICAL"
    PLUMBING = "PLUMBING"
    HVAC = "HVAC"
    FINISHING = "FINISHING"
    MACHINERY = "MACHINERY"
    GENERAL_LABOUR = "GENERAL_LABOUR"
    OTHER = "OTHER"


TRADE_LABELS = {
    Trade.REBAR: "钢筋工",
    Trade.FORMWORK: "木工",
    Trade.CONCRETE: "混凝土工",
    Trade.MASONRY: "瓦工",
    Trade.STEEL_STRUCTURE: "钢结构工",
    Trade.ELECTRICAL: "电工",
    Trade.PLUMBING: "水暖工",
    Trade.HVAC: "暖通工",
    Trade.FINISHING: "装饰工",
    Trade.MACHINERY: "机械操作工",
    Trade.GENERAL_LABOUR: "普工",
    Trade.OTHER: "其他",
}
"""What the site calls each trade (sheets, prefilled tickets)."""


class DailyReport(Model):
    """What a site reported for one day, with the workforce totals the series read."""

    id = fields.IntField(primary_key=True)
    project: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Project", related_name="daily_reports", on_delete=fields.CASCADE
    )
    date = fields.DateField()
    weather = fields.CharEnumField(Weather, max_length=16, null=True)
    temperature_low = fields.IntField(null=True)
    temperature_high = fields.IntField(null=True)
    workers_needed = fields.IntField(default=0)
    workers_on_site = fields.IntField(default=0)
    equipment = fields.JSONField(default=list)
    materials_received = fields.JSONField(default=list)
    materials_short = fields.JSONField(default=list)
    work_done = fields.TextField(null=True)
    problems = fields.TextField(null=True)
    reported_by: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="daily_reports", on_delete=fields.RESTRICT
    )
    reported_at = fields.DatetimeField(auto_now_add=True)
    amended_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=0, db_default=0)
    """Raised by one at each amendment; an amendment names the version it was made against."""
    photos: fields.ManyToManyRelation = fields.ManyToManyField(
        "models.Photo", related_name="daily_reports", through="daily_report_photo"
    )

    class Meta:
        table = "daily_report"
        unique_together = (("project", "date"),)
        indexes = (("date", "project_id"),)


class DailyReportTrade(Model):
    """Workers needed and on site for one trade in one report."""

    id = fields.IntField(primary_key=True)
    report: fields.ForeignKeyRelation[DailyReport] = fields.ForeignKeyField(
        "models.DailyReport", related_name="trades", on_delete=fields.CASCADE
    )
    trade = fields.CharEnumField(Trade, max_length=16)
    needed = fields.IntField()
    on_site = fields.IntField()

    class Meta:
        table = "daily_report_trade"
        unique_together = (("report", "trade"),)
