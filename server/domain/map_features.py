"""The five-colour map (五色图): the board's projects placed at their sites.

Coordinates are WGS-84 (what phones report and RFC 7946 requires), never GCJ-02, the offset
system of China's public web maps: a map drawn on a GCJ-02 base layer converts at the client.
A project is placed when it has a latitude in [-90, 90] and a longitude in [-180, 180], both
finite; every other project of the board is listed as unplaced with the reason, never dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from server.domain.board import BoardRow, board_projects, board_rows
from server.domain.health import Health
from server.domain.models import User
from server.domain.overdue import OverdueFilter
from server.settings import Settings

HEALTH_HEX: dict[Health, str] = {
    Health.BLUE: "#1f6fd1",
    Health.GREEN: "#2e9d47",
    Health.YELLOW: "#f2c12e",
    Health.ORANGE: "#f07c1b",
    Health.RED: "#d93025",
}
"""The colour a map draws each health in, as a CSS hex value (README: "The map")."""

COORDINATE_DECIMALS = 6
"""Decimals kept of a coordinate: 6 is about 0.1 m, finer than any site needs."""

NO_COORDINATES = "no coordinates"


@dataclass(frozen=True)
class MapPoint:
    """A project of the board at its site (longitude and latitude in WGS-84 degrees)."""

    project_id: int
    row: BoardRow
    longitude: float
    latitude: float


@dataclass(frozen=True)
class Unplaced:
    """A project of the board the map cannot place, and why."""

    project_id: int
    code: str
    name: str
    reason: str


@dataclass(frozen=True)
class ProjectMap:
    """The board's projects split into those with a place on the map and those without."""

    points: list[MapPoint]
    unplaced: list[Unplaced]


def place(latitude: float | None, longitude: float | None) -> tuple[float, float] | str:
    """(longitude, latitude) rounded to COORDINATE_DECIMALS, or why the pair places nothing."""
    if latitude is None and longitude is None:
        return NO_COORDINATES
    if latitude is None or longitude is None:
        return "latitude without longitude" if longitude is None else "longitude without latitude"
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return "coordinates are not finite numbers"
    if not -90 <= latitude <= 90:
        return f"latitude {latitude} is outside -90 to 90"
    if not -180 <= longitude <= 180:
        return f"longitude {longitude} is outside -180 to 180"
    # + 0.0 turns a -0.0 left by rounding into 0.0.
    return round(longitude, COORDINATE_DECIMALS) + 0.0, round(latitude, COORDINATE_DECIMALS) + 0.0


async def project_map(flt: OverdueFilter, user: User, settings: Settings) -> ProjectMap:
    """The board of `flt` for `user` (see board_rows), each project placed or said unplaced,
    in board order (by project code). One statement beyond the board's own.

    A project deleted between the board's statements and the coordinates' is left out.
    """
    rows = await board_rows(flt, user, settings)
    queryset = board_projects(flt, user)
    if queryset is None or not rows:
        return ProjectMap(points=[], unplaced=[])
    sites = {
        code: (pid, latitude, longitude)
        for pid, code, latitude, longitude in await queryset.values_list(
            "id", "code", "latitude", "longitude"
        )
    }
    points, unplaced = [], []
    for row in rows:
        if row.code not in sites:
            continue
        pid, latitude, longitude = sites[row.code]
        placed = place(latitude, longitude)
        if isinstance(placed, str):
            unplaced.append(Unplaced(project_id=pid, code=row.code, name=row.name, reason=placed))
        else:
            points.append(MapPoint(pid, row, longitude=placed[0], latitude=placed[1]))
    return ProjectMap(points=points, unplaced=unplaced)
