"""The scale seed's supervision reviews of overdue milestones."""

from __future__ import annotations

import datetime as dt

from server.demo.scale.tables import model_table
from server.demo.scale.zone import Zone
from server.domain import models


def add_reviews(zone: Zone) -> None:
    """Supervision instructions on about a third of the overdue milestones, half answered."""
    rng = zone.rng
    reviews = zone.add(
        model_table(
            models.SupervisionReview,
            "id",
            "milestone_id",
            "project_id",
            "reviewer_id",
            "instruction",
            "respond_by",
            "created_at",
            "response",
            "responded_at",
            "responded_by_id",
        )
    )
    for milestone_id, project_id, planned in zone.overdue:
        if rng.random() >= 0.35:
            continue
        issued = planned + dt.timedelta(days=rng.randint(1, max((zone.today - planned).days, 1)))
        issued = min(issued, zone.today)
        created = zone.instant(issued)
        answered = rng.random() < 0.5
        reviews.rows.append(
            (
                len(reviews.rows) + 1,
                milestone_id,
                project_id,
                rng.choice(zone.supervisors),
                "请说明滞后原因并制定赶工计划。",
                issued + dt.timedelta(days=7),
                created,
                "已增加班组，计划两周内完成。" if answered else None,
                created + dt.timedelta(days=rng.randint(1, 6)) if answered else None,
                zone.managers_of[project_id][0] if answered else None,
            )
        )
