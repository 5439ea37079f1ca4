"""Committed migrations match the models, and apply to an empty database."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from server.db import pending_model_changes
from server.settings import Settings


async def test_models_and_migrations_agree(settings: Settings) -> None:
    pending = await pending_model_changes(settings)
    assert pending == [], f"models changed without a migration: run `make migrations` ({pending})"


def test_migrations_index_site_managers_by_user(tmp_path: Path) -> None:
    database = tmp_path / "migrated.sqlite3"
    env = {**os.environ, "WALLCHART_DATABASE_URL": f"sqlite://{database}"}
    subprocess.run([sys.executable, "-m", "server", "migrate"], env=env, check=True)
    with contextlib.closing(sqlite3.connect(database)) as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT project_id FROM project_site_manager WHERE user_id = 1"
        ).fetchall()
    assert any("idx_project_site_manager_user" in row[-1] for row in plan), plan
