"""Which projects a user may see: site managers see their own, everyone else sees all."""

from __future__ import annotations

from tortoise.queryset import QuerySet

from server.models import Project, Role, User


def sees_everything(user: User) -> bool:
    """True for roles that read every project (all but SITE_MANAGER)."""
    return user.role != Role.SITE_MANAGER


def visible_projects(user: User) -> QuerySet[Project]:
    """The projects `user` may see, as a queryset to filter further."""
    if sees_everything(user):
        return Project.all()
    return Project.filter(site_managers__id=user.id)


async def managed_project_ids(user: User) -> set[int]:
    """Ids of the projects `user` is a site manager of."""
    rows = await Project.filter(site_managers__id=user.id).values_list("id", flat=True)
    return set(rows)


async def can_see_project(user: User | None, project_id: int) -> bool:
    """True when `user` may see the project (it need not exist)."""
    if user is None:
        return False
    if sees_everything(user):
        return True
    return await Project.filter(id=project_id, site_managers__id=user.id).exists()
