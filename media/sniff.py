"""Recognise a photo's type from its first bytes, whatever its name or declared type."""

from __future__ import annotations

SNIFF_BYTES = 32

# ISO base media file brands of HEIC/HEIF stills and sequences written by phones.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


def sniff_content_type(head: bytes) -> str | None:
    """The MIME type of a JPEG, PNG, WebP or HEIC/HEIF file from its first bytes, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and _heif_brand(head):
        return "image/heic" if head[8:12] in {b"heic", b"heix", b"heim", b"heis"} else "image/heif"
    return None


def _heif_brand(head: bytes) -> bool:
    """True when the ftyp box names a HEIF brand (major or one of the compatible ones)."""
    box_size = int.from_bytes(head[:4], "big")
    end = min(box_size, len(head))
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, end - 3, 4)]
    return any(brand in _HEIF_BRANDS for brand in brands)
