"""The sync query: `changes(since:, first:)`."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import graphene
from graphene import ResolveInfo

from schema.errors import ApiError
from schema.permissions import requires, viewer
from schema.sync.types import ChangeSet, ResolvedChanges
from server.domain import sync
from server.domain.access import READERS
from server.domain.errors import Refused


class Queries:
    """Sync queries."""

    changes = graphene.Field(
        ChangeSet,
        required=True,
        since=graphene.String(
            description="The nextToken of the last page applied; none for the whole working set."
        ),
        first=graphene.Int(
            description=f"Most objects per page: {sync.DEFAULT_PAGE} by default, at most "
            f"{sync.MAX_PAGE} (a project handed to the viewer arrives whole on its page)."
        ),
        description="What changed in the viewer's world since `since`, page by page, in a "
        "stable order; SYNC_TOKEN_EXPIRED asks the app to start again without a token.",
    )

    @staticmethod
    @requires(READERS)
    async def resolve_changes(
        root: Any, info: ResolveInfo, since: str | None = None, first: int | None = None
    ) -> ResolvedChanges:
        try:
            page = await sync.changes(viewer(info), since, info.context.today, first)
        except Refused as exc:
            raise ApiError(exc.code, exc.problems[0].message) from None
        loaded = await asyncio.gather(*(_node(info, ref) for ref in page.upserts))
        upserts, tombstones = [], list(page.tombstones)
        for ref, row in zip(page.upserts, loaded, strict=True):
            if row is not None:
                upserts.append(row)
            else:  # changed or hidden between the journal read and the load
                tombstones.append(
                    sync.Tombstone(ref.typename, ref.object_id, sync.TombstoneReason.NOT_VISIBLE)
                )
        return ResolvedChanges(upserts, tombstones, page.next_token, page.has_more)


async def _node(info: ResolveInfo, ref: sync.ObjectRef) -> Any:
    """The row of one upsert through its type's loader (batched with the others)."""
    graphene_type = info.schema.get_type(ref.typename).graphene_type
    node = graphene_type.get_node(info, ref.object_id)
    return await node if inspect.isawaitable(node) else node


class Mutations:
    """Sync changes nothing itself: phones write through the other domains' mutations."""
