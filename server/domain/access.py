"""Which projects a user may see: site managers see their own, everyone else sees all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tortoise.queryset import QuerySet

from server.domain.models import Project, Role, User


def sees_everything(user: User) -> bool:
    """True for roles that read every project (all but SITE_MANAGER)."""
    return user.role != Role.SITE_MANAGER


def visible_projects(user: User) -> QuerySet[Project]:
    """The projects `user` may see, as a queryset to filter further."""
    if sees_everything(user):
        return Project.all()
    return Project.filter(site_managers__id=user.id)


async def can_see_project(user: User | None, project_id: int) -> bool:
    """True when `user` may see the project (it need not exist)."""
    if user is None:
        return False
    if sees_everything(user):
        return True
    return await Project.filter(id=project_id, site_managers__id=user.id).exists()


async def managed_project_page(
    user_id: int, start: int, limit: int
) -> tuple[list[Project], bool, Callable[[], Awaitable[int]]]:
    """A page of the projects a site manager works on, by code.

    Returns the page, whether more follow, and a way to count them all (run only when a
    client asks for the total). The page's statement is written out (ids are whole numbers)
    and run through the ORM's public `raw`: the query builder cost more than the query.
    """
    rows = await Project.raw(
        "SELECT p.* FROM project p JOIN project_site_manager s ON s.project_id = p.id"
        f" WHERE s.user_id = {int(user_id)} ORDER BY p.code, p.id"
        f" LIMIT {int(limit) + 1} OFFSET {int(start)}"
    )
    return rows[:limit], len(rows) > limit, Project.filter(site_managers__id=user_id).count
