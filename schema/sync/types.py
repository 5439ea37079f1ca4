"""The sync types: a page of changes and the tombstones of what to drop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import graphene
from graphene import ResolveInfo

from schema.enums import described_enum
from schema.relay import Node, global_id
from server.domain import sync

TombstoneReasonEnum = described_enum(
    sync.TombstoneReason,
    "Why the phone must drop an object.",
    {
        "DELETED": "The object no longer exists.",
        "NOT_VISIBLE": "The object exists but the viewer may no longer see it (e.g. the project "
        "was handed to another site manager).",
    },
)


class Tombstone(graphene.ObjectType):
    """An object the phone must drop from its copy."""

    id = graphene.ID(required=True, description="Global ID of the object to drop.")
    typename = graphene.String(required=True, description="Its GraphQL type, e.g. Milestone.")
    reason = graphene.Field(TombstoneReasonEnum, required=True, description="Why to drop it.")

    @staticmethod
    def resolve_id(root: sync.Tombstone, info: ResolveInfo) -> str:
        return global_id(root.typename, root.object_id)

    @staticmethod
    def resolve_reason(root: sync.Tombstone, info: ResolveInfo) -> str:
        return root.reason.value


@dataclass(frozen=True, slots=True)
class ResolvedChanges:
    """A page of changes with its upserts loaded as the rows their types resolve."""

    upserts: list[Any]
    tombstones: list[sync.Tombstone]
    next_token: str
    has_more: bool


class ChangeSet(graphene.ObjectType):
    """One page of what changed in the viewer's world: apply the upserts and tombstones, keep
    `nextToken`, and ask again while `hasMore`."""

    upserts = graphene.List(
        graphene.NonNull(Node),
        required=True,
        description="Objects to store as they are now (select their fields with fragments).",
    )
    tombstones = graphene.List(
        graphene.NonNull(Tombstone), required=True, description="Objects to drop."
    )
    next_token = graphene.String(
        required=True, description="The token to ask `changes(since:)` with next time."
    )
    has_more = graphene.Boolean(
        required=True, description="True when more changes wait: ask again now with nextToken."
    )
