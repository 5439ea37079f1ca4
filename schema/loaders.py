"""Per-request DataLoaders shared across domains: batch by primary key."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from aiodataloader import DataLoader
from tortoise.models import Model

from schema.context import RequestContext
from server.rawsql import fetch, fetch_models
from server.visibility import sees_everything


class ByIdLoader(DataLoader):
    """Loads rows of `model` by primary key in one query per batch."""

    model: ClassVar[type[Model]]

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, keys: Iterable[int]) -> list[Any]:
        keys = list(keys)
        rows = await fetch_models(self.model, "WHERE id IN (:ids)", {"ids": keys})
        by_id = {row.pk: row for row in rows}
        return [by_id.get(key) for key in keys]


# Hand-written, like the other statements of the site manager's home screen (issue 7).
_MANAGED_PROJECTS_SQL = (
    "SELECT s.user_id AS user_id, s.project_id AS project_id FROM project_site_manager s"
    " JOIN project p ON p.id = s.project_id WHERE s.user_id IN (:user_ids) ORDER BY p.code"
)


class ManagedProjectIdsLoader(DataLoader):
    """The ids of the projects each user is a site manager of (key: user id), by project code.

    Its one statement per request serves both visibility checks and `User.projects`: each
    value is a dict whose keys are the ids in code order, so membership tests are O(1).
    """

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, user_ids: Iterable[int]) -> list[dict[int, None]]:
        user_ids = list(user_ids)
        rows = await fetch(_MANAGED_PROJECTS_SQL, {"user_ids": user_ids})
        found: dict[int, dict[int, None]] = {uid: {} for uid in user_ids}
        for row in rows:
            found[row["user_id"]][row["project_id"]] = None
        return [found[uid] for uid in user_ids]


async def may_see_project(context: RequestContext, project_id: int) -> bool:
    """True when the request's user may see the project; batched per request."""
    user = context.user
    if user is None:
        return False
    if sees_everything(user):
        return True
    visible = await context.loaders.get(ManagedProjectIdsLoader).load(user.id)
    return project_id in visible
