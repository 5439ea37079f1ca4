"""The demo supervision instructions."""

from __future__ import annotations

from server.demo import seed_demo
from server.domain.clock import zone_today
from server.domain.models import SupervisionReview
from server.domain.supervision import is_overdue
from server.settings import Settings


async def test_demo_has_answered_open_and_overdue_reviews(settings: Settings) -> None:
    await seed_demo(settings)
    reviews = await SupervisionReview.all()
    today = zone_today(settings.zone)
    assert len(reviews) == 3
    assert sum(r.response is not None for r in reviews) == 1
    assert sum(is_overdue(r, today) for r in reviews) == 1
    assert all("请" in r.instruction for r in reviews)
    assert await seed_demo(settings) == []
    assert await SupervisionReview.all().count() == 3
