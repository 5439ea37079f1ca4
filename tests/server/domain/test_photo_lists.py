"""Pages of photo lists chosen by the database: the same order and totals as the whole list."""

from __future__ import annotations

import pytest

from server.domain.models import Photo, Project, Role, User
from server.domain.photo_lists import photo_pages
from tests import factories


async def _photos(project: Project, uploader: User, count: int) -> None:
    for n in range(count):
        await Photo.create(
            project=project,
            uploaded_by=uploader,
            width=100 + n,
            height=80,
            content_type="image/jpeg",
            byte_size=1000 + n,
            sha256=f"{project.id:032x}{n:032x}",
        )


@pytest.mark.parametrize(("start", "limit"), [(0, 2), (2, 2), (4, 2), (0, 20), (1, 3)])
async def test_each_page_is_a_slice_of_the_whole_list(start: int, limit: int) -> None:
    uploader = await User.create(
        username="uploader", display_name="U", role=Role.OFFICE, password_hash="x"
    )
    busy, quiet, empty = [await factories.project(f"PL-{n}") for n in range(3)]
    await _photos(busy, uploader, 5)
    await _photos(quiet, uploader, 1)
    pages = await photo_pages("project_id", [busy.id, quiet.id, empty.id], start, limit)
    for project, total in ((busy, 5), (quiet, 1), (empty, 0)):
        whole = await Photo.filter(project=project).order_by("-uploaded_at", "-id")
        page = pages[project.id]
        assert [p.id for p in page.photos] == [p.id for p in whole[start : start + limit]]
        assert all(p.uploaded_by_id == uploader.id for p in page.photos)
        assert page.total == (total if page.photos else None)


async def test_no_owners_no_statement() -> None:
    assert await photo_pages("milestone_id", [], 0, 20) == {}
