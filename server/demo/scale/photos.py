"""The scale seed's photo rows (rows only: no files are written)."""

from __future__ import annotations

import datetime as dt
import hashlib

from server.demo.scale.tables import model_table
from server.demo.scale.vocabulary import ZONE_CENTRE
from server.demo.scale.zone import Zone
from server.domain import models


def add_photos(zone: Zone) -> None:
    """About 50 photo rows per started project (rows only: no files are written)."""
    rng = zone.rng
    photos = zone.add(
        model_table(
            models.Photo,
            "id",
            "project_id",
            "milestone_id",
            "ticket_id",
            "uploaded_by_id",
            "caption",
            "taken_at",
            "uploaded_at",
            "latitude",
            "longitude",
            "on_site",
            "width",
            "height",
            "content_type",
            "byte_size",
            "sha256",
        )
    )
    for pk, (start, _, status) in zone.project_spans.items():
        if status == models.ProjectStatus.PLANNED:
            continue
        latest = min(zone.today, start + dt.timedelta(days=900))
        days = max((latest - start).days, 0)
        milestone_ids = zone.milestones_of[pk]
        uploader = zone.managers_of[pk][0]
        for _ in range(rng.randint(40, 70)):
            taken = zone.instant(start + dt.timedelta(days=rng.randint(0, days)))
            digest = hashlib.sha256(f"{pk}-{len(photos.rows)}".encode()).hexdigest()
            photos.rows.append(
                (
                    len(photos.rows) + 1,
                    pk,
                    rng.choice(milestone_ids) if rng.random() < 0.4 else None,
                    None,
                    uploader,
                    "现场施工照片",
                    taken,
                    taken + dt.timedelta(minutes=rng.randint(1, 600)),
                    ZONE_CENTRE[0] + rng.uniform(-0.08, 0.08),
                    ZONE_CENTRE[1] + rng.uniform(-0.1, 0.1),
                    rng.random() < 0.9,
                    4032,
                    3024,
                    "image/jpeg",
                    rng.randint(1_500_000, 6_000_000),
                    digest,
                )
            )
