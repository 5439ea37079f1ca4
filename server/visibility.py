"""Which projects a user may see: site managers see their own, everyone else sees all."""

from __future__ import annotations

from tortoise.queryset import QuerySet

from server.models import Project, Role, User
from server.rawsql import build_models, columns_of, fetch


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


async def managed_project_page(user_id: int, start: int, limit: int) -> tuple[list[Project], int]:
    """A page of the projects a site manager works on, by code, and how many there are.

    One statement: the rows of the page with the total alongside (a page past the end asks
    the database for the total on its own).
    """
    rows = await fetch(
        f"SELECT {columns_of(Project, 'p')}, COUNT(*) OVER () AS list_total FROM project p"
        " JOIN project_site_manager s ON s.project_id = p.id WHERE s.user_id = :user_id"
        " ORDER BY p.code, p.id LIMIT :limit OFFSET :start",
        {"user_id": user_id, "limit": limit, "start": start},
    )
    if rows:
        return build_models(Project, rows), int(rows[0]["list_total"])
    return [], await Project.filter(site_managers__id=user_id).count()
