"""Building blocks for the ticket tests: projects with site managers, tickets in any status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.domain.models import (
    Milestone,
    Photo,
    Project,
    Severity,
    ShortageKind,
    ShortageTicket,
    TicketEvent,
    TicketStatus,
    User,
)

_serial = iter(range(1, 1_000_000))


async def make_project(*site_managers: User, code: str | None = None) -> Project:
    """A project with these site managers."""
    number = next(_serial)
    project = await Project.create(
        code=code or f"P-{number}", name=f"项目 {number}", responsible_unit="重大项目办"
    )
    if site_managers:
        await project.site_managers.add(*site_managers)
    return project


async def make_milestone(project: Project, planned: dt.date | None = None) -> Milestone:
    """A pending milestone of the project."""
    date = planned or dt.date(2026, 6, 30)
    return await Milestone.create(
        project=project, title="主体结构封顶", baseline_date=date, planned_date=date
    )


async def make_ticket(
    project: Project,
    reporter: User,
    status: TicketStatus = TicketStatus.OPEN,
    *,
    assignee: User | None = None,
    **fields: Any,
) -> ShortageTicket:
    """A LABOUR ticket written straight to the database in `status` (with its CREATE event)."""
    number = next(_serial)
    values: dict[str, Any] = {
        "number": f"LAB-1999-{number:04d}",
        "kind": ShortageKind.LABOUR,
        "title": "钢筋工不足",
        "trade": "钢筋工",
        "headcount": 12,
        "severity": Severity.MEDIUM,
    }
    values.update(fields)
    ticket = await ShortageTicket.create(
        project=project, reporter=reporter, status=status, assignee=assignee, **values
    )
    await TicketEvent.create(ticket=ticket, actor=reporter, action="CREATE", to_status=status)
    return ticket


async def make_photo(project: Project, uploader: User, **fields: Any) -> Photo:
    """A photo row of the project (its files do not matter to linking)."""
    number = next(_serial)
    return await Photo.create(
        project=project,
        uploaded_by=uploader,
        width=640,
        height=480,
        content_type="image/jpeg",
        byte_size=1024,
        sha256=f"{number:064x}",
        **fields,
    )
