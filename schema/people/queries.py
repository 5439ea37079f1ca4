"""The people queries: `users` and `auditLog`."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.errors import ApiError
from schema.people.types import (
    AuditEntryConnection,
    AuditFilter,
    UserConnection,
    UserFilter,
    model_name,
)
from schema.permissions import requires, viewer
from schema.projects.types import enum_value
from schema.relay import decode_id, paginate_queryset, split_global_id
from server.domain import audit_log, people
from server.domain.access import AUDIT_READERS, USER_READERS
from server.domain.errors import Refused
from server.domain.models import Role
from server.domain.rows.accounts import AuditEntryRow, UserRow


class Queries:
    """People queries."""

    users = graphene.Field(
        UserConnection,
        required=True,
        filter=UserFilter(description="Which users to list."),
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        description="The accounts, by username (administrators, office staff, supervisors).",
    )
    audit_log = graphene.Field(
        AuditEntryConnection,
        required=True,
        filter=AuditFilter(description="Which entries to list."),
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        description="The audit log, newest first (administrators; supervisors without the "
        "accounts' own entries).",
    )

    @staticmethod
    @requires(USER_READERS)
    async def resolve_users(
        root: Any,
        info: ResolveInfo,
        filter: Any = None,
        first: int | None = None,
        after: str | None = None,
    ) -> UserConnection:
        given = filter or {}
        roles = given.get("role")
        flt = people.UserFilter(
            roles=None if roles is None else frozenset(Role(enum_value(r)) for r in roles),
            unit=given.get("unit"),
            active=given.get("active"),
            search=given.get("search"),
        )
        try:
            found = people.user_list(flt)
        except Refused as exc:
            raise ApiError("INVALID", exc.problems[0].message) from None
        return await paginate_queryset(UserConnection, found, UserRow, first, after)

    @staticmethod
    @requires(AUDIT_READERS)
    async def resolve_audit_log(
        root: Any,
        info: ResolveInfo,
        filter: Any = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AuditEntryConnection:
        given = filter or {}
        conditions: dict[str, Any] = {
            "action": given.get("action"),
            "since": given.get("from_"),
            "before": given.get("to"),
        }
        if given.get("actor_id") is not None:
            conditions["actor_id"] = decode_id(given["actor_id"], "User")
            if conditions["actor_id"] is None:
                raise ApiError("INVALID", "filter.actorId is not a user's ID.")
        if given.get("object_type") is not None:
            conditions["object_type"] = model_name(given["object_type"])
        if given.get("object_id") is not None:
            type_name, pk = split_global_id(given["object_id"])
            if type_name is None:
                raise ApiError("INVALID", "filter.objectId is not an ID this service gave out.")
            if given.get("object_type") not in (None, type_name):
                raise ApiError("INVALID", "filter.objectId is not of filter.objectType.")
            conditions["object_type"] = model_name(type_name)
            conditions["object_ids"] = (str(pk),)
        try:
            query = audit_log.audit_query(viewer(info), **conditions)
        except Refused as exc:
            raise ApiError(exc.problems[0].code, exc.problems[0].message) from None
        found = audit_log.entries(query)
        return await paginate_queryset(AuditEntryConnection, found, AuditEntryRow, first, after)
