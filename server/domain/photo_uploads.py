"""Taking in an uploaded photo (uploadPhoto): checks, decoding off the event loop, storing.

An upload runs in two steps. `prepare_upload` checks the request and decodes the image in a
worker thread before any transaction starts (decoding is slow and must not hold a database
connection); `store_upload` then writes it inside the transaction. A retry under an
idempotency key already used for the same request is not decoded again and returns the first
photo; the key used for another request is a CONFLICT. A file the media layer refuses is
refused at the `file` field with the media layer's code.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
from tortoise.queryset import QuerySet

from media import MediaError, ProcessedImage, process_image
from media.uploads import UploadedFile
from server.domain.access import Access, access_of, acting_user
from server.domain.errors import Problems, Refused
from server.domain.idempotency import (
    KEY_FIELD,
    KeyUse,
    key_problem,
    previous_result,
    remember_result,
    ttl_of,
)
from server.domain.models import Milestone, Photo, Project, ShortageTicket, User
from server.domain.photos import UPLOAD_OPERATION, save_photo
from server.domain.rows import queryset_rows
from server.domain.rows.photos import PhotoRow
from server.settings import Settings
from server.telemetry import metrics

MAX_CAPTION_LENGTH = 500
FILE_FIELD = ("input", "file")
IMAGE_WORKERS = 2
IMAGE_WORKER_NICENESS = 10
_image_pool: ThreadPoolExecutor | None = None


def _lower_thread_priority() -> None:
    """Run this worker thread at a lower CPU priority than the event loop (Linux: per thread)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), IMAGE_WORKER_NICENESS)


def _image_executor() -> ThreadPoolExecutor:
    """The few low-priority threads that decode photos: bounded memory, a responsive loop."""
    global _image_pool
    if _image_pool is None:
        _image_pool = ThreadPoolExecutor(
            IMAGE_WORKERS, thread_name_prefix="photo", initializer=_lower_thread_priority
        )
    return _image_pool


async def inspect_upload(path: Path, settings: Settings) -> ProcessedImage:
    """Check and render an uploaded file in a worker thread; refused files at `file`."""
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(
            _image_executor(),
            lambda: process_image(path, max_pixels=settings.max_image_pixels, zone=settings.zone),
        )
    except MediaError as exc:
        raise Refused(exc.code, exc.message, FILE_FIELD) from None


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes, read in blocks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


async def upload_key_use(
    settings: Settings,
    user: User,
    key: str | None,
    upload: Path,
    *,
    project: Project,
    milestone: Milestone | None = None,
    ticket: ShortageTicket | None = None,
    caption: str | None = None,
) -> KeyUse | None:
    """The use of an upload's idempotency key, bound to the file's bytes and where it goes.

    The file is hashed in a worker thread, and only when a key was sent.
    """
    if not key:
        return None
    values = {
        "project": project.id,
        "milestone": milestone.id if milestone is not None else None,
        "ticket": ticket.id if ticket is not None else None,
        "caption": caption,
        "file": await anyio.to_thread.run_sync(file_sha256, upload),
    }
    return KeyUse.of(user, UPLOAD_OPERATION, key, values, ttl_of(settings))


@dataclass(frozen=True)
class UploadRequest:
    """What the uploader sent. Ids are decoded: None when not given, 0 for one that never
    exists (`project_id`: None when malformed)."""

    project_id: int | None
    file: UploadedFile
    milestone_id: int | None = None
    ticket_id: int | None = None
    caption: str | None = None
    idempotency_key: str | None = None


@dataclass
class PreparedUpload:
    """An upload checked outside the transaction: who, its targets and the decoded image."""

    uploader: User
    project: Project
    upload: UploadedFile
    milestone: Milestone | None = None
    ticket: ShortageTicket | None = None
    caption: str | None = None
    key_use: KeyUse | None = None
    processed: ProcessedImage | None = None
    previous_id: int | None = None


