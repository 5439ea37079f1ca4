"""Demo data for a new installation: one account of each role, then each domain's samples."""

from __future__ import annotations

from server.demo.daily_reports import seed_daily_reports
from server.demo.photos import seed_photos
from server.demo.plans import seed_plans
from server.demo.supervision import seed_supervision
from server.demo.tickets import seed_tickets
from server.domain.accounts import create_user
from server.domain.models import Role, User
from server.settings import Settings

DEMO_USERS = (
    ("admin", Role.ADMIN, "系统管理员", "经开区管委会"),
    ("office", Role.OFFICE, "项目办 李敏", "经开区重大项目办"),
    ("supervisor", Role.SUPERVISOR, "督查室 王磊", "经开区督查室"),
    ("coordinator", Role.COORDINATOR, "服务专员 赵静", "经开区企业服务中心"),
    ("site1", Role.SITE_MANAGER, "现场负责人 张伟", "中建八局"),
    ("site2", Role.SITE_MANAGER, "现场负责人 刘洋", "徐工集团基建处"),
)


async def is_empty() -> bool:
    """True when the database has no users yet (a new installation)."""
    return not await User.exists()


async def seed_demo(settings: Settings) -> list[str]:
    """Create the demo data that is missing; return the names of what was created. Idempotent."""
    created = []
    for username, role, display_name, unit in DEMO_USERS:
        if await User.exists(username=username):
            continue
        await create_user(
            username, settings.demo_password, role, display_name=display_name, unit=unit
        )
        created.append(username)
    created.extend(await seed_plans(settings))
    created.extend(await seed_tickets(settings))
    created.extend(await seed_photos(settings))
    created.extend(await seed_supervision(settings))
    created.extend(await seed_daily_reports(settings))
    return created
