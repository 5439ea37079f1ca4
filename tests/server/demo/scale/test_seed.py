"""seed-scale: a consistent zone written in bulk, and refusal to write into a used database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.demo.scale import BUSY_SITE_MANAGER, seed_scale
from server.domain import models
from server.domain.clock import zone_today
from server.settings import Settings


async def test_seed_scale_writes_a_consistent_zone(settings: Settings) -> None:
    report = await seed_scale(settings, projects=8, seed=7)

    assert await models.Project.all().count() == 8
    assert report.counts["project"] == 8
    milestones = await models.Milestone.all().count()
    assert 16 * 8 <= milestones <= 24 * 8
    assert report.counts["milestone"] == milestones
    assert await models.MilestoneDependency.all().count() > 0
    assert await models.Rebaseline.all().count() > 0
    assert await models.Programme.filter(projects__id=1).exists()
    busy = await models.User.get(username=BUSY_SITE_MANAGER)
    assert await models.Project.filter(site_managers__id=busy.id).count() == 8
    for milestone in await models.Milestone.filter(status=models.MilestoneStatus.DONE):
        assert milestone.actual_date is not None
        assert milestone.actual_date <= zone_today(settings.zone)
    for link in await models.MilestoneDependency.all().prefetch_related("predecessor", "successor"):
        assert link.predecessor.project_id == link.successor.project_id
    tickets = await models.ShortageTicket.all()
    numbers = [ticket.number for ticket in tickets]
    assert len(numbers) == len(set(numbers))
    for ticket in tickets:
        events = await models.TicketEvent.filter(ticket_id=ticket.id).order_by("at", "id")
        assert events[0].to_status == models.TicketStatus.OPEN
        assert events[-1].to_status == ticket.status
    # The sequences continue after the explicit ids: the ORM can still insert.
    extra = await models.Programme.create(code="X", name="extra", year=2000)
    assert extra.id > report.counts["programme"]


async def test_seed_scale_refuses_a_database_in_use(settings: Settings) -> None:
    await seed_scale(settings, projects=2)
    with pytest.raises(ValueError, match="empty database"):
        await seed_scale(settings, projects=2)


def test_seed_scale_command(tmp_path: Path) -> None:
    env = {**os.environ, "WALLCHART_DATABASE_URL": f"sqlite://{tmp_path / 'scale.sqlite3'}"}
    command = [sys.executable, "-m", "server", "seed-scale", "--projects", "4"]
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stderr
    assert "project 4" in first.stdout
    second = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert second.returncode != 0
    assert "empty database" in second.stderr
