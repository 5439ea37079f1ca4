"""The account types: the User and their Role."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.enums import described_enum
from schema.loaders.accounts import SessionsLoader, UserLoader
from schema.projects.pages import user_projects
from schema.relay import Node
from server.domain import models
from server.domain.access import sees_sessions_of
from server.domain.rows.accounts import SessionRow, UserRow

Role = described_enum(
    models.Role,
    "What a user does in the zone.",
    {
        "ADMIN": "Administrator: users, roles, sessions, membership, the audit log; and what "
        "OFFICE may do.",
        "OFFICE": "Project office staff: set up programmes, projects and plans; triage tickets.",
        "SUPERVISOR": "Supervisor (督查): reviews overdue work and issues instructions.",
        "COORDINATOR": "Coordinator (服务专员): works the tickets assigned to them.",
        "SITE_MANAGER": "Site manager: reports from their own projects' sites.",
    },
)


class User(graphene.ObjectType):
    """A person who signs in."""

    class Meta:
        interfaces = (Node,)

    username = graphene.String(required=True, description="Sign-in name.")
    display_name = graphene.String(required=True, description="Name shown to others.")
    role = graphene.Field(Role, required=True, description="What the user does.")
    unit = graphene.String(description="The user's organisation or department.")
    phone = graphene.String(description="A phone number to reach them on.")
    active = graphene.Boolean(
        required=True, description="False once disabled: the account can no longer sign in."
    )
    must_change_password = graphene.Boolean(
        required=True, description="True until the user replaces an initial or reset password."
    )
    sessions = graphene.List(
        graphene.NonNull("schema.people.types.Session"),
        required=True,
        description="The user's live sign-ins, newest first: the viewer's own, or anyone's "
        "for an administrator (empty for others).",
    )
    projects = graphene.Field(
        "schema.projects.types.ProjectConnection",
        required=True,
        first=graphene.Int(description="Page size: 20 by default, at most 100."),
        after=graphene.String(description="Cursor of the item before the page."),
        description="The projects this user works on (runs the site of), by code.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> UserRow | None:
        if info.context.user is None:
            return None
        return await info.context.loaders.get(UserLoader).load(pk)

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, UserRow)

    @staticmethod
    def resolve_active(root: UserRow, info: ResolveInfo) -> bool:
        return root.is_active

    @staticmethod
    async def resolve_sessions(root: UserRow, info: ResolveInfo) -> list[SessionRow]:
        user = info.context.user
        if user is None or not sees_sessions_of(user, root.id):
            return []
        return await info.context.loaders.get(SessionsLoader).load(root.id)

    @staticmethod
    async def resolve_projects(
        root: UserRow, info: ResolveInfo, first: int | None = None, after: str | None = None
    ) -> Any:
        return await user_projects(info, root, first, after)
