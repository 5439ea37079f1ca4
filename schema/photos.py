"""On-site photos: the Photo type, photo lists of projects and milestones, uploadPhoto."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import graphene
from aiodataloader import DataLoader
from graphene import ResolveInfo

from media import MediaError, ProcessedImage
from media import Variant as MediaVariant
from media.uploads import UploadedFile
from schema.accounts import User
from schema.context import RequestContext
from schema.errors import ApiError, errors_field
from schema.loaders import may_see_project
from schema.loaders.accounts import UserLoader
from schema.loaders.photos import PhotoLoader
from schema.loaders.projects import ProjectLoader
from schema.loaders.schedule import MilestoneLoader
from schema.mutations import mutation
from schema.projects import GeoPoint, Project
from schema.relay import (
    CountableConnection,
    Node,
    build_connection,
    cursor_offset,
    decode_id,
    page_size,
)
from schema.scalars import DateTime
from schema.schedule import Milestone
from schema.uploads import Upload
from server.domain import models, photos
from server.domain.errors import Problems, Refused
from server.domain.idempotency import (
    KeyReused,
    KeyUse,
    key_problem,
    previous_result,
    remember_result,
)
from server.domain.photo_lists import Owner, PhotoPage, photo_pages

PhotoVariant = graphene.Enum.from_enum(MediaVariant, description="A stored rendition of a photo.")

MAX_CAPTION_LENGTH = 500
UPLOADERS = (models.Role.SITE_MANAGER, models.Role.OFFICE, models.Role.ADMIN)
ORIGINAL_READERS = frozenset({models.Role.OFFICE, models.Role.SUPERVISOR, models.Role.ADMIN})


class PhotoPageLoader(DataLoader):
    """One page of each owner's photos, newest first (key: owner id, offset, page size).

    One statement per distinct (offset, page size), whatever the number of owners; the
    uploaders come with it and are handed to the user loader.
    """

    owner: ClassVar[Owner]

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, keys: Iterable[tuple[int, int, int]]) -> list[PhotoPage]:
        keys = list(keys)
        owners_by_window: dict[tuple[int, int], list[int]] = defaultdict(list)
        for owner_id, start, limit in keys:
            owners_by_window[(start, limit)].append(owner_id)
        found: dict[tuple[int, int, int], PhotoPage] = {}
        users = self.context.loaders.get(UserLoader)
        for (start, limit), owner_ids in owners_by_window.items():
            pages = await photo_pages(self.owner, owner_ids, start, limit)
            for owner_id, page in pages.items():
                found[(owner_id, start, limit)] = page
                for uploader in page.uploaders:
                    users.prime(uploader.id, uploader)
        return [found[key] for key in keys]


class ProjectPhotosLoader(PhotoPageLoader):
    """Photos of projects."""

    owner = "project_id"


class MilestonePhotosLoader(PhotoPageLoader):
    """Photos linked to milestones."""

    owner = "milestone_id"


class TicketPhotosLoader(PhotoPageLoader):
    """Photos linked to shortage tickets."""

    owner = "ticket_id"


class Photo(graphene.ObjectType):
    """A photo taken on site, kept byte for byte as evidence."""

    class Meta:
        interfaces = (Node,)

    project = graphene.Field(Project, required=True, description="The project it shows.")
    milestone = graphene.Field(Milestone, description="The milestone it is proof of.")
    # Shortage tickets (issue 5): the ticket type lives in schema/tickets.py.
    ticket = graphene.Field(
        "schema.tickets.ShortageTicket", description="The shortage ticket it shows, if visible."
    )
    uploaded_by = graphene.Field(User, required=True, description="Who uploaded it.")
    caption = graphene.String(description="What the uploader wrote about it.")
    taken_at = graphene.Field(DateTime, description="When it was taken, from EXIF when present.")
    uploaded_at = graphene.Field(DateTime, required=True, description="When it was received.")
    location = graphene.Field(GeoPoint, description="Where it was taken, from EXIF GPS.")
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
    async def get_node(cls, info: ResolveInfo, pk: int) -> models.Photo | None:
        photo = await info.context.loaders.get(PhotoLoader).load(pk)
        if photo is None or not await may_see_project(info.context, photo.project_id):
            return None
        return photo

    @classmethod
    def is_type_of(cls, root: Any, info: ResolveInfo) -> bool:
        return isinstance(root, models.Photo)

    @staticmethod
    async def resolve_project(root: models.Photo, info: ResolveInfo) -> models.Project:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    async def resolve_milestone(root: models.Photo, info: ResolveInfo) -> models.Milestone | None:
        if root.milestone_id is None:
            return None
        return await info.context.loaders.get(MilestoneLoader).load(root.milestone_id)

    @staticmethod
    async def resolve_ticket(root: models.Photo, info: ResolveInfo) -> Any:
        if root.ticket_id is None:
            return None
        from schema.tickets import ShortageTicket  # schema.tickets imports this module

        return await ShortageTicket.get_node(info, root.ticket_id)

    @staticmethod
    async def resolve_uploaded_by(root: models.Photo, info: ResolveInfo) -> models.User:
        return await info.context.loaders.get(UserLoader).load(root.uploaded_by_id)

    @staticmethod
    def resolve_location(root: models.Photo, info: ResolveInfo) -> dict[str, float] | None:
        if root.latitude is None or root.longitude is None:
            return None
        return {"latitude": root.latitude, "longitude": root.longitude}

    @staticmethod
    async def resolve_url(
        root: models.Photo, info: ResolveInfo, variant: Any = MediaVariant.LARGE
    ) -> str:
        # An explicit null takes the default too.
        chosen = MediaVariant(getattr(variant, "value", variant) or MediaVariant.LARGE)
        if chosen == MediaVariant.ORIGINAL and not await may_read_original(info, root):
            raise ApiError("FORBIDDEN", "Only staff and the site's managers may fetch originals.")
        path = photos.signed_file_url(info.context.settings, root.id, chosen)
        request = info.context.request
        return str(request.base_url).rstrip("/") + path if request is not None else path


async def may_read_original(info: ResolveInfo, photo: models.Photo) -> bool:
    """OFFICE, SUPERVISOR, ADMIN and the project's site managers may fetch the original."""
    user = info.context.user
    if user is None:
        return False
    if user.role in ORIGINAL_READERS:
        return True
    return user.role == models.Role.SITE_MANAGER and await may_see_project(
        info.context, photo.project_id
    )


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
        return await models.Photo.filter(**{loader.owner: owner_id}).count()

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


