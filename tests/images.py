"""Real test images made with Pillow: EXIF orientation, time and GPS, and a HEIC one."""

from __future__ import annotations

import io
import zlib

import pillow_heif
from PIL import Image

RED = (220, 20, 20)
BLUE = (20, 20, 220)


def two_colour(size: tuple[int, int] = (80, 40)) -> Image.Image:
    """Left half red, right half blue: shows which way the picture was turned."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 2, size[1]))
    return image


def exif_block(
    orientation: int | None = None,
    taken: str | None = None,
    offset: str | None = None,
    gps: tuple[float, float] | None = None,
) -> Image.Exif:
    """An EXIF block with the given orientation, DateTimeOriginal, offset and GPS position."""
    exif = Image.Exif()
    exif[0x010F] = "WallchartTestCam"  # Make: cameras always write IFD0 tags
    if orientation is not None:
        exif[0x0112] = orientation
    details = exif.get_ifd(0x8769)
    if taken is not None:
        details[0x9003] = taken
    if offset is not None:
        details[0x9011] = offset
    if gps is not None:
        latitude, longitude = gps
        position = exif.get_ifd(0x8825)
        position[1] = "N" if latitude >= 0 else "S"
        position[2] = _dms(abs(latitude))
        position[3] = "E" if longitude >= 0 else "W"
        position[4] = _dms(abs(longitude))
    return exif


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (float(degrees), float(minutes), seconds)


def jpeg_bytes(size: tuple[int, int] = (80, 40), exif: Image.Exif | None = None) -> bytes:
    """A JPEG photo, with EXIF when given."""
    out = io.BytesIO()
    two_colour(size).save(out, "JPEG", quality=90, exif=exif or Image.Exif())
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (80, 40), mode: str = "RGB") -> bytes:
    """A PNG image."""
    out = io.BytesIO()
    two_colour(size).convert(mode).save(out, "PNG")
    return out.getvalue()


def webp_bytes(size: tuple[int, int] = (80, 40)) -> bytes:
    """A WebP image."""
    out = io.BytesIO()
    two_colour(size).save(out, "WEBP", quality=90)
    return out.getvalue()


def heic_bytes(size: tuple[int, int] = (80, 40), exif: Image.Exif | None = None) -> bytes:
    """A HEIC image as phones write them."""
    heif = pillow_heif.from_pillow(two_colour(size))
    out = io.BytesIO()
    heif.save(out, quality=90, exif=exif.tobytes() if exif is not None else None)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width`×`height` pixels (a decompression bomb)."""
    data = png_bytes((1, 1))
    ihdr = 16  # signature (8) + length (4) + type (4)
    patched = bytearray(data)
    patched[ihdr : ihdr + 8] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    crc = zlib.crc32(bytes(patched[ihdr - 4 : ihdr + 13]))
    patched[ihdr + 13 : ihdr + 17] = crc.to_bytes(4, "big")
    return bytes(patched)
