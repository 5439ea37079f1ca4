"""The spool folder of uploads: a folder or disk that fails is a 503 to retry, with nothing
kept; files a crash left behind are removed at start-up, live ones kept."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.api import multipart_parts
from server.api.upload_spool import PROCESSING_ALLOWANCE_SECONDS, remove_stale_uploads, spool_folder
from server.domain.models import Photo, Project
from server.settings import Settings
from tests.images import jpeg_bytes
from tests.server.api.multipart_requests import spooled_files, upload_request


@pytest.fixture
async def project(office: Any) -> Project:
    """The project the uploads go to."""
    return await Project.create(code="P-9", name="Depot", responsible_unit="Transport")


@contextlib.contextmanager
def spool_folder_blocked(settings: Settings) -> Iterator[None]:
    """A regular file where the spool folder goes, so creating or writing in it fails."""
    folder = Path(settings.media_root) / ".incoming"
    assert folder == spool_folder(settings)
    parked = folder.with_name(".incoming.parked")
    if folder.exists():
        folder.rename(parked)
    folder.write_text("a file where the folder should be: spooling beneath it fails")
    try:
        yield
    finally:
        folder.unlink()
        if parked.exists():
            parked.rename(folder)


async def test_an_upload_the_server_cannot_spool_is_a_503_to_retry(
    client: httpx.AsyncClient, office: Any, project: Project, settings: Settings
) -> None:
    before = spooled_files(settings)
    with spool_folder_blocked(settings):
        response = await upload_request(client, office, project)
    assert response.status_code == 503, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert "cannot store uploads now" in error["message"]
    assert int(response.headers["retry-after"]) > 0
    assert await Photo.all().count() == 0
    assert spooled_files(settings) == before
    allowed = await upload_request(client, office, project)
    assert allowed.json()["data"]["uploadPhoto"]["errors"] == []


async def test_a_disk_that_fills_while_spooling_is_a_503_and_the_file_is_removed(
    client: httpx.AsyncClient,
    office: Any,
    project: Project,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second file of the request hits a full disk halfway: both spooled files go."""
    opened: list[Path] = []
    open_spool_file = multipart_parts.open_spool_file

    class FillingUp:
        """A spool file on a disk with room for 100 bytes."""

        def __init__(self, handle: Any) -> None:
            self.handle, self.written = handle, 0

        def write(self, data: bytes) -> int:
            if self.written + len(data) > 100:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.written += len(data)
            return self.handle.write(data)

        def close(self) -> None:
            self.handle.close()

    def filling_up(folder: Path) -> tuple[Path, Any]:
        path, handle = open_spool_file(folder)
        opened.append(path)
        return path, FillingUp(handle) if len(opened) == 2 else handle

    monkeypatch.setattr(multipart_parts, "open_spool_file", filling_up)
    before = spooled_files(settings)
    file_map = {"0": ["variables.input.file"], "1": ["variables.input.file"]}
    files = {
        "0": ("a.jpg", b"small enough", "image/jpeg"),
        "1": ("b.jpg", jpeg_bytes(), "image/jpeg"),
    }
    response = await upload_request(
        client, office, project, map_part=json.dumps(file_map), files=files
    )
    assert response.status_code == 503, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    assert "retry-after" in response.headers
    assert len(opened) == 2
    assert not any(path.exists() for path in opened)
    assert spooled_files(settings) == before
    assert await Photo.all().count() == 0


def test_stale_spooled_files_are_removed_and_live_ones_kept(
    settings: Settings, tmp_path: Path
) -> None:
    local = dataclasses.replace(settings, media_root=str(tmp_path / "media"))
    assert remove_stale_uploads(local) == 0  # no folder yet
    folder = spool_folder(local)
    folder.mkdir(parents=True)
    crashed, live, nested = folder / "upload-a", folder / "upload-b", folder / "sub"
    crashed.write_bytes(b"cut off by a crash")
    live.write_bytes(b"still arriving")
    nested.mkdir()
    long_ago = time.time() - local.upload_deadline_seconds - PROCESSING_ALLOWANCE_SECONDS - 60
    for path in (crashed, nested):
        os.utime(path, (long_ago, long_ago))
    assert remove_stale_uploads(local) == 1
    assert not crashed.exists()
    assert live.exists() and nested.exists()
    assert remove_stale_uploads(local, now=time.time() + 10**6) == 1
    assert not live.exists()
