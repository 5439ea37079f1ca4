"""The scale seed's users: the office, supervisors, coordinators and a site manager per three
projects, plus one site manager of many projects and one supervisor the bench signs in as."""

from __future__ import annotations

import datetime as dt

from server.demo.scale.tables import model_table
from server.demo.scale.vocabulary import UNITS
from server.demo.scale.zone import Zone
from server.domain import models

BUSY_SITE_MANAGER = "site_busy"
"""The site manager of many projects (the bench's home screen signs in as them)."""
SUPERVISOR = "supervisor_scale"
"""The supervisor the bench signs in as."""
PROJECTS_PER_SITE_MANAGER = 3


def add_users(zone: Zone) -> None:
    """The user table; records the ids of each role's users on `zone`."""
    table = zone.add(
        model_table(
            models.User,
            "id",
            "username",
            "display_name",
            "role",
            "unit",
            "is_active",
            "password_hash",
            "created_at",
        )
    )
    created = zone.now - dt.timedelta(days=5 * 365)

    def user(username: str, role: models.Role, display: str, unit: str) -> int:
        pk = len(table.rows) + 1
        row = (pk, username, display, role.value, unit, True, zone.password_hash, created)
        table.rows.append(row)
        return pk

    for i in range(1, 11):
        zone.office.append(user(f"office_{i:02d}", models.Role.OFFICE, f"项目办 {i}", UNITS[1]))
    zone.supervisors.append(
        user(SUPERVISOR, models.Role.SUPERVISOR, "督查室 规模测试", "经开区督查室")
    )
    for i in range(1, 5):
        zone.supervisors.append(
            user(f"supervisor_{i:02d}", models.Role.SUPERVISOR, f"督查室 {i}", "经开区督查室")
        )
    for i in range(1, 41):
        zone.coordinators.append(
            user(f"coordinator_{i:02d}", models.Role.COORDINATOR, f"服务专员 {i}", "企业服务中心")
        )
    zone.busy_site_manager = user(
        BUSY_SITE_MANAGER, models.Role.SITE_MANAGER, "现场负责人 多项目", UNITS[4]
    )
    count = max(1, zone.project_count // PROJECTS_PER_SITE_MANAGER)
    for i in range(1, count + 1):
        unit = UNITS[zone.rng.randrange(len(UNITS))]
        zone.site_managers.append(
            user(f"site_{i:05d}", models.Role.SITE_MANAGER, f"现场负责人 {i}", unit)
        )