class UploadPhotoInput(graphene.InputObjectType):
    """A photo file for a project, optionally linked to one of its milestones or tickets."""

    project_id = graphene.ID(required=True, description="The project photographed.")
    # An InputField (a Field here would default to null, and graphql-core would then let a
    # nullable variable fill this non-null position).
    file = graphene.InputField(
        Upload, required=True, description="The image: JPEG, PNG, WebP, HEIC."
    )
    milestone_id = graphene.ID(description="A milestone of the project this photo is proof of.")
    ticket_id = graphene.ID(description="A shortage ticket of the project it illustrates.")
    caption = graphene.String(description="A few words about the photo.")
    idempotency_key = graphene.String(
        description=(
            "A retry with the same key and the same input returns the first result and stores "
            "nothing new; the same key with another input is a CONFLICT. Keys are remembered "
            "for a week (WALLCHART_IDEMPOTENCY_KEY_TTL_HOURS)."
        )
    )


class PhotoPayload(graphene.ObjectType):
    """Result of `uploadPhoto`."""

    photo = graphene.Field(Photo, description="The stored photo (or the earlier identical one).")
    errors = errors_field()


@dataclass
class PreparedUpload:
    """An upload checked outside the transaction: its targets and the decoded image."""

    project: models.Project
    upload: UploadedFile
    milestone: models.Milestone | None = None
    ticket: models.ShortageTicket | None = None
    caption: str | None = None
    key_use: KeyUse | None = None
    processed: ProcessedImage | None = None
    previous_id: int | None = None


