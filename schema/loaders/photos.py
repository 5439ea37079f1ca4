"""The photos domain's DataLoaders: photos by id, and pages of the photos of an owner."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import ClassVar

from aiodataloader import DataLoader

from schema.context import RequestContext
from schema.loaders import ByIdLoader
from server.domain.photo_lists import Owner, PhotoPage, photo_pages
from server.domain.rows.photos import PhotoRow


class PhotoLoader(ByIdLoader):
    """Photos by id."""

    row = PhotoRow


class PhotoPageLoader(DataLoader):
    """One page of each owner's photos, newest first (key: owner id, offset, page size).

    One statement per distinct (offset, page size), whatever the number of owners.
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
        for (start, limit), owner_ids in owners_by_window.items():
            pages = await photo_pages(self.owner, owner_ids, start, limit)
            for owner_id, page in pages.items():
                found[(owner_id, start, limit)] = page
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
