"""The account queries: `me`."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.accounts.types import User
from server.domain.rows.accounts import UserRow


class Queries:
    """Account queries."""

    me = graphene.Field(User, description="The signed-in user; null without a valid token.")

    @staticmethod
    def resolve_me(root: Any, info: ResolveInfo) -> UserRow | None:
        user = info.context.user
        return None if user is None else UserRow.of(user)