async def prepare_upload(info: ResolveInfo, user: models.User, input: Any) -> PreparedUpload:
    """Check the input and permissions, then decode the image in a worker thread.

    A retry under an idempotency key already used for the same input is not decoded again;
    the key used for another input is a CONFLICT.
    """
    problems = Problems()
    project_pk = decode_id(input.project_id, "Project")
    project = await models.Project.get_or_none(id=project_pk) if project_pk else None
    if project is None or not await may_see_project(info.context, project.id):
        raise Refused("NOT_FOUND", "No such project.", ["input", "projectId"])
    milestone = await _project_child(
        problems, models.Milestone, input.milestone_id, "Milestone", project, "milestoneId"
    )
    ticket = await _project_child(
        problems, models.ShortageTicket, input.ticket_id, "ShortageTicket", project, "ticketId"
    )
    caption = (input.caption or "").strip() or None
    if caption is not None and len(caption) > MAX_CAPTION_LENGTH:
        problems.add("INVALID", f"At most {MAX_CAPTION_LENGTH} characters.", "input", "caption")
    key = input.idempotency_key or None
    if (problem := key_problem(key)) is not None:
        problems.add("INVALID", problem, "input", "idempotencyKey")
    problems.raise_if_any()
    settings = info.context.settings
    key_use = await photos.upload_key_use(
        settings,
        user,
        key,
        input.file.path,
        project=project,
        milestone=milestone,
        ticket=ticket,
        caption=caption,
    )
    prepared = PreparedUpload(project, input.file, milestone, ticket, caption, key_use)
    prepared.previous_id = await _earlier_upload(key_use)
    if prepared.previous_id is None:
        try:
            prepared.processed = await photos.inspect_upload(input.file.path, settings)
        except MediaError as exc:
            raise Refused(exc.code, exc.message, ["input", "file"]) from None
    return prepared


async def _earlier_upload(key_use: KeyUse | None) -> int | None:
    """The photo id of the first upload under the key; CONFLICT when it had another input."""
    try:
        return await previous_result(key_use)
    except KeyReused as exc:
        raise Refused("CONFLICT", exc.message, ["input", "idempotencyKey"]) from None


async def _project_child(
    problems: Problems,
    model: Any,
    gid: str | None,
    type_name: str,
    project: models.Project,
    field: str,
) -> Any:
    """The object of `gid` when it belongs to `project`; records a problem otherwise.

    One of another project is reported exactly like one that does not exist.
    """
    if gid is None:
        return None
    pk = decode_id(gid, type_name)
    found = await model.get_or_none(id=pk, project_id=project.id) if pk is not None else None
    if found is None:
        problems.add("NOT_FOUND", f"No such {type_name} in this project.", "input", field)
    return found


@mutation(
    PhotoPayload,
    UploadPhotoInput,
    roles=UPLOADERS,
    description="Upload a photo of a project's site (SITE_MANAGER of the project, OFFICE, ADMIN).",
    prepare=prepare_upload,
)
async def upload_photo(
    info: ResolveInfo, user: models.User, prepared: PreparedUpload
) -> dict[str, Any]:
    if prepared.previous_id is None:
        # A simultaneous first call with the key may have committed since prepare_upload.
        prepared.previous_id = await _earlier_upload(prepared.key_use)
    if prepared.previous_id is not None:
        return {"photo": await models.Photo.get_or_none(id=prepared.previous_id)}
    processed = prepared.processed
    if processed is None:
        raise RuntimeError("prepare_upload did not decode the file")
    existing = await models.Photo.get_or_none(
        project_id=prepared.project.id, sha256=processed.sha256
    )
    if existing is not None:
        await remember_result(prepared.key_use, existing.id)
        return {"photo": existing}
    try:
        photo = await photos.save_photo(
            info.context.settings,
            processed,
            prepared.upload.path,
            project=prepared.project,
            user=user,
            milestone=prepared.milestone,
            ticket=prepared.ticket,
            caption=prepared.caption,
            idempotency=prepared.key_use,
        )
    except MediaError as exc:
        raise Refused(exc.code, exc.message, ["input", "file"]) from None
    return {"photo": photo}


class Queries:
    """Photos queries."""


class Mutations:
    """Photos mutations."""

    upload_photo = upload_photo


TYPES = (Photo,)
