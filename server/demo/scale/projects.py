"""The scale seed's programmes (six a year) and projects, with their programmes and managers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from server.demo.scale.tables import model_table, through_table
from server.demo.scale.vocabulary import (
    KINDS_OF_WORK,
    OFFICIALS,
    PROGRAMMES,
    TOWNS,
    UNITS,
    ZONE_CENTRE,
)
from server.demo.scale.zone import Zone
from server.domain import models

BUSY_PROJECT_COUNT = 20
"""Projects the busy site manager manages besides their owner."""


def add_programmes(zone: Zone) -> None:
    """Every programme of each of the last six years."""
    table = zone.add(model_table(models.Programme, "id", "code", "name", "year"))
    for year in zone.years:
        for code, name in PROGRAMMES:
            pk = len(table.rows) + 1
            table.rows.append((pk, code, f"{year}年{name}", year))
            zone.programme_ids[(code, year)] = pk


def add_projects(zone: Zone) -> None:
    """The projects, one or two programmes each, an owner and perhaps the busy site manager."""
    rng = zone.rng
    projects = zone.add(
        model_table(
            models.Project,
            "id",
            "code",
            "name",
            "responsible_unit",
            "lead_official",
            "town",
            "latitude",
            "longitude",
            "site_radius_meters",
            "total_investment",
            "status",
            "planned_start",
            "planned_finish",
            "created_at",
            "updated_at",
        )
    )
    programmes = zone.add(through_table("project_programme", "project_id", "programme_id"))
    managers = zone.add(through_table("project_site_manager", "project_id", "user_id"))
    busy_count = min(BUSY_PROJECT_COUNT, zone.project_count)
    busy = set(rng.sample(range(1, zone.project_count + 1), busy_count))
    for pk in range(1, zone.project_count + 1):
        year = rng.choice(zone.years)
        start = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
        finish = start + dt.timedelta(days=rng.randint(300, 1100))
        status = _status(zone, start, finish)
        town = rng.choice(TOWNS)
        unit = rng.choice(UNITS)
        investment = Decimal(rng.randint(500_00, 500_000_00)) / 100
        created = zone.instant(start - dt.timedelta(days=30))
        projects.rows.append(
            (
                pk,
                f"XZJK-{year}-{pk:05d}",
                f"{town}{rng.choice(KINDS_OF_WORK)}（{pk}号）",
                unit,
                rng.choice(OFFICIALS),
                town,
                ZONE_CENTRE[0] + rng.uniform(-0.08, 0.08),
                ZONE_CENTRE[1] + rng.uniform(-0.1, 0.1),
                rng.choice((200, 300, 500, 800)),
                investment,
                status.value,
                start,
                finish,
                created,
                created,
            )
        )
        zone.project_years[pk] = year
        zone.project_spans[pk] = (start, finish, status)
        codes = [rng.choice(PROGRAMMES[:4])[0]]
        if rng.random() < 0.2:
            codes.append(rng.choice(PROGRAMMES[4:])[0])
        for code in codes:
            programmes.rows.append((pk, zone.programme_ids[(code, year)]))
        owner = zone.site_managers[(pk - 1) % len(zone.site_managers)]
        zone.managers_of[pk] = [owner]
        managers.rows.append((pk, owner))
        if pk in busy:
            zone.managers_of[pk].append(zone.busy_site_manager)
            managers.rows.append((pk, zone.busy_site_manager))


def _status(zone: Zone, start: dt.date, finish: dt.date) -> models.ProjectStatus:
    """A project's status: planned before its start, mostly completed well after its finish."""
    if start > zone.today:
        return models.ProjectStatus.PLANNED
    if finish < zone.today - dt.timedelta(days=60) and zone.rng.random() < 0.8:
        return models.ProjectStatus.COMPLETED
    if zone.rng.random() < 0.04:
        return models.ProjectStatus.SUSPENDED
    return models.ProjectStatus.UNDER_CONSTRUCTION
