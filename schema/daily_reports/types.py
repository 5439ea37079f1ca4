"""The daily report types: a day's report with its workforce, equipment and materials."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.enums import described_enum
from schema.loaders.accounts import UserLoader
from schema.loaders.daily_reports import (
    DailyReportLoader,
    ReportPhotoIdsLoader,
    ReportTradesLoader,
)
from schema.loaders.photos import PhotoLoader
from schema.loaders.projects import ProjectLoader
from schema.relay import CountableConnection, Node
from schema.scalars import Date, DateTime, Decimal
from server.domain import labour, models
from server.domain.access import may_amend_daily_report
from server.domain.rows.daily_reports import DailyReportRow, DailyReportTradeRow

Weather = described_enum(
    models.Weather,
    "The weather on site.",
    {
        "SUNNY": "Sunny (晴).",
        "CLOUDY": "Partly cloudy (多云).",
        "OVERCAST": "Overcast (阴).",
        "LIGHT_RAIN": "Light rain (小雨).",
        "HEAVY_RAIN": "Heavy rain (大雨).",
        "SNOW": "Snow (雪).",
        "FOG": "Fog (雾).",
        "HIGH_WIND": "High wind (大风).",
        "EXTREME_HEAT": "Extreme heat (高温).",
    },
)
Trade = described_enum(
    models.Trade,
    "A trade workers are counted by.",
    {
        "REBAR": "Rebar workers (钢筋工).",
        "FORMWORK": "Formwork carpenters (木工).",
        "CONCRETE": "Concrete workers (混凝土工).",
        "MASONRY": "Masons (瓦工).",
        "STEEL_STRUCTURE": "Steel structure erectors (钢结构工).",
        "ELECTRICAL": "Electricians (电工).",
        "PLUMBING": "Plumbers (水暖工).",
        "HVAC": "Heating, ventilation and air-conditioning fitters (暖通工).",
        "FINISHING": "Finishing and decoration workers (装饰工).",
        "MACHINERY": "Machine operators (机械操作工).",
        "GENERAL_LABOUR": "General labourers (普工).",
        "OTHER": "Any other trade (其他).",
    },
)


class TradeCount(graphene.ObjectType):
    """Workers of one trade: needed, and on site."""

    trade = graphene.Field(Trade, required=True, description="The trade.")
    needed = graphene.Int(required=True, description="Workers the day's work needs.")
    on_site = graphene.Int(required=True, description="Workers who came.")

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, DailyReportTradeRow)


class EquipmentCount(graphene.ObjectType):
    """Machines of one kind on site."""

    name = graphene.String(required=True, description="The machine, e.g. 塔吊, 挖掘机.")
    count = graphene.Int(required=True, description="How many.")


class MaterialLine(graphene.ObjectType):
    """A material received, or short."""

    material = graphene.String(required=True, description="The material, e.g. 螺纹钢, 商品混凝土.")
    specification = graphene.String(description="Its specification, e.g. HRB400 Φ25.")
    quantity = graphene.Field(Decimal, description="How much, in `unit`.")
    unit = graphene.String(description="The unit of the quantity, e.g. 吨, 立方米.")


class DailyReport(graphene.ObjectType):
    """施工日报: what a site reported for one day."""

    class Meta:
        interfaces = (Node,)

    project = graphene.Field(
        "schema.projects.types.Project", required=True, description="The project."
    )
    date = graphene.Field(Date, required=True, description="The day reported (zone calendar).")
    weather = graphene.Field(Weather, description="The weather on site.")
    temperature_low = graphene.Int(description="Lowest temperature, °C.")
    temperature_high = graphene.Int(description="Highest temperature, °C.")
    workforce = graphene.List(
        graphene.NonNull(TradeCount), required=True, description="Workers per trade."
    )
    workers_needed = graphene.Int(required=True, description="Workers needed, all trades.")
    workers_on_site = graphene.Int(required=True, description="Workers on site, all trades.")
    on_site_rate = graphene.Float(
        description="到岗率: workers on site ÷ workers needed; null when none were needed."
    )
    equipment = graphene.List(
        graphene.NonNull(EquipmentCount), required=True, description="Equipment on site."
    )
    materials_received = graphene.List(
        graphene.NonNull(MaterialLine), required=True, description="Materials received today."
    )
    materials_short = graphene.List(
        graphene.NonNull(MaterialLine), required=True, description="Materials the site lacks."
    )
    work_done = graphene.String(description="Work done today.")
    problems = graphene.String(description="Problems met.")
    photos = graphene.List(
        graphene.NonNull("schema.photos.types.Photo"),
        required=True,
        description="Photos of the project shown with the report, newest first.",
    )
    reported_by = graphene.Field(
        "schema.accounts.types.User", required=True, description="Who filed it."
    )
    reported_at = graphene.Field(DateTime, required=True, description="When it was filed.")
    amended_at = graphene.Field(DateTime, description="When it was last amended.")
    editable = graphene.Boolean(required=True, description="Whether the viewer may still amend it.")
    version = graphene.Int(
        required=True,
        description=(
            "1 when filed, one more at each amendment (0: filed before versions were kept). "
            "Send it back as `expectedVersion` when amending so that an amendment made on an "
            "old copy is refused (CONFLICT) instead of overwriting changes you have not seen."
        ),
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> DailyReportRow | None:
        report = await info.context.loaders.get(DailyReportLoader).load(pk)
        if report is None or not await info.context.access.can_see_project(report.project_id):
            return None
        return report

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, DailyReportRow)

    @staticmethod
    async def resolve_project(root: DailyReportRow, info: ResolveInfo) -> Any:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    def resolve_workforce(root: DailyReportRow, info: ResolveInfo) -> Any:
        return info.context.loaders.get(ReportTradesLoader).load_now(root.id)

    @staticmethod
    def resolve_on_site_rate(root: DailyReportRow, info: ResolveInfo) -> float | None:
        return root.on_site_rate

    @staticmethod
    async def resolve_photos(root: DailyReportRow, info: ResolveInfo) -> list[Any]:
        ids = await info.context.loaders.get(ReportPhotoIdsLoader).load(root.id)
        found = await info.context.loaders.get(PhotoLoader).load_many(ids)
        return [photo for photo in found if photo is not None]

    @staticmethod
    async def resolve_reported_by(root: DailyReportRow, info: ResolveInfo) -> Any:
        return await info.context.loaders.get(UserLoader).load(root.reported_by_id)

    @staticmethod
    def resolve_editable(root: DailyReportRow, info: ResolveInfo) -> bool:
        user = info.context.user
        return user is not None and may_amend_daily_report(user, root.date, info.context.today)


class DailyReportConnection(CountableConnection):
    """A page of daily reports."""

    class Meta:
        node = DailyReport
        description = "A page of daily reports, newest first."


LabourGroupBy = described_enum(
    labour.LabourGroupBy,
    "What a labour series groups projects by.",
    {
        "ZONE": "One series for the whole zone.",
        "PROGRAMME": "One series per programme.",
        "TOWN": "One series per town (镇街).",
        "RESPONSIBLE_UNIT": "One series per responsible unit (责任单位).",
    },
)


class LabourPoint(graphene.ObjectType):
    """One day of a labour series."""

    date = graphene.Field(Date, required=True, description="The day.")
    workers_needed = graphene.Int(required=True, description="Workers needed, reported.")
    workers_on_site = graphene.Int(required=True, description="Workers on site, reported.")
    on_site_rate = graphene.Float(description="到岗率; null when no workers were needed.")
    projects_reporting = graphene.Int(required=True, description="Projects that reported.")
    projects_expected = graphene.Int(
        required=True, description="Projects that should be working (under construction)."
    )
    projects_resumed = graphene.Int(
        required=True, description="Of those, projects with workers on site lately (复工)."
    )
    resumption_rate = graphene.Float(
        description="复工率 = resumed ÷ expected; null when none are expected."
    )


class LabourSeries(graphene.ObjectType):
    """The days of one group: the zone, a programme, a town or a responsible unit."""

    key = graphene.String(required=True, description="The group's key.")
    label = graphene.String(required=True, description="The group's name.")
    points = graphene.List(
        graphene.NonNull(LabourPoint), required=True, description="One point per day, in order."
    )


class LabourAlert(graphene.ObjectType):
    """A project short of workers for several reports in a row, with no open LABOUR ticket."""

    project = graphene.Field(
        "schema.projects.types.Project", required=True, description="The project."
    )
    since = graphene.Field(Date, required=True, description="The first low report's day.")
    days = graphene.Int(required=True, description="Low reports in a row.")
    on_site_rate = graphene.Float(required=True, description="到岗率 of the latest report.")
    short_trades = graphene.List(
        graphene.NonNull(TradeCount),
        required=True,
        description="The latest report's trades with fewer workers on site than needed.",
    )
    latest_report = graphene.Field(
        DailyReport, required=True, description="The latest report of the streak."
    )

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, labour.LabourAlert)

    @staticmethod
    async def resolve_project(root: labour.LabourAlert, info: ResolveInfo) -> Any:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    def resolve_latest_report(root: labour.LabourAlert, info: ResolveInfo) -> DailyReportRow:
        return root.latest


class LabourAlertConnection(CountableConnection):
    """A page of labour alerts."""

    class Meta:
        node = LabourAlert
        description = "A page of labour alerts, the longest-standing first."
