"""Plain rows: every row type, built from SQL on this database, equals the ORM's reading of
the same row, value for value and type for type (dates, instants, decimals, booleans, enums,
nulls), and rows are frozen."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from typing import Any

import pytest
from tortoise.models import Model

from server.domain import models
from server.domain.reads import rows_by_id
from server.domain.rows import Row, fetch_rows, queryset_rows
from server.domain.rows.accounts import AuditEntryRow, SessionRow, UserRow
from server.domain.rows.daily_reports import DailyReportRow, DailyReportTradeRow
from server.domain.rows.photos import PhotoRow
from server.domain.rows.plans import (
    MilestoneRow,
    PhaseRow,
    ProgrammeRow,
    ProjectRow,
    RebaselineRow,
    TaskItemRow,
    TaskSheetRow,
)
from server.domain.rows.supervision import ReviewRow
from server.domain.rows.tickets import NotificationRow, TicketEventRow, TicketRow
from tests import factories

INSTANT = dt.datetime(2020, 3, 1, 8, 30, 15, 250_000, tzinfo=dt.UTC)
MODELS: dict[type[Row], type[Model]] = {
    ProgrammeRow: models.Programme,
    ProjectRow: models.Project,
    TaskSheetRow: models.TaskSheet,
    TaskItemRow: models.TaskItem,
    PhaseRow: models.Phase,
    MilestoneRow: models.Milestone,
    RebaselineRow: models.Rebaseline,
    UserRow: models.User,
    TicketRow: models.ShortageTicket,
    TicketEventRow: models.TicketEvent,
    NotificationRow: models.Notification,
    PhotoRow: models.Photo,
    ReviewRow: models.SupervisionReview,
    DailyReportRow: models.DailyReport,
    DailyReportTradeRow: models.DailyReportTrade,
    SessionRow: models.AuthToken,
    AuditEntryRow: models.AuditEntry,
}
"""Every row type and the model of its table."""


async def _every_kind_of_row() -> dict[type[Row], int]:
    """One row of every table a row type reads, with every nullable column filled."""
    programme = await factories.programme()
    project = await factories.project(
        "ROW-1",
        programmes=(programme,),
        lead_official="张三",
        latitude=30.123456,
        longitude=114.654321,
        site_radius_meters=300,
        total_investment=decimal.Decimal("1.23456E+4"),
        status=models.ProjectStatus.UNDER_CONSTRUCTION,
        planned_start=dt.date(2020, 2, 20),
        planned_finish=dt.date(2021, 12, 31),
    )
    user = await models.User.create(
        username="rows",
        display_name="行",
        role=models.Role.SITE_MANAGER,
        unit="一公司",
        phone="0731-8888 0001",
        password_hash="x",
    )
    sheet = await models.TaskSheet.create(
        project=project,
        year=2020,
        revision=2,
        scope="主体",
        annual_investment_target=decimal.Decimal("100.00"),
        completed_investment=decimal.Decimal("-0"),
        approved_at=INSTANT,
    )
    item = await models.TaskItem.create(
        sheet=sheet,
        position=1,
        title="封顶",
        responsible_unit="建设局",
        responsible_person="李四",
        due_date=dt.date(2020, 6, 30),
        done=True,
    )
    phase = await models.Phase.create(
        project=project,
        name="施工",
        sequence=3,
        planned_start=dt.date(2020, 3, 1),
        planned_finish=dt.date(2020, 9, 1),
    )
    milestone = await models.Milestone.create(
        project=project,
        phase=phase,
        title="主体封顶",
        baseline_date=dt.date(2020, 4, 1),
        planned_date=dt.date(2020, 5, 1),
        actual_date=dt.date(2020, 5, 3),
        status=models.MilestoneStatus.DONE,
        completion_note="按期",
    )
    rebaseline = await models.Rebaseline.create(
        milestone=milestone,
        old_date=dt.date(2020, 4, 1),
        new_date=dt.date(2020, 5, 1),
        reason="疫情",
        actor=user,
    )
    report = await models.DailyReport.create(
        project=project,
        date=dt.date(2020, 3, 1),
        weather=models.Weather.SUNNY,
        temperature_low=-3,
        temperature_high=8,
        workers_needed=40,
        workers_on_site=28,
        equipment=[{"name": "塔吊", "count": 2}],
        materials_received=[{"material": "螺纹钢", "quantity": "12.5"}],
        materials_short=[{"material": "砂", "quantity": "3"}],
        work_done="绑扎",
        problems="缺员",
        reported_by=user,
        amended_at=INSTANT,
    )
    trade = await models.DailyReportTrade.create(
        report=report, trade=models.Trade.REBAR, needed=40, on_site=28
    )
    ticket = await models.ShortageTicket.create(
        number="MAT-2020-00001",
        project=project,
        kind=models.ShortageKind.MATERIAL,
        title="缺钢材",
        description="螺纹钢",
        severity=models.Severity.HIGH,
        trade="钢筋工",  # both kinds' columns filled, so every column reads back
        headcount=12,
        material="螺纹钢",
        specification="HRB400 Φ25",
        quantity=decimal.Decimal("12.5"),
        unit="吨",
        needed_by=dt.date(2020, 3, 5),
        blocking_milestone=milestone,
        daily_report=report,
        status=models.TicketStatus.RESOLVED,
        reporter=user,
        assignee=user,
        resolved_at=INSTANT,
        closed_at=INSTANT,
        satisfaction=5,
    )
    event = await models.TicketEvent.create(
        ticket=ticket,
        actor=user,
        action="resolve",
        from_status=models.TicketStatus.OPEN,
        to_status=models.TicketStatus.RESOLVED,
        note="已到货",
    )
    notification = await models.Notification.create(
        user=user, kind="ticket", message="已解决", ticket=ticket, subject_id="x", read_at=INSTANT
    )
    photo = await models.Photo.create(
        project=project,
        milestone=milestone,
        ticket=ticket,
        uploaded_by=user,
        caption="现场",
        taken_at=INSTANT,
        latitude=30.1,
        longitude=114.6,
        on_site=False,
        width=640,
        height=480,
        content_type="image/jpeg",
        byte_size=2**33,
        sha256="ab" * 32,
    )
    review = await models.SupervisionReview.create(
        milestone=milestone,
        project=project,
        reviewer=user,
        instruction="加快",
        respond_by=dt.date(2020, 3, 9),
        response="已加快",
        responded_at=INSTANT,
        responded_by=user,
    )
    token = await models.AuthToken.create(
        user=user,
        token_hash="cd" * 32,
        device_name="工地手机",
        expires_at=INSTANT,
        revoked_at=INSTANT,
        last_used_at=INSTANT,
        last_address="203.0.113.7",
    )
    entry = await models.AuditEntry.create(
        actor=user,
        action="updateUser",
        object_type="User",
        object_id=str(user.id),
        before={"unit": None, "nested": [1, "二"]},
        after={"unit": "一公司", "is_active": True},
    )
    made = (programme, project, sheet, item, phase, milestone, rebaseline, user, ticket)
    made += (event, notification, photo, review, report, trade, token, entry)
    return {row_type: instance.id for row_type, instance in zip(MODELS, made, strict=True)}


def _values(row: Row) -> dict[str, tuple[type, Any, str]]:
    """Each column's type, value and text (decimals equal in value may differ in scale)."""
    return {
        name: (type(value), value, str(value))
        for name in row.columns()
        for value in [getattr(row, name)]
    }


