"""Photo rules: on-site distance, storing a photo, signed file URLs, linking photos.

Taking an upload in (checks, decoding off the event loop) is `photo_uploads`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from pathlib import Path

import anyio.to_thread
from tortoise.transactions import in_transaction

from media import MediaStore, ProcessedImage, Variant
from server.domain import journal
from server.domain.audit import record
from server.domain.errors import Refused
from server.domain.idempotency import KeyUse, remember_result
from server.domain.models import Milestone, Photo, Project, ShortageTicket, User
from server.domain.reads import rows_by_id
from server.domain.rows.photos import PhotoRow
from server.domain.validation import MAX_ITEMS
from server.settings import Settings

EARTH_RADIUS_METERS = 6_371_008.8
UPLOAD_OPERATION = "uploadPhoto"


def haversine_meters(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two WGS 84 points, in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_METERS * math.asin(min(1.0, math.sqrt(a)))


def is_on_site(project: Project, latitude: float | None, longitude: float | None) -> bool | None:
    """Whether a position lies within the project's site radius; None when either is unknown."""
    if latitude is None or longitude is None:
        return None
    if project.latitude is None or project.longitude is None or project.site_radius_meters is None:
        return None
    distance = haversine_meters(project.latitude, project.longitude, latitude, longitude)
    return distance <= project.site_radius_meters


async def save_photo(
    settings: Settings,
    processed: ProcessedImage,
    original: Path,
    *,
    project: Project,
    user: User,
    milestone: Milestone | None = None,
    ticket: ShortageTicket | None = None,
    caption: str | None = None,
    idempotency: KeyUse | None = None,
) -> Photo:
    """Store the files, then the row, audit entry and idempotency record; call in a transaction.

    The writes run in a savepoint. Should they fail, the files this call created are removed
    again, so no file is left without its row, unless another row refers to the same bytes
    (an upload of them committed meanwhile, which owns the files now).
    """
    store = MediaStore(settings.media_root)
    created = await anyio.to_thread.run_sync(store.store, processed, original)
    try:
        async with in_transaction():
            metadata = processed.metadata
            photo = await Photo.create(
                project=project,
                milestone=milestone,
                ticket=ticket,
                uploaded_by=user,
                caption=caption,
                taken_at=metadata.taken_at,
                latitude=metadata.latitude,
                longitude=metadata.longitude,
                on_site=is_on_site(project, metadata.latitude, metadata.longitude),
                width=processed.width,
                height=processed.height,
                content_type=processed.content_type,
                byte_size=processed.byte_size,
                sha256=processed.sha256,
            )
            await record(user, UPLOAD_OPERATION, photo)
            await remember_result(idempotency, photo.id)
    except BaseException:
        if not await _owned_elsewhere(processed.sha256):
            await anyio.to_thread.run_sync(store.remove, created)
        raise
    return photo


async def _owned_elsewhere(sha256: str) -> bool:
    """True when a visible row refers to these bytes (checked after a failed savepoint)."""
    try:
        return await Photo.exists(sha256=sha256)
    except Exception:
        return False


async def photo_row(photo_id: int) -> PhotoRow | None:
    """The row of one photo, or None when there is none (one statement)."""
    return (await rows_by_id(PhotoRow, [photo_id])).get(photo_id)


def file_signature(secret_key: str, photo_id: int, variant: Variant, expires: int) -> str:
    """HMAC-SHA256 over photo, variant and expiry with the service's secret key."""
    message = f"photo:{photo_id}:{variant.value}:{expires}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def signed_file_url(
    settings: Settings, photo_id: int, variant: Variant, now: float | None = None
) -> str:
    """A URL of the photo file that works until the configured lifetime runs out."""
    issued = time.time() if now is None else now
    expires = int(issued) + settings.photo_url_ttl_seconds
    signature = file_signature(settings.secret_key, photo_id, variant, expires)
    return f"/photos/{photo_id}/{variant.value.lower()}?expires={expires}&signature={signature}"


def signature_is_valid(
    settings: Settings,
    photo_id: int,
    variant: Variant,
    expires: int,
    signature: str,
    now: float | None = None,
) -> bool:
    """True for an unexpired URL signed by this service."""
    if expires < (time.time() if now is None else now):
        return False
    expected = file_signature(settings.secret_key, photo_id, variant, expires)
    return hmac.compare_digest(expected, signature)


async def photos_of_project(
    photo_ids: list[int | None], project_id: int
) -> tuple[list[Photo], list[tuple[int, str]]]:
    """The photos with these ids (duplicates once), and (position, reason) for each id that is
    not a photo of the project; for linking photos to a milestone, a ticket or a daily report.

    More than MAX_ITEMS ids are refused as a whole (INVALID at `input.photoIds`) before the
    database is asked: it caps the parameters of one statement.
    """
    if len(photo_ids) > MAX_ITEMS:
        raise Refused("INVALID", f"At most {MAX_ITEMS} photos.", ("input", "photoIds"))
    wanted = [pk for pk in photo_ids if pk is not None]
    found = {photo.id: photo for photo in await Photo.filter(id__in=wanted)}
    accepted: list[Photo] = []
    refused: list[tuple[int, str]] = []
    for position, pk in enumerate(photo_ids):
        photo = found.get(pk) if pk is not None else None
        if photo is None or photo.project_id != project_id:
            refused.append((position, "No such photo of this project."))
        elif photo not in accepted:
            accepted.append(photo)
    return accepted, refused


async def proof_photos(
    photo_ids: list[int | None], milestone: Milestone
) -> tuple[list[Photo], list[tuple[int, str]]]:
    """The photos to link to `milestone` as proof, and (position, reason) for each refused id.

    Each must exist, belong to the milestone's project, and not be proof of another milestone.
    """
    photos, refused = await photos_of_project(photo_ids, milestone.project_id)
    accepted = []
    for photo in photos:
        if photo.milestone_id in (None, milestone.id):
            accepted.append(photo)
        else:
            position = photo_ids.index(photo.id)
            refused.append((position, "The photo is already proof of another milestone."))
    return accepted, sorted(refused)


async def link_proof_photos(photos: list[Photo], milestone: Milestone) -> None:
    """Link photos to a milestone as proof of its completion."""
    if photos:
        ids = [photo.id for photo in photos]
        await Photo.filter(id__in=ids).update(milestone_id=milestone.id)
        await journal.note("Photo", ids, project_id=milestone.project_id)
