"""The accounts domain's DataLoaders."""

from __future__ import annotations

from collections.abc import Iterable

from aiodataloader import DataLoader

from schema.context import RequestContext
from schema.loaders import ByIdLoader
from server.domain import sessions
from server.domain.rows.accounts import SessionRow, UserRow


class UserLoader(ByIdLoader):
    """Users by id; the signed-in user is known from the start (no statement for them)."""

    row = UserRow

    def __init__(self, context: RequestContext) -> None:
        super().__init__(context)
        if context.user is not None:
            self.prime(context.user.id, UserRow.of(context.user))


class SessionsLoader(DataLoader):
    """The live sessions of users, by user id (one statement per batch)."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, user_ids: Iterable[int]) -> list[list[SessionRow]]:
        keys = list(user_ids)
        found = await sessions.live_sessions_of(keys)
        return [found.get(key, []) for key in keys]
