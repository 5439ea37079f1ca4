"""Projects: reads and rules of the project register."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from server.domain.models import Project


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
