"""Committed migrations match the models, and apply to an empty database."""

from __future__ import annotations

from server.db import pending_model_changes
from server.settings import Settings


async def test_models_and_migrations_agree(settings: Settings) -> None:
    pending = await pending_model_changes(settings)
    assert pending == [], f"models changed without a migration: run `make migrations` ({pending})"
