"""The daily report mutation: `fileDailyReport` files the day's report, or amends it."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.daily_reports.types import DailyReport, Trade, Weather
from schema.errors import errors_field
from schema.mutations import mutation
from schema.relay import decode_id, input_id
from schema.scalars import Date, Decimal
from server.domain import daily_reports, idempotency, labour, models
from server.domain.access import DAILY_REPORT_FILERS


class TradeCountInput(graphene.InputObjectType):
    """Workers of one trade."""

    trade = graphene.InputField(Trade, required=True, description="The trade.")
    needed = graphene.Int(required=True, description="Workers the day's work needs (0 or more).")
    on_site = graphene.Int(required=True, description="Workers who came (0 or more).")


class EquipmentCountInput(graphene.InputObjectType):
    """Machines of one kind on site."""

    name = graphene.String(required=True, description="At most 64 characters.")
    count = graphene.Int(required=True, description="0 or more.")


class MaterialLineInput(graphene.InputObjectType):
    """A material received, or short."""

    material = graphene.String(required=True, description="At most 128 characters.")
    specification = graphene.String(description="At most 256 characters.")
    quantity = graphene.InputField(Decimal, description="Positive, at most 3 decimal places.")
    unit = graphene.String(description="At most 16 characters.")


class FileDailyReportInput(graphene.InputObjectType):
    """A day's report; a day that has one is amended."""

    project_id = graphene.ID(required=True, description="The project.")
    date = graphene.InputField(Date, required=True, description="The day, not after today.")
    weather = graphene.InputField(Weather, description="The weather on site.")
    temperature_low = graphene.Int(description="Lowest temperature, °C (-60 to 60).")
    temperature_high = graphene.Int(description="Highest temperature, °C (-60 to 60).")
    workforce = graphene.List(
        graphene.NonNull(TradeCountInput),
        required=True,
        description="Workers per trade, each trade once.",
    )
    equipment = graphene.List(
        graphene.NonNull(EquipmentCountInput), description="Equipment on site (at most 50)."
    )
    materials_received = graphene.List(
        graphene.NonNull(MaterialLineInput), description="Materials received (at most 50)."
    )
    materials_short = graphene.List(
        graphene.NonNull(MaterialLineInput), description="Materials short (at most 50)."
    )
    work_done = graphene.String(description="Work done today (at most 5 000 characters).")
    problems = graphene.String(description="Problems met (at most 5 000 characters).")
    photo_ids = graphene.List(
        graphene.NonNull(graphene.ID), description="Uploaded photos of the project to show."
    )
    idempotency_key = graphene.String(
        description="Repeat it on a retry: the first result comes back instead of a second write "
        "(even when the report has been amended since)."
    )
    expected_version = graphene.Int(
        description=(
            "The `version` of the day's report the client saw; 0 when it saw none (filing "
            "afresh). When the day's report is at another version (filed or amended meanwhile), "
            "nothing is written: CONFLICT, with the report as it now stands in the payload. "
            "Omitted or null: files, or amends whatever version the report is at."
        )
    )


class DailyReportPayload(graphene.ObjectType):
    """Result of `fileDailyReport`."""

    daily_report = graphene.Field(
        DailyReport,
        description="The report as it now is: also beside a CONFLICT over its version.",
    )
    errors = errors_field()


def draft_of(input: Any) -> daily_reports.ReportDraft:
    """The domain's draft of a FileDailyReportInput (ids decoded, lists in order)."""
    return daily_reports.ReportDraft(
        project_id=input_id(input.project_id, "Project") or 0,
        date=input.date,
        weather=models.Weather(input.weather.value) if input.weather is not None else None,
        temperature_low=input.temperature_low,
        temperature_high=input.temperature_high,
        workforce=[
            daily_reports.TradeCount(models.Trade(c.trade.value), c.needed, c.on_site)
            for c in input.workforce
        ],
        equipment=[daily_reports.EquipmentCount(e.name, e.count) for e in input.equipment or []],
        materials_received=[_line(m) for m in input.materials_received or []],
        materials_short=[_line(m) for m in input.materials_short or []],
        work_done=input.work_done,
        problems=input.problems,
        photo_ids=[decode_id(gid, "Photo") for gid in input.photo_ids or []],
    )


def _line(given: Any) -> daily_reports.MaterialLine:
    return daily_reports.MaterialLine(
        given.material, given.specification, given.quantity, given.unit
    )


class Mutations:
    """Daily report mutations."""

    @mutation(
        DailyReportPayload,
        FileDailyReportInput,
        roles=DAILY_REPORT_FILERS,
        description="File the day's report (施工日报), or amend it: site managers of the "
        "project until the end of the next day, office staff and admins later too.",
        current_field="daily_report",
    )
    async def file_daily_report(
        info: ResolveInfo, user: models.User | None, input: Any
    ) -> dict[str, Any]:
        report = await daily_reports.file_report(
            info.context.access,
            draft_of(input),
            today=info.context.today,
            idempotency_key=input.idempotency_key,
            key_ttl=idempotency.ttl_of(info.context.settings),
            alert_rule=labour.AlertRule(
                info.context.settings.labour_alert_percent, info.context.settings.labour_alert_days
            ),
            expected_version=input.expected_version,
        )
        return {"daily_report": report}
