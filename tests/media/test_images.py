"""The photo pipeline on real images: sniffing, limits, EXIF, variants."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from media import MediaError, Variant, process_image, sniff_content_type
from tests.images import (
    BLUE,
    RED,
    exif_block,
    heic_bytes,
    jpeg_bytes,
    png_bytes,
    png_declaring,
    webp_bytes,
)

ZONE = ZoneInfo("Asia/Shanghai")


def run(tmp_path: Path, data: bytes, max_pixels: int = 60_000_000):
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    return process_image(path, max_pixels=max_pixels, zone=ZONE)


def open_variant(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel[:3], colour, strict=True))


def test_sniffs_by_magic_bytes_only() -> None:
    assert sniff_content_type(jpeg_bytes()[:32]) == "image/jpeg"
    assert sniff_content_type(png_bytes()[:32]) == "image/png"
    assert sniff_content_type(webp_bytes()[:32]) == "image/webp"
    assert sniff_content_type(heic_bytes()[:32]) in {"image/heic", "image/heif"}
    assert sniff_content_type(b"<?php echo 'hi'; ?>") is None
    assert sniff_content_type(b'<svg xmlns="http://www.w3.org/2000/svg"/>') is None
    assert sniff_content_type(b"PK\x03\x04" + b"\x00" * 28) is None


def test_jpeg_with_orientation_time_and_gps(tmp_path: Path) -> None:
    exif = exif_block(
        orientation=6, taken="2020:02:20 09:15:00", offset="+07:00", gps=(31.2304, 121.4737)
    )
    result = run(tmp_path, jpeg_bytes((800, 400), exif))
    assert result.content_type == "image/jpeg"
    assert (result.width, result.height) == (400, 800)
    assert result.metadata.taken_at == dt.datetime(
        2020, 2, 20, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=7))
    )
    assert result.metadata.latitude == pytest.approx(31.2304, abs=1e-4)
    assert result.metadata.longitude == pytest.approx(121.4737, abs=1e-4)
    large = open_variant(result.variants[Variant.LARGE])
    assert large.format == "JPEG"
    assert large.size == (400, 800)
    # Turned upright: the left (red) half of the sensor image is now on top.
    assert near(large.getpixel((200, 100)), RED)
    assert near(large.getpixel((200, 700)), BLUE)
    assert len(large.getexif()) == 0
    assert "icc_profile" not in large.info


def test_time_without_offset_is_in_the_zone(tmp_path: Path) -> None:
    result = run(tmp_path, jpeg_bytes(exif=exif_block(taken="2020:02:20 09:15:00")))
    assert result.metadata.taken_at == dt.datetime(2020, 2, 20, 9, 15, tzinfo=ZONE)
    assert result.metadata.latitude is None


def test_southern_western_gps(tmp_path: Path) -> None:
    result = run(tmp_path, jpeg_bytes(exif=exif_block(gps=(-33.8688, -70.6693))))
    assert result.metadata.latitude == pytest.approx(-33.8688, abs=1e-4)
    assert result.metadata.longitude == pytest.approx(-70.6693, abs=1e-4)


def test_large_jpeg_is_scaled_to_1600_and_thumbnail_to_320(tmp_path: Path) -> None:
    result = run(tmp_path, jpeg_bytes((4000, 3000)))
    assert (result.width, result.height) == (4000, 3000)
    assert open_variant(result.variants[Variant.LARGE]).size == (1600, 1200)
    assert open_variant(result.variants[Variant.THUMBNAIL]).size == (320, 240)


def test_png_with_transparency_and_webp(tmp_path: Path) -> None:
    result = run(tmp_path, png_bytes((2000, 1000), mode="RGBA"))
    assert result.content_type == "image/png"
    large = open_variant(result.variants[Variant.LARGE])
    assert large.mode == "RGB" and large.size == (1600, 800)
    webp = run(tmp_path, webp_bytes())
    assert webp.content_type == "image/webp"
    assert open_variant(webp.variants[Variant.THUMBNAIL]).size == (80, 40)


def test_heic_from_a_phone(tmp_path: Path) -> None:
    exif = exif_block(taken="2020:02:20 09:15:00", offset="+08:00", gps=(31.2, 121.4))
    result = run(tmp_path, heic_bytes((640, 480), exif))
    assert result.content_type in {"image/heic", "image/heif"}
    assert (result.width, result.height) == (640, 480)
    assert result.metadata.taken_at == dt.datetime(2020, 2, 20, 9, 15, tzinfo=ZONE)
    assert result.metadata.latitude == pytest.approx(31.2, abs=1e-4)
    large = open_variant(result.variants[Variant.LARGE])
    assert large.format == "JPEG" and large.size == (640, 480)
    assert near(large.getpixel((10, 240)), RED)


@pytest.mark.parametrize(
    "data",
    [
        b"just some text, not a photo",
        b"<?php system($_GET['c']); ?>",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>',
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40,
    ],
    ids=["text", "php", "svg", "zip"],
)
def test_other_files_are_unsupported(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(MediaError) as refused:
        run(tmp_path, data)
    assert refused.value.code == "UNSUPPORTED_MEDIA_TYPE"


def test_truncated_jpeg_is_invalid(tmp_path: Path) -> None:
    data = jpeg_bytes((2400, 1800))
    with pytest.raises(MediaError) as refused:
        run(tmp_path, data[: len(data) // 2])
    assert refused.value.code == "INVALID"


def test_corrupt_png_is_invalid(tmp_path: Path) -> None:
    data = bytearray(png_bytes((300, 200)))
    data[60:80] = b"\x00" * 20
    with pytest.raises(MediaError) as refused:
        run(tmp_path, bytes(data))
    assert refused.value.code == "INVALID"


def test_pixel_limit_and_decompression_bomb(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as bomb:
        run(tmp_path, png_declaring(100_000, 100_000))
    assert bomb.value.code == "TOO_LARGE"
    with pytest.raises(MediaError) as over:
        run(tmp_path, png_declaring(10_000, 7_000))
    assert over.value.code == "TOO_LARGE"
    with pytest.raises(MediaError) as small_limit:
        run(tmp_path, jpeg_bytes((200, 100)), max_pixels=10_000)
    assert small_limit.value.code == "TOO_LARGE"
