"""The photo mutation: `uploadPhoto`."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.errors import errors_field
from schema.mutations import mutation
from schema.photos.types import Photo
from schema.relay import decode_id, input_id
from schema.uploads import Upload
from server.domain import models
from server.domain.access import SITE_WRITERS
from server.domain.photo_uploads import (
    PreparedUpload,
    UploadRequest,
    prepare_upload,
    store_upload,
)


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


async def _prepare(info: ResolveInfo, user: models.User | None, input: Any) -> PreparedUpload:
    """Check the upload and decode the image before the transaction (slow, no connection)."""
    request = UploadRequest(
        project_id=decode_id(input.project_id, "Project"),
        file=input.file,
        milestone_id=input_id(input.milestone_id, "Milestone"),
        ticket_id=input_id(input.ticket_id, "ShortageTicket"),
        caption=input.caption,
        idempotency_key=input.idempotency_key,
    )
    return await prepare_upload(info.context.access, info.context.settings, request)


@mutation(
    PhotoPayload,
    UploadPhotoInput,
    roles=SITE_WRITERS,
    description="Upload a photo of a project's site (SITE_MANAGER of the project, OFFICE, ADMIN).",
    prepare=_prepare,
)
async def upload_photo(
    info: ResolveInfo, user: models.User | None, prepared: PreparedUpload
) -> dict[str, Any]:
    return {"photo": await store_upload(info.context.settings, prepared)}


class Mutations:
    """Photos mutations."""

    upload_photo = upload_photo
