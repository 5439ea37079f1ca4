"""Pages of the photos of projects, milestones or tickets, newest first, chosen by the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from server.models import Photo, User
from server.rawsql import build_models, columns_of, fetch

Owner = Literal["project_id", "milestone_id", "ticket_id"]
_UPLOADER = "uploader__"


@dataclass
class PhotoPage:
    """The photos of one page, who uploaded them, and how many photos the owner has in all.

    `total` is None for an empty page: the statement reads the total off the page's rows.
    """

    photos: list[Photo]
    uploaders: list[User]
    total: int | None


async def photo_pages(
    owner: Owner, owner_ids: Sequence[int], start: int, limit: int
) -> dict[int, PhotoPage]:
    """The photos `start` to `start + limit` (newest first) of each owner, in one statement.

    A project holds about 50 photos at the zone's scale and a screen shows a few, so each
    owner's list is numbered by the database and only the page comes back, with its total
    and each photo's uploader (every photo list shows who took the picture).
    """
    if not owner_ids:
        return {}
    rows = await fetch(
        f"SELECT numbered.*, {columns_of(User, 'u', _UPLOADER)} FROM (SELECT {columns_of(Photo)},"
        f" ROW_NUMBER() OVER (PARTITION BY {owner} ORDER BY uploaded_at DESC, id DESC)"
        f" AS list_position, COUNT(*) OVER (PARTITION BY {owner}) AS list_total"
        f' FROM "{Photo._meta.db_table}" WHERE {owner} IN (:owner_ids)) numbered'
        f' JOIN "{User._meta.db_table}" u ON u.id = numbered.uploaded_by_id'
        " WHERE list_position > :start AND list_position <= :stop"
        f" ORDER BY numbered.{owner}, list_position",
        {"owner_ids": list(owner_ids), "start": start, "stop": start + limit},
    )
    pages = {owner_id: PhotoPage([], [], None) for owner_id in owner_ids}
    photos = build_models(Photo, rows)
    uploaders = build_models(User, rows, _UPLOADER)
    for row, photo, uploader in zip(rows, photos, uploaders, strict=True):
        page = pages[row[owner]]
        page.photos.append(photo)
        page.uploaders.append(uploader)
        page.total = int(row["list_total"])
    return pages
