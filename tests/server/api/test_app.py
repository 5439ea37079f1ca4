"""The application's own start-up work."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

from server.api.app import sweep_stale_uploads
from server.api.upload_spool import spool_folder
from server.settings import Settings


async def test_the_sweeper_removes_upload_files_an_interrupted_run_left(
    settings: Settings,
) -> None:
    folder = spool_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stale, live = folder / "wallchart-upload-crashed", folder / "wallchart-upload-live"
    stale.write_bytes(b"half a photo")
    live.write_bytes(b"an upload under way")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    sweeper = asyncio.create_task(sweep_stale_uploads(settings))
    try:
        for _ in range(500):  # the first sweep runs at once, in a worker thread
            if not stale.exists():
                break
            await asyncio.sleep(0.01)
        assert not stale.exists()
        assert live.exists()
    finally:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        live.unlink(missing_ok=True)
    assert Path(folder).is_dir()
