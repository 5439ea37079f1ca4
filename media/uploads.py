"""Files received for intake: a part of a multipart request, spooled to disk."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path


@dataclass
class UploadedFile:
    """A file part of a multipart request, spooled to a temporary file on disk."""

    name: str
    filename: str | None
    content_type: str | None
    path: Path
    size: int = 0

    def discard(self) -> None:
        """Delete the temporary file."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def discard_files(files: dict[str, UploadedFile]) -> None:
    """Delete the temporary files of a request."""
    for upload in files.values():
        upload.discard()
