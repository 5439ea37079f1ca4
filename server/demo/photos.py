"""Demo photos: a few site pictures with EXIF time and GPS for the first demo projects."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import anyio.to_thread
from PIL import Image, ImageDraw

from media import process_image
from server.domain.clock import zone_today
from server.domain.models import Milestone, MilestoneStatus, Photo, Project
from server.domain.photos import save_photo
from server.settings import Settings

DEMO_PROJECTS = 3
SKIES = ((135, 180, 225), (170, 200, 230), (120, 150, 190))


def _demo_jpeg(path: Path, shade: int, taken: dt.datetime, position: tuple[float, float]) -> None:
    """A simple picture of a site (sky, ground, a tower crane) with EXIF like a phone's."""
    image = Image.new("RGB", (1600, 1200), SKIES[shade % len(SKIES)])
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 800, 1600, 1200), fill=(150, 120, 90))
    draw.rectangle((300 + 200 * shade, 300, 340 + 200 * shade, 800), fill=(230, 180, 30))
    draw.rectangle((100 + 200 * shade, 300, 1000 + 200 * shade, 330), fill=(230, 180, 30))
    draw.rectangle((900, 500, 1400, 800), fill=(160, 160, 160))
    exif = Image.Exif()
    exif[0x010F] = "Demo"
    details = exif.get_ifd(0x8769)
    details[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    details[0x9011] = "+08:00"
    gps = exif.get_ifd(0x8825)
    latitude, longitude = position
    gps[1], gps[2] = "N", (float(int(latitude)), 0.0, round((latitude % 1) * 3600, 3))
    gps[3], gps[4] = "E", (float(int(longitude)), 0.0, round((longitude % 1) * 3600, 3))
    image.save(path, "JPEG", quality=85, exif=exif)


async def seed_photos(settings: Settings) -> list[str]:
    """Add two photos to each of the first demo projects that have none; return what was made."""
    created: list[str] = []
    today = zone_today(settings.zone)
    projects = (
        await Project.filter(latitude__isnull=False, longitude__isnull=False)
        .order_by("id")
        .limit(DEMO_PROJECTS)
        .prefetch_related("site_managers")
    )
    with tempfile.TemporaryDirectory(prefix="wallchart-demo-") as folder:
        for index, project in enumerate(projects):
            managers = list(project.site_managers)
            if not managers or await Photo.exists(project=project):
                continue
            done = await Milestone.filter(project=project, status=MilestoneStatus.DONE).first()
            for shot in range(2):
                taken = dt.datetime.combine(today - dt.timedelta(days=3 * shot + 1), dt.time(10))
                path = Path(folder) / f"{project.code}-{shot}.jpg"
                position = (project.latitude + 0.0005 * shot, project.longitude)
                _demo_jpeg(path, index + shot, taken, position)
                processed = await anyio.to_thread.run_sync(
                    lambda p=path: process_image(
                        p, max_pixels=settings.max_image_pixels, zone=settings.zone
                    )
                )
                await save_photo(
                    settings,
                    processed,
                    path,
                    project=project,
                    user=managers[0],
                    milestone=done if shot == 0 else None,
                    caption="现场照片" if shot else "完成节点照片",
                )
                created.append(f"photo {project.code}/{shot + 1}")
    return created
