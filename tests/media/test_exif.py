"""EXIF dates a camera got wrong are ignored, never an error: on real Pillow-made photos, and
through uploadPhoto."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image

from media.exif import read_metadata
from schema.relay import global_id
from server.domain.models import Photo, Project
from tests.images import exif_block, jpeg_bytes
from tests.uploads import upload_photo

ZONE = ZoneInfo("Asia/Shanghai")


def _metadata(exif: Image.Exif) -> Any:
    """The metadata read back from a real JPEG carrying `exif`."""
    with Image.open(io.BytesIO(jpeg_bytes(exif=exif))) as image:
        return read_metadata(image.getexif(), ZONE)


@pytest.mark.parametrize(
    "taken",
    [
        "0001:01:01 00:00:00",
        "9999:12:31 23:59:59",
        "1899:12:31 23:59:59",
        "3000:01:01 00:00:00",
        "0000:00:00 00:00:00",
        "2020:02:30 09:00:00",
        "garbage",
        "    :  :     :  :  ",
        "2020:02:20 09:15:00\x00\x00",
    ],
)
def test_unusable_taken_dates_are_ignored(taken: str) -> None:
    metadata = _metadata(exif_block(orientation=6, taken=taken, gps=(31.2, 121.4)))
    expected = (
        dt.datetime(2020, 2, 20, 9, 15, tzinfo=ZONE) if taken.startswith("2020:02:20") else None
    )
    assert metadata.taken_at == expected
    assert metadata.orientation == 6 and metadata.latitude == pytest.approx(31.2, abs=1e-3)


@pytest.mark.parametrize(
    ("taken", "offset"),
    [("1900:01:01 00:00:00", "+14:00"), ("2999:12:31 23:59:59", "-12:00")],
)
def test_the_ends_of_the_calendar_are_kept_with_any_offset(taken: str, offset: str) -> None:
    metadata = _metadata(exif_block(taken=taken, offset=offset))
    assert metadata.taken_at is not None
    assert metadata.taken_at.astimezone(dt.UTC).year in (1899, 2999, 3000)
    assert metadata.taken_at.strftime("%Y:%m:%d %H:%M:%S") == taken


@pytest.fixture
async def project(site_manager: Any) -> Project:
    """A project run by `site_manager`."""
    created = await Project.create(code="P-EXIF", name="Photo site", responsible_unit="Works")
    await created.site_managers.add(site_manager.user)
    return created


@pytest.mark.parametrize("taken", ["0001:01:01 00:00:00", "9999:12:31 23:59:59", "nonsense"])
async def test_a_photo_with_a_wrong_camera_clock_still_uploads(
    client: httpx.AsyncClient, site_manager: Any, project: Project, taken: str
) -> None:
    data = jpeg_bytes(exif=exif_block(taken=taken, offset="+08:00"))
    payload = await upload_photo(
        client, site_manager, data, projectId=global_id("Project", project.id)
    )
    assert payload["errors"] == []
    assert payload["photo"]["takenAt"] is None
    assert await Photo.filter(project_id=project.id).count() == 1
