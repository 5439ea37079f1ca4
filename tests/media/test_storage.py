"""Content-addressed, atomic storage of originals and variants."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from media import MediaError, MediaStore, Variant, process_image
from tests.images import jpeg_bytes


def processed_upload(tmp_path: Path) -> tuple[Path, object]:
    source = tmp_path / "upload.bin"
    source.write_bytes(jpeg_bytes((300, 200)))
    return source, process_image(source, max_pixels=10**8, zone=ZoneInfo("UTC"))


def test_original_kept_byte_for_byte_under_its_hash(tmp_path: Path) -> None:
    source, processed = processed_upload(tmp_path)
    store = MediaStore(tmp_path / "media")
    created = store.store(processed, source)
    original = store.path(processed.sha256, Variant.ORIGINAL)
    assert original.read_bytes() == source.read_bytes()
    assert processed.sha256 in str(original)
    assert set(created) == {store.path(processed.sha256, v) for v in Variant}
    assert not list((tmp_path / "media").rglob(".incoming-*"))
    assert store.store(processed, source) == []


def test_failure_removes_what_it_created(tmp_path: Path) -> None:
    source, processed = processed_upload(tmp_path)
    root = tmp_path / "media"
    root.mkdir()
    (root / "thumbnail").write_text("a file where a folder should be")
    store = MediaStore(root)
    with pytest.raises(MediaError) as refused:
        store.store(processed, source)
    assert refused.value.code == "UNAVAILABLE"
    assert isinstance(refused.value.__cause__, OSError)
    assert not store.path(processed.sha256, Variant.ORIGINAL).exists()
    assert not store.path(processed.sha256, Variant.LARGE).exists()
    assert not [p for p in root.rglob("*") if p.is_file() and p.name != "thumbnail"]
