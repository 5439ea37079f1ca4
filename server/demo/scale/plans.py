"""The scale seed's plans: task sheets, phases and about 20 milestones per project, with their
dependencies and re-plans; milestones left pending past their date are recorded as overdue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from server.demo.scale.tables import Table, model_table
from server.demo.scale.vocabulary import (
    KINDS_OF_WORK,
    MILESTONE_TITLES,
    OFFICIALS,
    PHASES,
    REBASELINE_REASONS,
    UNITS,
)
from server.demo.scale.zone import Zone
from server.domain import models


@dataclass(frozen=True)
class _PlanTables:
    """The tables a project's plan fills."""

    sheets: Table
    items: Table
    phases: Table
    milestones: Table
    dependencies: Table
    rebaselines: Table


def add_plans(zone: Zone) -> None:
    """Every project's plan; records each project's milestones and the overdue ones on `zone`."""
    tables = _PlanTables(
        sheets=zone.add(
            model_table(
                models.TaskSheet,
                "id",
                "project_id",
                "year",
                "revision",
                "scope",
                "annual_investment_target",
                "completed_investment",
                "approved_at",
                "created_at",
            )
        ),
        items=zone.add(
            model_table(
                models.TaskItem,
                "id",
                "sheet_id",
                "position",
                "title",
                "responsible_unit",
                "responsible_person",
                "due_date",
                "done",
            )
        ),
        phases=zone.add(
            model_table(
                models.Phase,
                "id",
                "project_id",
                "name",
                "sequence",
                "planned_start",
                "planned_finish",
            )
        ),
        milestones=zone.add(
            model_table(
                models.Milestone,
                "id",
                "project_id",
                "phase_id",
                "title",
                "baseline_date",
                "planned_date",
                "actual_date",
                "status",
                "created_at",
            )
        ),
        dependencies=zone.add(
            model_table(
                models.MilestoneDependency, "id", "predecessor_id", "successor_id", "lag_days"
            )
        ),
        rebaselines=zone.add(
            model_table(
                models.Rebaseline,
                "id",
                "milestone_id",
                "old_date",
                "new_date",
                "reason",
                "actor_id",
                "at",
            )
        ),
    )
    for pk, (start, finish, status) in zone.project_spans.items():
        span = max((finish - start).days, 60)
        _task_sheets(zone, tables, pk, start, span)
        phase_ids = _phases(tables.phases, pk, start, span)
        zone.milestones_of[pk] = _milestones(zone, tables, pk, (start, span, status), phase_ids)


def _task_sheets(zone: Zone, tables: _PlanTables, pk: int, start: dt.date, span: int) -> None:
    """One to three revisions of the project's task sheet, five items each."""
    rng = zone.rng
    sheets, items = tables.sheets, tables.items
    year = zone.project_years[pk]
    for revision in range(1, rng.choice((1, 1, 2, 3)) + 1):
        sheet_id = len(sheets.rows) + 1
        target = Decimal(rng.randint(100_00, 50_000_00)) / 100
        approved = zone.instant(start - dt.timedelta(days=20 - revision))
        sheets.rows.append(
            (
                sheet_id,
                pk,
                year,
                revision,
                "建设内容：" + rng.choice(KINDS_OF_WORK),
                target,
                (target * Decimal(rng.randint(0, 100)) / 100).quantize(Decimal("0.01")),
                approved,
                approved,
            )
        )
        for position in range(1, 6):
            due = start + dt.timedelta(days=span * position // 6)
            items.rows.append(
                (
                    len(items.rows) + 1,
                    sheet_id,
                    position,
                    rng.choice(MILESTONE_TITLES),
                    rng.choice(UNITS),
                    rng.choice(OFFICIALS),
                    due,
                    due < zone.today and rng.random() < 0.85,
                )
            )


def _phases(phases: Table, pk: int, start: dt.date, span: int) -> list[int]:
    """The project's phases, splitting its span evenly; their ids in sequence."""
    phase_ids = []
    for sequence, name in enumerate(PHASES, start=1):
        phase_id = len(phases.rows) + 1
        phase_ids.append(phase_id)
        phases.rows.append(
            (
                phase_id,
                pk,
                name,
                sequence,
                start + dt.timedelta(days=span * (sequence - 1) // len(PHASES)),
                start + dt.timedelta(days=span * sequence // len(PHASES)),
            )
        )
    return phase_ids


def _milestones(
    zone: Zone,
    tables: _PlanTables,
    pk: int,
    project: tuple[dt.date, int, models.ProjectStatus],
    phase_ids: list[int],
) -> list[int]:
    """16 to 24 milestones spread over the project's span (start, days, status); their ids.

    Most follow the one before; some were re-planned, and those of the past are mostly done.
    """
    rng, today = zone.rng, zone.today
    milestones, dependencies = tables.milestones, tables.dependencies
    start, span, status = project
    count = rng.randint(16, 24)
    ids: list[int] = []
    created = zone.instant(start - dt.timedelta(days=10))
    for index in range(count):
        milestone_id = len(milestones.rows) + 1
        ids.append(milestone_id)
        baseline = start + dt.timedelta(days=span * (index + 1) // (count + 1))
        planned = _replanned(zone, tables.rebaselines, milestone_id, baseline)
        done = status == models.ProjectStatus.COMPLETED or (planned < today and rng.random() < 0.9)
        actual = None
        if not done and planned < today:
            zone.overdue.append((milestone_id, pk, planned))
        if done:
            actual = min(planned + dt.timedelta(days=rng.randint(-5, 12)), today)
        milestones.rows.append(
            (
                milestone_id,
                pk,
                phase_ids[index * len(PHASES) // count],
                MILESTONE_TITLES[index % len(MILESTONE_TITLES)],
                baseline,
                planned,
                actual,
                (models.MilestoneStatus.DONE if done else models.MilestoneStatus.PENDING).value,
                created,
            )
        )
        if index and rng.random() < 0.8:
            dependencies.rows.append(
                (len(dependencies.rows) + 1, ids[index - 1], milestone_id, rng.randint(0, 7))
            )
        if index >= 3 and rng.random() < 0.1:
            dependencies.rows.append((len(dependencies.rows) + 1, ids[index - 3], milestone_id, 0))
    return ids


def _replanned(zone: Zone, rebaselines: Table, milestone_id: int, baseline: dt.date) -> dt.date:
    """The milestone's planned date after none, one or two re-plans (each one recorded)."""
    rng = zone.rng
    planned = baseline
    for _ in range(rng.choice((0, 0, 0, 0, 0, 1, 1, 2))):
        new = planned + dt.timedelta(days=rng.randint(-10, 60))
        moved_at = zone.instant(min(planned, zone.today) - dt.timedelta(days=15))
        rebaselines.rows.append(
            (
                len(rebaselines.rows) + 1,
                milestone_id,
                planned,
                new,
                rng.choice(REBASELINE_REASONS),
                rng.choice(zone.office),
                moved_at,
            )
        )
        planned = new
    return planned
