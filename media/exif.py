"""What a photo's EXIF says about when, where and which way up it was taken."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image

ORIENTATION = 0x0112
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DATE_TIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011
GPS_LATITUDE_REF, GPS_LATITUDE = 1, 2
GPS_LONGITUDE_REF, GPS_LONGITUDE = 3, 4

_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
# A DateTimeOriginal outside these years is a camera whose clock was never set (0001, 9999):
# ignored, like a missing one. They are the domain's calendar (server.domain.schedule) too.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


@dataclass(frozen=True)
class PhotoMetadata:
    """EXIF facts of a photo; None where the camera did not record them."""

    orientation: int = 1
    taken_at: dt.datetime | None = None
    latitude: float | None = None
    longitude: float | None = None


def read_metadata(exif: Image.Exif, zone: ZoneInfo) -> PhotoMetadata:
    """Orientation, DateTimeOriginal (with its offset, else in `zone`) and GPS position.

    What cannot be used is left out, never an error: an orientation outside 1–8, a date
    that does not parse or lies outside EARLIEST_YEAR–LATEST_YEAR, a position off the globe.
    """
    orientation = exif.get(ORIENTATION, 1)
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        orientation = 1
    details = exif.get_ifd(EXIF_IFD)
    taken_at = _taken_at(details.get(DATE_TIME_ORIGINAL), details.get(OFFSET_TIME_ORIGINAL), zone)
    latitude, longitude = _position(exif.get_ifd(GPS_IFD))
    return PhotoMetadata(orientation, taken_at, latitude, longitude)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    return value.strip("\x00 ") if isinstance(value, str) else None


def _taken_at(raw: Any, raw_offset: Any, zone: ZoneInfo) -> dt.datetime | None:
    text = _text(raw)
    if not text:
        return None
    try:
        local = dt.datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if not EARLIEST_YEAR <= local.year <= LATEST_YEAR:
        return None
    match = _OFFSET.match(_text(raw_offset) or "")
    if match is None:
        return local.replace(tzinfo=zone)
    sign = -1 if match.group(1) == "-" else 1
    offset = dt.timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    if offset > dt.timedelta(hours=14):
        return local.replace(tzinfo=zone)
    return local.replace(tzinfo=dt.timezone(sign * offset))


def _degrees(value: Any) -> float | None:
    try:
        d, m, s = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = d + m / 60 + s / 3600
    return result if math.isfinite(result) else None


def _position(gps: dict[int, Any]) -> tuple[float | None, float | None]:
    latitude = _degrees(gps.get(GPS_LATITUDE))
    longitude = _degrees(gps.get(GPS_LONGITUDE))
    if latitude is None or longitude is None:
        return None, None
    if _text(gps.get(GPS_LATITUDE_REF)) == "S":
        latitude = -latitude
    if _text(gps.get(GPS_LONGITUDE_REF)) == "W":
        longitude = -longitude
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    return latitude, longitude
