"""Demo supervision instructions: one answered, one waiting, one past its respond-by date."""

from __future__ import annotations

import datetime as dt

from server.domain.clock import utc_now, zone_today
from server.domain.models import Milestone, MilestoneStatus, SupervisionReview, User
from server.settings import Settings

INSTRUCTIONS = (
    ("请于三日内报告复工人员到岗情况及钢筋进场计划。", 3, None),
    ("逾期节点请说明原因，并提出赶工措施。", -2, None),
    ("请核实塔吊安装进度。", -10, "塔吊已于本周一安装完成，已报质监站验收。"),
)


async def seed_supervision(settings: Settings) -> list[str]:
    """Review the three most overdue demo milestones once; return what was created."""
    if await SupervisionReview.exists():
        return []
    supervisor = await User.get_or_none(username="supervisor")
    if supervisor is None:
        return []
    today = zone_today(settings.zone)
    milestones = (
        await Milestone.filter(status=MilestoneStatus.PENDING, planned_date__lt=today)
        .order_by("planned_date", "project_id", "id")
        .limit(len(INSTRUCTIONS))
    )
    created = []
    for milestone, (instruction, due_in, response) in zip(milestones, INSTRUCTIONS, strict=False):
        manager = await User.filter(managed_projects__id=milestone.project_id).first()
        await SupervisionReview.create(
            milestone=milestone,
            project_id=milestone.project_id,
            reviewer=supervisor,
            instruction=instruction,
            respond_by=today + dt.timedelta(days=due_in),
            response=response,
            responded_at=utc_now() if response else None,
            responded_by=manager if response else None,
        )
        created.append(f"review of {milestone.title}")
    return created
