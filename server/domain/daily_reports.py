"""Daily site reports (施工日报): filing, amending and reading a project's report for a day.

One report per project per zone-calendar day. Filing a day that already has a report amends
it (the same call from the phone); a site manager may amend until the end of the next day,
office staff and admins later too (`access.may_amend_daily_report`). Every filing and amendment
is audited with the report's before and after, trades and photos included. A retry with the
same idempotency key returns the first result; the key with another input is a CONFLICT.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from server.domain import audit, idempotency, labour, photos
from server.domain.access import Access, access_of, acting_user, may_amend_daily_report
from server.domain.errors import Problems, Refused
from server.domain.models import (
    DailyReport,
    DailyReportTrade,
    Photo,
    Project,
    ProjectStatus,
    Trade,
    Weather,
)
from server.domain.report_reads import report_row
from server.domain.rows.daily_reports import DailyReportRow
from server.domain.tickets.text import clean_text

FILE_OPERATION = "fileDailyReport"
MAX_WORKERS = 10_000
"""Most workers of one trade a report may count (needed or on site)."""
MAX_LINES = 50
"""Most equipment or material lines in one report."""
MIN_TEMPERATURE, MAX_TEMPERATURE = -60, 60
MAX_QUANTITY = decimal.Decimal("99999999999.999")
QUANTUM = decimal.Decimal("0.001")
TEXT_LIMITS = {"work_done": 5000, "problems": 5000}
LINE_LIMITS = {"name": 64, "material": 128, "specification": 256, "unit": 16}


@dataclass
class TradeCount:
    """Workers of one trade: needed, and on site."""

    trade: Trade
    needed: int
    on_site: int


@dataclass
class EquipmentCount:
    """Machines of one kind on site."""

    name: str
    count: int


@dataclass
class MaterialLine:
    """A material received or short."""

    material: str
    specification: str | None = None
    quantity: decimal.Decimal | None = None
    unit: str | None = None


@dataclass
class ReportDraft:
    """What a site files for a day. Ids are decoded; None in `photo_ids` is a malformed id."""

    project_id: int
    date: dt.date
    workforce: list[TradeCount]
    weather: Weather | None = None
    temperature_low: int | None = None
    temperature_high: int | None = None
    equipment: list[EquipmentCount] = field(default_factory=list)
    materials_received: list[MaterialLine] = field(default_factory=list)
    materials_short: list[MaterialLine] = field(default_factory=list)
    work_done: str | None = None
    problems: str | None = None
    photo_ids: list[int | None] = field(default_factory=list)


def _check_workforce(draft: ReportDraft, problems: Problems) -> None:
    if len(draft.workforce) > len(Trade):
        message = f"At most {len(Trade)} lines: each trade once."
        problems.add("INVALID", message, "input", "workforce")
        return
    seen: set[Trade] = set()
    for index, count in enumerate(draft.workforce):
        at = ("input", "workforce", str(index))
        if count.trade in seen:
            problems.add("INVALID", "Each trade once per report.", *at, "trade")
        seen.add(count.trade)
        for name, value in (("needed", count.needed), ("onSite", count.on_site)):
            if not 0 <= value <= MAX_WORKERS:
                problems.add("INVALID", f"From 0 to {MAX_WORKERS} workers.", *at, name)


def _check_lines(draft: ReportDraft, problems: Problems) -> None:
    for name, lines in (
        ("equipment", draft.equipment),
        ("materialsReceived", draft.materials_received),
        ("materialsShort", draft.materials_short),
    ):
        if len(lines) > MAX_LINES:
            problems.add("INVALID", f"At most {MAX_LINES} lines.", "input", name)
            continue
        for index, line in enumerate(lines):
            at = ("input", name, str(index))
            for attribute, limit in LINE_LIMITS.items():
                if not hasattr(line, attribute):
                    continue
                value = clean_text(getattr(line, attribute))
                setattr(line, attribute, value)
                label = "specification" if attribute == "specification" else attribute
                if value is not None and len(value) > limit:
                    problems.add("INVALID", f"At most {limit} characters.", *at, label)
            if isinstance(line, EquipmentCount):
                if line.name is None:
                    problems.add("INVALID", "A name is required.", *at, "name")
                if not 0 <= line.count <= MAX_WORKERS:
                    problems.add("INVALID", f"From 0 to {MAX_WORKERS}.", *at, "count")
            else:
                if line.material is None:
                    problems.add("INVALID", "A material is required.", *at, "material")
                quantity = line.quantity
                if quantity is not None and (
                    not quantity.is_finite()
                    or quantity <= 0
                    or quantity > MAX_QUANTITY
                    or quantity != quantity.quantize(QUANTUM)
                ):
                    message = f"Positive, at most 3 decimal places and below {MAX_QUANTITY}."
                    problems.add("INVALID", message, *at, "quantity")


def _check_fields(draft: ReportDraft, today: dt.date, problems: Problems) -> None:
    """Checks that need no database (texts are cleaned in place)."""
    if draft.date > today:
        problems.add("INVALID", "A report cannot be for a day still to come.", "input", "date")
    for name, value in (
        ("temperatureLow", draft.temperature_low),
        ("temperatureHigh", draft.temperature_high),
    ):
        if value is not None and not MIN_TEMPERATURE <= value <= MAX_TEMPERATURE:
            message = f"From {MIN_TEMPERATURE} to {MAX_TEMPERATURE} °C."
            problems.add("INVALID", message, "input", name)
    low, high = draft.temperature_low, draft.temperature_high
    if low is not None and high is not None and low > high:
        problems.add("INVALID", "The low is above the high.", "input", "temperatureLow")
    for name, limit in TEXT_LIMITS.items():
        value = clean_text(getattr(draft, name))
        setattr(draft, name, value)
        if value is not None and len(value) > limit:
            camel = "workDone" if name == "work_done" else name
            problems.add("INVALID", f"At most {limit} characters.", "input", camel)
    _check_workforce(draft, problems)
    _check_lines(draft, problems)


def _plain_lines(lines: Sequence[EquipmentCount | MaterialLine]) -> list[dict[str, Any]]:
    """Lines as the JSON the report keeps (quantities as exact text)."""
    plain = []
    for line in lines:
        values = dataclasses.asdict(line)
        if isinstance(values.get("quantity"), decimal.Decimal):
            values["quantity"] = str(values["quantity"])
        plain.append(values)
    return plain


async def _snapshot(report: DailyReport) -> dict[str, Any]:
    """The report as the audit log keeps it: its columns, trades and photo ids."""
    values = audit.snapshot(report) or {}
    trades = await DailyReportTrade.filter(report_id=report.id).order_by("trade")
    values["workforce"] = [
        {"trade": t.trade.value, "needed": t.needed, "on_site": t.on_site} for t in trades
    ]
    values["photo_ids"] = sorted(await report.photos.all().values_list("id", flat=True))
    return values


async def file_report(
    actor: Access,
    draft: ReportDraft,
    *,
    today: dt.date,
    idempotency_key: str | None = None,
    key_ttl: dt.timedelta = idempotency.DEFAULT_TTL,
    alert_rule: labour.AlertRule | None = None,
) -> DailyReportRow:
    """File the day's report, or amend it when the day has one; call inside a transaction.

    With `alert_rule`, a report that starts its project's labour alert tells the office.

    Raises Refused: field-level problems (nothing is stored), NOT_FOUND for a project the
    actor cannot see, FORBIDDEN once the actor's amendment window has closed.
    """
    access = access_of(actor)
    user = acting_user(access)
    if (problem := idempotency.key_problem(idempotency_key)) is not None:
        raise Refused("INVALID", problem, idempotency.KEY_FIELD)
    key_use = idempotency.KeyUse.of(
        user, FILE_OPERATION, idempotency_key, dataclasses.asdict(draft), key_ttl
    )
    earlier = await idempotency.previous_result(key_use)
    if earlier is not None:
        again = await report_row(earlier)
        if again is not None and await access.can_see_project(again.project_id):
            return again
    problems = Problems()
    _check_fields(draft, today, problems)
    try:
        project = await access.project(draft.project_id, ("input", "projectId"))
    except Refused as refused:
        problems.extend(refused.problems)
        problems.raise_if_any()
        raise
    started = project.created_at.astimezone(dt.UTC).date() if project.created_at else None
    if started is not None and draft.date < started - dt.timedelta(days=1):
        problems.add("INVALID", "The project did not exist on that day.", "input", "date")
    linked, refused_photos = await photos.photos_of_project(draft.photo_ids, project.id)
    for position, reason in refused_photos:
        problems.add("INVALID", reason, "input", "photoIds", str(position))
    problems.raise_if_any()
    report = await DailyReport.get_or_none(project_id=project.id, date=draft.date)
    before = None
    if report is not None:
        if not may_amend_daily_report(user, report.date, today):
            raise Refused(
                "FORBIDDEN",
                "The day's report can no longer be amended by site managers: ask the office.",
                ("input", "date"),
            )
        before = await _snapshot(report)
    report = await _write(report, draft, user.id, linked)
    try:
        await idempotency.remember_result(key_use, report.id)
    except IntegrityError:
        raise Refused(
            "CONFLICT",
            "The same report is being filed already: retry to get it.",
            idempotency.KEY_FIELD,
        ) from None
    await audit.record(
        user,
        FILE_OPERATION if before is None else "amendDailyReport",
        report,
        before=before,
        after=await _snapshot(report),
    )
    found = await report_row(report.id)
    assert found is not None
    if alert_rule is not None:
        await labour.notify_if_alert_started(found, alert_rule)
    return found


async def _write(
    report: DailyReport | None, draft: ReportDraft, user_id: int, linked: list[Photo]
) -> DailyReport:
    """Create or overwrite the report's columns, trades and photos."""
    values = {
        "weather": draft.weather,
        "temperature_low": draft.temperature_low,
        "temperature_high": draft.temperature_high,
        "workers_needed": sum(count.needed for count in draft.workforce),
        "workers_on_site": sum(count.on_site for count in draft.workforce),
        "equipment": _plain_lines(draft.equipment),
        "materials_received": _plain_lines(draft.materials_received),
        "materials_short": _plain_lines(draft.materials_short),
        "work_done": draft.work_done,
        "problems": draft.problems,
    }
    if report is None:
        report = await DailyReport.create(
            project_id=draft.project_id, date=draft.date, reported_by_id=user_id, **values
        )
    else:
        report.update_from_dict({**values, "amended_at": dt.datetime.now(dt.UTC)})
        await report.save()
        await DailyReportTrade.filter(report_id=report.id).delete()
        await report.photos.clear()
    await DailyReportTrade.bulk_create(
        [
            DailyReportTrade(
                report_id=report.id, trade=count.trade, needed=count.needed, on_site=count.on_site
            )
            for count in draft.workforce
        ]
    )
    if linked:
        await report.photos.add(*linked)
    return report


def without_report(projects: QuerySet[Project], day: dt.date) -> QuerySet[Project]:
    """Of `projects`, those under construction that have not reported for `day`."""
    reported = DailyReport.filter(date=day).values("project_id")
    return projects.filter(status=ProjectStatus.UNDER_CONSTRUCTION).exclude(
        id__in=Subquery(reported)
    )
