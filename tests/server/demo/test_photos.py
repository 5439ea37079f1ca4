"""The demo photos: real files behind every row, on site, some linked as milestone proof."""

from __future__ import annotations

from media import MediaStore, Variant
from server.demo import seed_demo
from server.domain.models import Photo
from server.settings import Settings


async def test_demo_photos_are_stored_and_idempotent(settings: Settings) -> None:
    created = await seed_demo(settings)
    photos = await Photo.all()
    assert [name for name in created if name.startswith("photo ")]
    assert len(photos) == len([name for name in created if name.startswith("photo ")])
    store = MediaStore(settings.media_root)
    for photo in photos:
        assert photo.on_site is True
        assert photo.taken_at is not None
        for variant in Variant:
            assert store.path(photo.sha256, variant).is_file()
    assert any(photo.milestone_id is not None for photo in photos)
    assert not [name for name in await seed_demo(settings) if name.startswith("photo ")]