async def prepare_upload(
    actor: User | Access, settings: Settings, request: UploadRequest
) -> PreparedUpload:
    """Check the request and the uploader's access, then decode the image in a worker thread.

    Refused: NOT_FOUND for a project the uploader may not see, or a milestone or ticket not of
    that project; INVALID for an over-long caption or a bad key; the media layer's codes for
    the file. A retry under a key already used for the same request is not decoded again.
    """
    access = access_of(actor)
    uploader = acting_user(access)
    project = await access.project(request.project_id, ("input", "projectId"))
    problems = Problems()
    milestone = await _project_child(
        problems, Milestone, request.milestone_id, project, "milestoneId"
    )
    ticket = await _project_child(problems, ShortageTicket, request.ticket_id, project, "ticketId")
    caption = (request.caption or "").strip() or None
    if caption is not None and len(caption) > MAX_CAPTION_LENGTH:
        problems.add("INVALID", f"At most {MAX_CAPTION_LENGTH} characters.", "input", "caption")
    key = request.idempotency_key or None
    if (problem := key_problem(key)) is not None:
        problems.add("INVALID", problem, *KEY_FIELD)
    problems.raise_if_any()
    key_use = await upload_key_use(
        settings,
        uploader,
        key,
        request.file.path,
        project=project,
        milestone=milestone,
        ticket=ticket,
        caption=caption,
    )
    prepared = PreparedUpload(uploader, project, request.file, milestone, ticket, caption, key_use)
    prepared.previous_id = await previous_result(key_use)
    if prepared.previous_id is None:
        started = time.perf_counter()
        prepared.processed = await inspect_upload(request.file.path, settings)
        metrics.record_upload(request.file.size, time.perf_counter() - started)
    return prepared


async def _project_child(
    problems: Problems, model: Any, pk: int | None, project: Project, field: str
) -> Any:
    """The row `pk` of `model` when it belongs to `project` (None when not asked for); records
    NOT_FOUND at `field` otherwise. One of another project is reported exactly like one that
    does not exist."""
    if pk is None:
        return None
    found = await model.get_or_none(id=pk, project_id=project.id)
    if found is None:
        message = f"No such {model.__name__} in this project."
        problems.add("NOT_FOUND", message, "input", field)
    return found


async def store_upload(settings: Settings, prepared: PreparedUpload) -> PhotoRow | None:
    """Store a prepared upload; call inside the transaction.

    Answers with the row of the first upload under the key when there is one (None if it was
    deleted since), or the project's photo of the same bytes; otherwise the row of the new
    photo, stored with its audit entry and idempotency record.
    """
    if prepared.previous_id is None:
        # A simultaneous first call with the key may have committed since prepare_upload.
        prepared.previous_id = await previous_result(prepared.key_use)
    if prepared.previous_id is not None:
        return await _photo_row(Photo.filter(id=prepared.previous_id))
    processed = prepared.processed
    if processed is None:
        raise RuntimeError("prepare_upload did not decode the file")
    existing = await _photo_row(
        Photo.filter(project_id=prepared.project.id, sha256=processed.sha256)
    )
    if existing is not None:
        await remember_result(prepared.key_use, existing.id)
        return existing
    try:
        photo = await save_photo(
            settings,
            processed,
            prepared.upload.path,
            project=prepared.project,
            user=prepared.uploader,
            milestone=prepared.milestone,
            ticket=prepared.ticket,
            caption=prepared.caption,
            idempotency=prepared.key_use,
        )
    except MediaError as exc:
        raise Refused(exc.code, exc.message, FILE_FIELD) from None
    return PhotoRow.of(photo)


async def _photo_row(queryset: QuerySet[Photo]) -> PhotoRow | None:
    """The row of the one photo a queryset selects, or None."""
    found = await queryset_rows(PhotoRow, queryset.limit(1))
    return found[0] if found else None