async def test_rows_from_sql_equal_the_orm_reading_value_for_value() -> None:
    rows = await _every_kind_of_row()

    for row_type, pk in rows.items():
        model = MODELS[row_type]
        expected = row_type.of(await model.get(id=pk))
        by_sql = (await rows_by_id(row_type, [pk]))[pk]
        by_queryset = (await queryset_rows(row_type, model.filter(id=pk)))[0]
        assert _values(by_sql) == _values(expected), row_type.__name__
        assert _values(by_queryset) == _values(expected), row_type.__name__
        empty = [name for name, (_, value, _) in _values(by_sql).items() if value is None]
        assert empty == [], row_type.__name__


async def test_every_nullable_column_reads_back_as_none() -> None:
    project = await factories.project("ROW-2")
    [row] = await fetch_rows(
        ProjectRow,
        f"SELECT {ProjectRow.select_list('p')} FROM project p WHERE p.id = :id",
        {"id": project.id},
    )
    assert row.lead_official is None and row.total_investment is None
    assert row.planned_start is None and row.latitude is None
    assert row.status is models.ProjectStatus.PLANNED


async def test_rows_are_frozen_and_carry_no_orm_state() -> None:
    project = await factories.project("ROW-3")
    row = (await rows_by_id(ProjectRow, [project.id]))[project.id]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.name = "changed"  # type: ignore[misc]
    assert not hasattr(row, "__dict__")
    assert not isinstance(row, Model)


def test_the_row_types_name_existing_columns_of_their_tables() -> None:
    for row_type, model in MODELS.items():
        description = model.describe(serializable=False)
        columns = {description["pk_field"]["db_column"]} | {
            field["db_column"] for field in description["data_fields"]
        }
        assert description["table"] == row_type.TABLE
        assert set(row_type.columns()) <= columns, row_type.__name__
    assert "password_hash" not in UserRow.columns()
