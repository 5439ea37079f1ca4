"""The people types: sign-in sessions, audit log entries and the filters that list them."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo
from graphql import GraphQLObjectType

from schema.accounts.types import Role, User
from schema.loaders.accounts import UserLoader
from schema.relay import CountableConnection, Node, global_id
from schema.scalars import DateTime
from server.domain import audit_log, sessions
from server.domain.access import AUDIT_READERS, audit_types_hidden_from, sees_sessions_of
from server.domain.accounts import token_digest
from server.domain.models import AuditEntry as AuditEntryModel
from server.domain.rows import queryset_rows
from server.domain.rows.accounts import AuditEntryRow, SessionRow

MODEL_OF_TYPE = {"Session": "AuthToken"}
"""Model names of the GraphQL types that are named otherwise (others share their name)."""
TYPE_OF_MODEL = {model: type_name for type_name, model in MODEL_OF_TYPE.items()}


def model_name(type_name: str) -> str:
    """The model name the audit log stores for objects of a GraphQL type."""
    return MODEL_OF_TYPE.get(type_name, type_name)


class Session(graphene.ObjectType):
    """A live sign-in: one bearer token, on one device."""

    class Meta:
        interfaces = (Node,)

    device_name = graphene.String(description="The device the token was issued to, as named.")
    created_at = graphene.Field(DateTime, required=True, description="When it was issued.")
    expires_at = graphene.Field(DateTime, required=True, description="When it stops working.")
    last_used_at = graphene.Field(
        DateTime, description="When it was last used (to the minute); null if never since."
    )
    last_address = graphene.String(description="The client address of its last use.")
    current = graphene.Boolean(
        required=True, description="True for the token this request was signed with."
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> SessionRow | None:
        user = info.context.user
        if user is None:
            return None
        found = await queryset_rows(SessionRow, sessions.live_token(pk))
        if not found or not sees_sessions_of(user, found[0].user_id):
            return None
        return found[0]

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, SessionRow)

    @staticmethod
    def resolve_current(root: SessionRow, info: ResolveInfo) -> bool:
        token = info.context.token
        return sessions.is_current(root, None if token is None else token_digest(token))


class FieldChange(graphene.ObjectType):
    """One field an audited change touched: its value before and after, as text."""

    field = graphene.String(required=True, description="The field (the stored column's name).")
    before = graphene.String(description="The value before; null when there was none.")
    after = graphene.String(description="The value after; null when there is none.")


class AuditEntry(graphene.ObjectType):
    """One entry of the audit log: who did what, when, to which object, and what changed."""

    class Meta:
        interfaces = (Node,)

    at = graphene.Field(DateTime, required=True, description="When.")
    actor = graphene.Field(User, description="Who; null for the command line or a stranger.")
    action = graphene.String(required=True, description="What was done (e.g. updateUser).")
    object_type = graphene.String(
        required=True, description="The kind of object (its GraphQL type name)."
    )
    object_id = graphene.ID(
        description="The object's global ID: `node(id:)` answers it while the object exists "
        "and the viewer may see it; null for an object without one."
    )
    changes = graphene.List(
        graphene.NonNull(FieldChange),
        required=True,
        description="The fields whose values differ before and after, by name.",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> AuditEntryRow | None:
        user = info.context.user
        if user is None or user.role not in AUDIT_READERS:
            return None
        hidden = audit_types_hidden_from(user)
        found = await queryset_rows(AuditEntryRow, AuditEntryModel.filter(id=pk))
        if not found or found[0].object_type in hidden:
            return None
        return found[0]

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, AuditEntryRow)

    @staticmethod
    async def resolve_actor(root: AuditEntryRow, info: ResolveInfo) -> Any:
        if root.actor_id is None:
            return None
        return await info.context.loaders.get(UserLoader).load(root.actor_id)

    @staticmethod
    def resolve_object_type(root: AuditEntryRow, info: ResolveInfo) -> str:
        return TYPE_OF_MODEL.get(root.object_type, root.object_type)

    @staticmethod
    def resolve_object_id(root: AuditEntryRow, info: ResolveInfo) -> str | None:
        type_name = TYPE_OF_MODEL.get(root.object_type, root.object_type)
        graphql_type = info.schema.get_type(type_name)
        is_node = isinstance(graphql_type, GraphQLObjectType) and any(
            interface.name == "Node" for interface in graphql_type.interfaces
        )
        if not is_node or root.object_id is None or not root.object_id.isdigit():
            return None
        return global_id(type_name, int(root.object_id))

    @staticmethod
    def resolve_changes(root: AuditEntryRow, info: ResolveInfo) -> list[audit_log.FieldChange]:
        return audit_log.field_changes(root)


class UserConnection(CountableConnection):
    """A page of users."""

    class Meta:
        node = User


class AuditEntryConnection(CountableConnection):
    """A page of audit log entries."""

    class Meta:
        node = AuditEntry


class UserFilter(graphene.InputObjectType):
    """Which users to list; every given condition must hold."""

    role = graphene.List(graphene.NonNull(Role), description="Any of these roles.")
    unit = graphene.String(description="Of this unit (exactly).")
    active = graphene.Boolean(description="Active (true) or disabled (false) accounts only.")
    search = graphene.String(description="Text in the username or display name, case aside.")


class AuditFilter(graphene.InputObjectType):
    """Which audit entries to list; every given condition must hold."""

    actor_id = graphene.ID(description="Done by this user.")
    object_id = graphene.ID(description="About this object (its global ID).")
    object_type = graphene.String(description="About objects of this type, e.g. ShortageTicket.")
    action = graphene.String(description="This action, e.g. updateUser.")
    from_ = graphene.InputField(DateTime, name="from", description="At or after this instant.")
    to = graphene.InputField(DateTime, description="Before this instant.")
