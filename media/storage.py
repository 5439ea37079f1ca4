"""Content-addressed photo files with atomic writes: temporary file, fsync, rename.

Temporary files live in one folder, `.incoming` under the media root: on the store's file
system, so putting a file in place is a rename, and in one place, so whatever a crash left
behind can be found and removed (uploads are spooled there too).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from media.errors import MediaError
from media.images import ProcessedImage, Variant

_FOLDERS = {Variant.ORIGINAL: "original", Variant.LARGE: "large", Variant.THUMBNAIL: "thumbnail"}
INCOMING_FOLDER = ".incoming"


class MediaStore:
    """The media folder: originals kept byte for byte, JPEG variants, all named by sha256."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, sha256: str, variant: Variant) -> Path:
        """Where the file of a photo's variant lives."""
        name = sha256 if variant == Variant.ORIGINAL else f"{sha256}.jpg"
        return self.root / _FOLDERS[variant] / sha256[:2] / sha256[2:4] / name

    @property
    def incoming(self) -> Path:
        """The folder of files still being received or written (created on demand)."""
        return self.root / INCOMING_FOLDER

    def store(self, processed: ProcessedImage, original: Path) -> list[Path]:
        """Write the original and the variants; return the files this call created.

        Files already present (the same bytes stored before) are left as they are. On any
        failure the files this call created are removed before the error propagates; a disk
        that is full or cannot be written is a MediaError with code UNAVAILABLE.
        """
        created: list[Path] = []
        try:
            target = self.path(processed.sha256, Variant.ORIGINAL)
            if self._write(target, original_path=original):
                created.append(target)
            for variant, data in processed.variants.items():
                target = self.path(processed.sha256, variant)
                if self._write(target, data=data):
                    created.append(target)
        except OSError as exc:
            self.remove(created)
            raise MediaError(
                "UNAVAILABLE",
                "The photo store cannot take the file now (disk full or not writable); "
                "nothing was stored. Try again later.",
            ) from exc
        except BaseException:
            self.remove(created)
            raise
        return created

    def remove(self, paths: list[Path]) -> None:
        """Delete files (missing ones are fine)."""
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _write(
        self, target: Path, *, data: bytes | None = None, original_path: Path | None = None
    ) -> bool:
        """Atomically create `target` from bytes or a file; False when it already exists."""
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        self.incoming.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.incoming, prefix="store-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                if original_path is not None:
                    with original_path.open("rb") as source:
                        shutil.copyfileobj(source, handle, 1024 * 1024)
                else:
                    handle.write(data or b"")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _fsync_folder(target.parent)
        return True


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
