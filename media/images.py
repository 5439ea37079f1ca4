"""Check a photo file and make its JPEG variants: run in a worker thread, never on the loop."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

import pillow_heif
from PIL import Image

from media.errors import MediaError
from media.exif import PhotoMetadata, read_metadata
from media.sniff import SNIFF_BYTES, sniff_content_type

pillow_heif.register_heif_opener()

_PILLOW_FORMATS = {
    "image/jpeg": ["JPEG"],
    "image/png": ["PNG"],
    "image/webp": ["WEBP"],
    "image/heic": ["HEIF"],
    "image/heif": ["HEIF"],
}

# EXIF orientation -> the transposition that shows the picture upright.
_UPRIGHT = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}

JPEG_QUALITY = 85
_CHUNK = 1024 * 1024


class Variant(StrEnum):
    """The stored renditions of a photo."""

    ORIGINAL = "ORIGINAL"
    LARGE = "LARGE"
    THUMBNAIL = "THUMBNAIL"


LONGEST_SIDE = {Variant.LARGE: 1600, Variant.THUMBNAIL: 320}


@dataclass(frozen=True)
class ProcessedImage:
    """A checked photo: identity of the original, upright size, EXIF facts, JPEG variants."""

    content_type: str
    sha256: str
    byte_size: int
    width: int
    height: int
    metadata: PhotoMetadata
    variants: dict[Variant, bytes] = field(repr=False)


def process_image(path: Path, *, max_pixels: int, zone: ZoneInfo) -> ProcessedImage:
    """Sniff, size-check and fully decode the file at `path`, then render its variants.

    Raises MediaError: UNSUPPORTED_MEDIA_TYPE for anything but JPEG, PNG, WebP and HEIC/HEIF;
    TOO_LARGE past `max_pixels` (decompression bombs included); INVALID when it does not decode.
    """
    with path.open("rb") as handle:
        content_type = sniff_content_type(handle.read(SNIFF_BYTES))
    if content_type is None:
        raise MediaError(
            "UNSUPPORTED_MEDIA_TYPE", "Send a JPEG, PNG, WebP or HEIC photo; this file is not one."
        )
    sha256, byte_size = _digest(path)
    try:
        with Image.open(path, formats=_PILLOW_FORMATS[content_type]) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise _too_large(width, height, max_pixels)
            metadata = read_metadata(image.getexif(), zone)
            variants = _render(image, metadata.orientation)
    except Image.DecompressionBombError:
        raise MediaError("TOO_LARGE", "The photo has too many pixels.") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise MediaError("INVALID", "The photo is truncated or corrupt.") from exc
    if metadata.orientation in (5, 6, 7, 8):
        width, height = height, width
    return ProcessedImage(
        content_type, sha256, byte_size, width, height, metadata, variants=variants
    )


def _too_large(width: int, height: int, max_pixels: int) -> MediaError:
    megapixels = max_pixels / 1_000_000
    return MediaError(
        "TOO_LARGE",
        f"The photo is {width}×{height} pixels; at most {megapixels:g} MP are accepted.",
    )


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _render(image: Image.Image, orientation: int) -> dict[Variant, bytes]:
    """Decode the whole image (at reduced scale for JPEG when enough) and make the variants."""
    largest = LONGEST_SIDE[Variant.LARGE]
    if image.format == "JPEG" and max(image.size) > largest:
        scale = largest / max(image.size)
        image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
    image.load()
    picture = _flatten(image)
    large = _fit(picture, largest)
    thumbnail = _fit(large, LONGEST_SIDE[Variant.THUMBNAIL])
    return {
        Variant.LARGE: _jpeg(large, orientation),
        Variant.THUMBNAIL: _jpeg(thumbnail, orientation),
    }


def _flatten(image: Image.Image) -> Image.Image:
    """An RGB image: transparency laid on white, other modes converted."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode.startswith("I;16"):
        return image.point(lambda value: value / 256).convert("L").convert("RGB")
    return image.convert("RGB")


def _fit(image: Image.Image, longest: int) -> Image.Image:
    """A copy scaled down so its longest side is at most `longest`.

    Area averaging (BOX; Pillow rates its downscaling quality as BILINEAR's) after reducing
    by whole factors: 28 against 39 ms for the 2000 to 1600 pixel step of a 12 MP photo
    decoded at half scale, and 2.7 against 8.4 ms for the thumbnail.
    """
    if max(image.size) <= longest:
        return image.copy()
    scale = longest / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BOX, reducing_gap=1.0)


def _jpeg(image: Image.Image, orientation: int) -> bytes:
    """Upright JPEG bytes without any metadata."""
    for step in _UPRIGHT.get(orientation, ()):
        image = image.transpose(step)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=False, progressive=False)
    return out.getvalue()
