"""Taking in an upload as domain functions: refusals before decoding, replays, storing."""

from __future__ import annotations

from pathlib import Path

import pytest
from tortoise.transactions import in_transaction

from media.uploads import UploadedFile
from server.domain.access import Access
from server.domain.errors import Refused
from server.domain.models import AuditEntry, Photo, Role
from server.domain.photo_uploads import UploadRequest, prepare_upload, store_upload
from server.settings import Settings
from tests.conftest import MakeAccount
from tests.images import jpeg_bytes
from tests.ticket_helpers import make_milestone, make_project


def _upload(tmp_path: Path, data: bytes, name: str = "site.jpg") -> UploadedFile:
    path = tmp_path / name
    path.write_bytes(data)
    return UploadedFile("file", name, "image/jpeg", path, len(data))


async def test_an_upload_is_checked_decoded_and_stored_once(
    make_account: MakeAccount, settings: Settings, tmp_path: Path
) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project = await make_project(manager)
    request = UploadRequest(project.id, _upload(tmp_path, jpeg_bytes()), idempotency_key="k1")
    prepared = await prepare_upload(manager, settings, request)
    assert prepared.processed is not None and prepared.previous_id is None
    async with in_transaction():
        photo = await store_upload(settings, prepared)
    assert photo is not None and photo.uploaded_by_id == manager.id
    assert await AuditEntry.filter(action="uploadPhoto", object_id=str(photo.id)).count() == 1
    replay = await prepare_upload(Access(manager), settings, request)
    assert (replay.previous_id, replay.processed) == (photo.id, None)
    async with in_transaction():
        assert await store_upload(settings, replay) == photo
    assert await Photo.all().count() == 1


async def test_refusals_name_their_fields(
    make_account: MakeAccount, settings: Settings, tmp_path: Path
) -> None:
    manager = (await make_account(Role.SITE_MANAGER, "manager")).user
    project, hidden = await make_project(manager), await make_project()
    foreign = await make_milestone(hidden)
    upload = _upload(tmp_path, jpeg_bytes())
    cases = [
        (UploadRequest(hidden.id, upload), [("NOT_FOUND", ("input", "projectId"))]),
        (UploadRequest(None, upload), [("NOT_FOUND", ("input", "projectId"))]),
        (
            UploadRequest(project.id, upload, milestone_id=foreign.id, caption="x" * 501),
            [("NOT_FOUND", ("input", "milestoneId")), ("INVALID", ("input", "caption"))],
        ),
        (
            UploadRequest(project.id, upload, ticket_id=0, idempotency_key="\x00"),
            [("NOT_FOUND", ("input", "ticketId")), ("INVALID", ("input", "idempotencyKey"))],
        ),
        (
            UploadRequest(project.id, _upload(tmp_path, b"not an image", "x.jpg")),
            [("UNSUPPORTED_MEDIA_TYPE", ("input", "file"))],
        ),
    ]
    for request, expected in cases:
        with pytest.raises(Refused) as refused:
            await prepare_upload(manager, settings, request)
        assert [(p.code, p.field) for p in refused.value.problems] == expected, request
