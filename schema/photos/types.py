"""The photo types: Photo and its pages, and the photo lists of projects, milestones and
tickets (their resolvers live here because they build the pages)."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from media import Variant as MediaVariant
from schema.enums import described_enum
from schema.errors import ApiError
from schema.loaders.accounts import UserLoader
from schema.loaders.photos import (
    MilestonePhotosLoader,
    PhotoLoader,
    PhotoPageLoader,
    ProjectPhotosLoader,
    TicketPhotosLoader,
)
from schema.loaders.projects import ProjectLoader
from schema.loaders.schedule import MilestoneLoader
from schema.loaders.tickets import visible_ticket
from schema.relay import CountableConnection, Node, build_connection, cursor_offset, page_size
from schema.scalars import DateTime
from server.domain import photos
from server.domain.photo_lists import photo_count
from server.domain.rows.accounts import UserRow
from server.domain.rows.photos import PhotoRow
from server.domain.rows.plans import MilestoneRow, ProjectRow
from server.domain.rows.tickets import TicketRow

PhotoVariant = described_enum(
    MediaVariant,
    "A stored rendition of a photo.",
    {
        "ORIGINAL": "The uploaded file, byte for byte, as evidence.",
        "LARGE": "A JPEG at most 1600 px on its longest side, upright, without metadata.",
        "THUMBNAIL": "A JPEG at most 320 px on its longest side, upright, without metadata.",
    },
)


class Photo(graphene.ObjectType):
    """A photo taken on site, kept byte for byte as evidence."""

    class Meta:
        interfaces = (Node,)

    project = graphene.Field(
        "schema.projects.types.Project", required=True, description="The project it shows."
    )
    milestone = graphene.Field(
        "schema.schedule.types.Milestone", description="The milestone it is proof of."
    )
    ticket = graphene.Field(
        "schema.tickets.types.ShortageTicket",
        description="The shortage ticket it shows, if visible.",
    )
    uploaded_by = graphene.Field(
        "schema.accounts.types.User", required=True, description="Who uploaded it."
    )
    caption = graphene.String(description="What the uploader wrote about it.")
    taken_at = graphene.Field(DateTime, description="When it was taken, from EXIF when present.")
    uploaded_at = graphene.Field(DateTime, required=True, description="When it was received.")
    location = graphene.Field(
        "schema.projects.types.GeoPoint", description="Where it was taken, from EXIF GPS."
    )
    on_site = graphene.Boolean(
        description="Taken within the site radius; null when the photo or project has no location."
    )
    width = graphene.Int(required=True, description="Pixels across, upright.")
    height = graphene.Int(required=True, description="Pixels down, upright.")
    content_type = graphene.String(required=True, description="MIME type of the original.")
    byte_size = graphene.Int(required=True, description="Size of the original in bytes.")
    sha256 = graphene.String(required=True, description="SHA-256 of the original, in hex.")
    url = graphene.String(
        required=True,
        variant=graphene.Argument(
            PhotoVariant, default_value=MediaVariant.LARGE, description="Which rendition."
        ),
        description="A signed link to the file that expires (ORIGINAL: staff and site managers).",
    )

    @classmethod
    async def get_node(cls, info: ResolveInfo, pk: int) -> PhotoRow | None:
        photo = await info.context.loaders.get(PhotoLoader).load(pk)
        if photo is None or not await info.context.access.can_see_project(photo.project_id):
            return None
        return photo

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, PhotoRow)

    @staticmethod
    async def resolve_project(root: PhotoRow, info: ResolveInfo) -> ProjectRow:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    async def resolve_milestone(root: PhotoRow, info: ResolveInfo) -> MilestoneRow | None:
        if root.milestone_id is None:
            return None
        return await info.context.loaders.get(MilestoneLoader).load(root.milestone_id)

    @staticmethod
    async def resolve_ticket(root: PhotoRow, info: ResolveInfo) -> TicketRow | None:
        if root.ticket_id is None:
            return None
        return await visible_ticket(info.context, root.ticket_id)

    @staticmethod
    async def resolve_uploaded_by(root: PhotoRow, info: ResolveInfo) -> UserRow:
        return await info.context.loaders.get(UserLoader).load(root.uploaded_by_id)

    @staticmethod
    def resolve_location(root: PhotoRow, info: ResolveInfo) -> dict[str, float] | None:
        if root.latitude is None or root.longitude is None:
            return None
        return {"latitude": root.latitude, "longitude": root.longitude}

    @staticmethod
    async def resolve_url(
        root: PhotoRow, info: ResolveInfo, variant: Any = MediaVariant.LARGE
    ) -> str:
        # An explicit null takes the default too.
        chosen = MediaVariant(getattr(variant, "value", variant) or MediaVariant.LARGE)
        if chosen == MediaVariant.ORIGINAL and not await info.context.access.can_read_originals(
            root.project_id
        ):
            raise ApiError("FORBIDDEN", "Only staff and the site's managers may fetch originals.")
        path = photos.signed_file_url(info.context.settings, root.id, chosen)
        request = info.context.request
        return str(request.base_url).rstrip("/") + path if request is not None else path


class PhotoConnection(CountableConnection):
    """A page of photos."""

    class Meta:
        node = Photo


async def _photo_connection(
    loader: type[PhotoPageLoader],
    owner_id: int,
    info: ResolveInfo,
    first: int | None,
    after: str | None,
) -> PhotoConnection:
    """A page of an owner's photos, newest first, batched across owners."""
    limit = page_size(first)
    start = cursor_offset(after)
    page = await info.context.loaders.get(loader).load((owner_id, start, limit))
    total = page.total
    if total is None and start == 0:
        total = 0

    async def count_past_the_end() -> int:
        return await photo_count(loader.owner, owner_id)

    return build_connection(
        PhotoConnection,
        page.photos,
        start=start,
        has_next=total is not None and start + limit < total,
        count=total if total is not None else count_past_the_end,
    )


async def project_photos(
    project_id: int, info: ResolveInfo, first: int | None, after: str | None
) -> PhotoConnection:
    """A page of a project's photos, newest first (batched across projects)."""
    return await _photo_connection(ProjectPhotosLoader, project_id, info, first, after)


async def milestone_photos(
    milestone_id: int, info: ResolveInfo, first: int | None, after: str | None
) -> PhotoConnection:
    """A page of the photos linked to a milestone, newest first (batched across milestones)."""
    return await _photo_connection(MilestonePhotosLoader, milestone_id, info, first, after)


async def ticket_photos(
    ticket_id: int, info: ResolveInfo, first: int | None, after: str | None
) -> PhotoConnection:
    """A page of the photos linked to a shortage ticket, newest first (batched across tickets)."""
    return await _photo_connection(TicketPhotosLoader, ticket_id, info, first, after)
