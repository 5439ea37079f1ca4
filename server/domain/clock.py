"""The zone's notion of now and today."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utc_now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def zone_today(zone: ZoneInfo) -> date:
    """Today's calendar date in the zone's time zone."""
    return datetime.now(zone).date()
