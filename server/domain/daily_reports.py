"""Daily site reports (施工日报): filing, amending and reading a project's report for a day.

One report per project per zone-calendar day. Filing a day that already has a report amends
it (the same call from the phone); a site manager may amend until the end of the next day,
office staff and admins later too (`access.may_amend_daily_report`). Every filing and amendment
is audited with the report's before and after, trades and photos included. A retry with the
same idempotency key returns the first result; the key with another input is a CONFLICT.

Optimistic concurrency: a filed report is at version 1 and each amendment raises it by one
(reports filed before versions existed stay at 0 until amended). The phone sends the version
it saw as `expected_version`, 0 when it saw no report for the day: when the day's report is at
another version (someone filed or amended it meanwhile), nothing is written and the refusal is
CONFLICT carrying the report as it now stands. The amendment itself is a conditional UPDATE on
the version read, so an amendment racing another never leaves a torn mix of both, with or
without an expected version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from server.domain import audit, idempotency, labour, photos
from server.domain.access import Access, access_of, acting_user, may_amend_daily_report
from server.domain.errors import VERSION_FIELD, Problems, Refused, stale_version
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
    expected_version: int | None = None,
) -> DailyReportRow:
    """File the day's report, or amend it when the day has one; call inside a transaction.

    With `alert_rule`, a report that starts its project's labour alert tells the office.
    `expected_version` is the version of the day's report the client saw (0: none, or one
    from before versions); None amends whatever version the report is at.

    A retry under an idempotency key returns the first result before any other check, even
    when the report has been amended since.

    Raises Refused: field-level problems (nothing is stored), NOT_FOUND for a project the
    actor cannot see, CONFLICT (with the report as it now stands in `current`) when the
    report is not at `expected_version`, FORBIDDEN once the actor's amendment window has
    closed.
    """
    access = access_of(actor)
    user = acting_user(access)
    if (problem := idempotency.key_problem(idempotency_key)) is not None:
        raise Refused("INVALID", problem, idempotency.KEY_FIELD)
    if expected_version is not None and expected_version < 0:
        raise Refused("INVALID", "A version is 0 or more.", VERSION_FIELD)
    asked = dataclasses.asdict(draft)
    if expected_version is not None:
        asked["expected_version"] = expected_version
    key_use = idempotency.KeyUse.of(user, FILE_OPERATION, idempotency_key, asked, key_ttl)
    if (again := await _replayed(access, key_use)) is not None:
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
    await _check_version(report, expected_version)
    before = None
    if report is not None:
        if not may_amend_daily_report(user, report.date, today):
            raise Refused(
                "FORBIDDEN",
                "The day's report can no longer be amended by site managers: ask the office.",
                ("input", "date"),
            )
        before = await _snapshot(report)
    written = await _write(report, draft, user.id, linked)
    if written is None:
        assert report is not None  # only an amendment can lose the race
        # The first call under this key may be what won: then this retry gets its result.
        if (again := await _replayed(access, key_use)) is not None:
            return again
        await _refuse_stale(report.id, expected_version)
    report = written
    await idempotency.remember_result_or_refuse(
        key_use, report.id, "The same report is being filed already: retry to get it."
    )
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


async def _replayed(access: Access, key_use: idempotency.KeyUse | None) -> DailyReportRow | None:
    """The report an earlier call under the key filed, as it now stands, if still visible."""
    earlier = await idempotency.previous_result(key_use)
    if earlier is None:
        return None
    again = await report_row(earlier)
    if again is None or not await access.can_see_project(again.project_id):
        return None
    return again


async def _check_version(report: DailyReport | None, expected: int | None) -> None:
    """Refuse CONFLICT unless the day's report is at the version the client saw."""
    if expected is None:
        return
    if report is None:
        if expected != 0:
            raise Refused(
                "CONFLICT",
                "The day has no report to amend: file it with expectedVersion 0 (or none).",
                VERSION_FIELD,
            )
        return
    if report.version != expected:
        await _refuse_stale(report.id, expected)


async def _refuse_stale(report_id: int, expected: int | None) -> NoReturn:
    """Raise CONFLICT carrying the report as it now stands.

    `expected` is the version the client named; None when it named none and lost a race.
    """
    current = await report_row(report_id)
    assert current is not None  # read in the same transaction, never deleted by filing
    if expected is not None:
        raise stale_version("day's report", expected, current.version, current)
    raise Refused(
        "CONFLICT",
        "Someone amended the day's report at the same moment: here it is as it now stands; "
        "look and try again.",
        ("input", "date"),
        current=current,
    )


async def _write(
    report: DailyReport | None,
    draft: ReportDraft,
    user_id: int,
    linked: list[Photo],
) -> DailyReport | None:
    """Create the report at version 1, or overwrite its columns, trades and photos.

    The overwrite is conditional on the version read: when another amendment got there
    first, nothing is written and the answer is None.
    """
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
            project_id=draft.project_id,
            date=draft.date,
            reported_by_id=user_id,
            version=1,
            **values,
        )
    else:
        seen = report.version
        updated = await DailyReport.filter(id=report.id, version=seen).update(
            **values, amended_at=dt.datetime.now(dt.UTC), version=seen + 1
        )
        if updated != 1:
            return None
        report = await DailyReport.get(id=report.id)
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
