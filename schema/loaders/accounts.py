"""The accounts domain's DataLoaders."""

from __future__ import annotations

from schema.context import RequestContext
from schema.loaders import ByIdLoader
from server.domain.rows.accounts import UserRow


class UserLoader(ByIdLoader):
    """Users by id; the signed-in user is known from the start (no statement for them)."""

    row = UserRow

    def __init__(self, context: RequestContext) -> None:
        super().__init__(context)
        if context.user is not None:
            self.prime(context.user.id, UserRow.of(context.user))
