"""Photo rules: distance to the site, on-site decisions, URL signatures."""

from __future__ import annotations

import pytest

from media import Variant
from server.domain.models import Project
from server.domain.photos import (
    file_signature,
    haversine_meters,
    is_on_site,
    photos_of_project,
    signature_is_valid,
    signed_file_url,
)
from server.settings import Settings


def test_haversine_distances() -> None:
    assert haversine_meters(31.2304, 121.4737, 31.2304, 121.4737) == 0
    # One degree of latitude is about 111.2 km.
    assert haversine_meters(31.0, 121.0, 32.0, 121.0) == pytest.approx(111_195, rel=1e-3)
    # Shanghai to Beijing, about 1067 km.
    assert haversine_meters(31.2304, 121.4737, 39.9042, 116.4074) == pytest.approx(
        1_067_000, rel=0.01
    )


def test_on_site_within_the_radius_only() -> None:
    site = Project(latitude=31.2304, longitude=121.4737, site_radius_meters=200)
    assert is_on_site(site, 31.2310, 121.4740) is True  # about 70 m away
    assert is_on_site(site, 31.2404, 121.4737) is False  # about 1.1 km away
    assert is_on_site(site, None, None) is None
    assert is_on_site(Project(latitude=None, longitude=None), 31.2, 121.4) is None
    no_radius = Project(latitude=31.2304, longitude=121.4737, site_radius_meters=None)
    assert is_on_site(no_radius, 31.2304, 121.4737) is None


def test_signatures_bind_photo_variant_and_expiry(settings: Settings) -> None:
    now = 1_700_000_000.0
    url = signed_file_url(settings, 7, Variant.LARGE, now=now)
    expires = int(now) + settings.photo_url_ttl_seconds
    assert url.startswith(f"/photos/7/large?expires={expires}&signature=")
    signature = url.rsplit("=", 1)[1]
    assert signature == file_signature(settings.secret_key, 7, Variant.LARGE, expires)
    assert signature_is_valid(settings, 7, Variant.LARGE, expires, signature, now=now)
    assert not signature_is_valid(settings, 8, Variant.LARGE, expires, signature, now=now)
    assert not signature_is_valid(settings, 7, Variant.ORIGINAL, expires, signature, now=now)
    assert not signature_is_valid(settings, 7, Variant.LARGE, expires + 1, signature, now=now)
    assert not signature_is_valid(settings, 7, Variant.LARGE, expires, signature, now=expires + 1)
    other_key = file_signature("another key", 7, Variant.LARGE, expires)
    assert not signature_is_valid(settings, 7, Variant.LARGE, expires, other_key, now=now)


async def test_photos_of_project_refuses_foreign_and_unknown_ids(office) -> None:
    from server.domain.models import Photo

    home = await Project.create(code="H", name="Home", responsible_unit="u")
    away = await Project.create(code="A", name="Away", responsible_unit="u")
    common = {"uploaded_by": office.user, "width": 1, "height": 1, "content_type": "image/jpeg"}
    ours = await Photo.create(project=home, byte_size=1, sha256="a" * 64, **common)
    theirs = await Photo.create(project=away, byte_size=1, sha256="b" * 64, **common)
    accepted, refused = await photos_of_project([ours.id, theirs.id, None, ours.id], home.id)
    assert [photo.id for photo in accepted] == [ours.id]
    assert [position for position, _ in refused] == [1, 2]
