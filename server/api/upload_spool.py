"""Where uploaded files wait while their request runs: the media store's `.incoming` folder.

File parts are spooled there (on the store's file system, so storing a photo is a rename); a
spool file the server cannot create or write (disk full, folder not writable) is a 503 with
Retry-After. Files a crash left behind are removed at start-up by `remove_stale_uploads`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from media import MediaStore
from server.api.http_errors import MultipartError
from server.settings import Settings

# A spooled file lives on after its body has arrived, while the photo is decoded and stored;
# past the upload deadline plus this, no live request can still own it.
PROCESSING_ALLOWANCE_SECONDS = 15 * 60
SPOOL_RETRY_AFTER_SECONDS = 30
"""What a client is told to wait when uploads cannot be spooled (an operator must make room)."""

logger = logging.getLogger("wallchart.uploads")


class SpoolUnavailable(MultipartError):
    """A file part cannot be spooled (disk full, folder not writable): 503, UNAVAILABLE, with
    Retry-After. The fault is the server's, not the client's, and may pass."""

    def __init__(self, retry_after: int = SPOOL_RETRY_AFTER_SECONDS) -> None:
        super().__init__(
            "The server cannot store uploads now (its disk is full or not writable); "
            f"nothing was kept. Retry in {retry_after} s or later.",
            503,
            "UNAVAILABLE",
        )
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        """The Retry-After header to send with the refusal."""
        return {"Retry-After": str(self.retry_after)}


def spool_folder(settings: Settings) -> Path:
    """Where uploaded files are spooled: the media store's folder of incoming files."""
    return MediaStore(settings.media_root).incoming


def open_spool_file(folder: Path) -> tuple[Path, IO[bytes]]:
    """A new file in `folder` (created when missing), open for writing."""
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, path = tempfile.mkstemp(dir=folder, prefix="upload-")
    try:
        return Path(path), os.fdopen(descriptor, "wb")
    except BaseException:
        os.close(descriptor)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


@contextlib.contextmanager
def spooling() -> Iterator[None]:
    """Turn a failure to create or write a spool file into SpoolUnavailable (503)."""
    try:
        yield
    except OSError as exc:
        logger.error("Cannot spool an upload: %s", exc)
        raise SpoolUnavailable() from exc


def remove_stale_uploads(settings: Settings, now: float | None = None) -> int:
    """Delete spooled files no live request can own any more; return how many were removed.

    Call at start-up: files of uploads (and of media writes) a crash cut off stay otherwise.
    Safe while other worker processes run, since a live request's file was written within
    the upload deadline (plus the time to process the photo); the age is that of the last
    write (modification time).
    """
    folder = spool_folder(settings)
    oldest_live = (time.time() if now is None else now) - (
        settings.upload_deadline_seconds + PROCESSING_ALLOWANCE_SECONDS
    )
    removed = 0
    with contextlib.suppress(FileNotFoundError), os.scandir(folder) as entries:
        for entry in entries:
            if _is_stale_file(entry, oldest_live):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed += 1
    return removed


def _is_stale_file(entry: os.DirEntry[str], oldest_live: float) -> bool:
    """True for a plain file last written before `oldest_live`; False for one already gone."""
    try:
        return entry.is_file(follow_symlinks=False) and (
            entry.stat(follow_symlinks=False).st_mtime < oldest_live
        )
    except FileNotFoundError:
        return False
