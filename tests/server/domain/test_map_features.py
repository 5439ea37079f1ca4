"""Placing projects on the five-colour map: which coordinates are usable, the colours' values."""

from __future__ import annotations

import math
import re

from server.domain.map_features import HEALTH_HEX, NO_COORDINATES, place


def test_the_five_colours_are_hex_values() -> None:
    assert len(set(HEALTH_HEX.values())) == 5
    assert all(re.fullmatch(r"#[0-9a-f]{6}", value) for value in HEALTH_HEX.values())
    assert HEALTH_HEX.keys() == {"BLUE", "GREEN", "YELLOW", "ORANGE", "RED"}


def test_place_takes_usable_coordinates_only() -> None:
    assert place(28.23, 112.94) == (112.94, 28.23)
    assert place(90.0, -180.0) == (-180.0, 90.0)
    assert place(28.1234567, 112.9876543) == (112.987654, 28.123457)
    assert place(None, None) == NO_COORDINATES
    assert place(28.23, None) == "latitude without longitude"
    assert place(None, 112.94) == "longitude without latitude"
    assert place(math.nan, 112.94) == "coordinates are not finite numbers"
    assert place(28.23, math.inf) == "coordinates are not finite numbers"
    assert place(-90.5, 0.0) == "latitude -90.5 is outside -90 to 90"
    assert place(0.0, 180.25) == "longitude 180.25 is outside -180 to 180"


def test_a_coordinate_rounded_to_zero_has_no_minus_sign() -> None:
    placed = place(-0.0000001, -0.0000001)
    assert isinstance(placed, tuple)
    longitude, latitude = placed
    assert math.copysign(1, longitude) == 1 and math.copysign(1, latitude) == 1
