"""Pages of the photos of projects, milestones or tickets, newest first, chosen by the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from server.domain.models import Photo
from server.domain.rawsql import fetch
from server.domain.reads import rows_by_id
from server.domain.rows.photos import PhotoRow

Owner = Literal["project_id", "milestone_id", "ticket_id"]


@dataclass
class PhotoPage:
    """The photos of one page, and how many photos the owner has in all.

    `total` is None for an empty page: the statement reads the total off the page's rows.
    """

    photos: list[PhotoRow]
    total: int | None


async def photo_pages(
    owner: Owner, owner_ids: Sequence[int], start: int, limit: int
) -> dict[int, PhotoPage]:
    """The photos `start` to `start + limit` (newest first) of each owner, in two statements.

    A project holds about 50 photos at the zone's scale and a screen shows a few, so each
    owner's list is numbered by the database and only the page's ids come back, with their
    totals; the page's photos then come as plain rows in one statement. Their uploaders are
    the next relation level, loaded (when asked for) by the request's user loader in one batch.
    """
    if not owner_ids:
        return {}
    numbered = await fetch(
        f"SELECT id, {owner} AS owner_id, list_total FROM (SELECT id, {owner},"
        f" ROW_NUMBER() OVER (PARTITION BY {owner} ORDER BY uploaded_at DESC, id DESC)"
        f" AS list_position, COUNT(*) OVER (PARTITION BY {owner}) AS list_total"
        f" FROM photo WHERE {owner} IN (:owner_ids)) numbered"
        " WHERE list_position > :start AND list_position <= :stop"
        f" ORDER BY {owner}, list_position",
        {"owner_ids": list(owner_ids), "start": start, "stop": start + limit},
    )
    pages = {owner_id: PhotoPage([], None) for owner_id in owner_ids}
    if not numbered:
        return pages
    by_id = await rows_by_id(PhotoRow, [record["id"] for record in numbered])
    for record in numbered:
        photo = by_id.get(record["id"])
        if photo is None:  # deleted between the two statements
            continue
        page = pages[record["owner_id"]]
        page.photos.append(photo)
        page.total = int(record["list_total"])
    return pages


async def photo_count(owner: Owner, owner_id: int) -> int:
    """How many photos one owner has (for a page asked for past the end of the list)."""
    return await Photo.filter(**{owner: owner_id}).count()
