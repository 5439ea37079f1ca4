"""`python -m server backup` and `restore`: a restored copy serves the same photos, byte for
byte; a non-empty target is refused without --force; a damaged archive is named as such."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import NoReturn

import asyncpg
import pytest

from server.backup import known_migrations
from tests.conftest import POSTGRES_URL

REPO = Path(__file__).resolve().parents[2]
SECRET_KEY = "backup-test-secret-key"

# Run in a fresh interpreter (the ORM's context is process-wide, and the test session has its
# own): sign in as a demo office user, list every photo with its signed ORIGINAL link, fetch
# each through the app, and print {sha256 column: sha256 of the bytes served}.
SERVE_PHOTOS = """
import asyncio, hashlib, json, httpx
from server.api.app import create_app
from server.settings import Settings

QUERY = '''{ projects(first: 50) { edges { node {
  photos(first: 50) { edges { node { sha256 url(variant: ORIGINAL) } } } } } } }'''

async def main():
    settings = Settings.from_env()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            login = await http.post("/graphql", json={"query": (
                'mutation { login(input: {username: "office", password: "%s"}) '
                '{ token errors { message } } }') % settings.demo_password})
            token = login.json()["data"]["login"]["token"]
            headers = {"Authorization": f"Bearer {token}"}
            answer = await http.post("/graphql", json={"query": QUERY}, headers=headers)
            served = {}
            for project in answer.json()["data"]["projects"]["edges"]:
                for photo in project["node"]["photos"]["edges"]:
                    response = await http.get(photo["node"]["url"])
                    assert response.status_code == 200, response.status_code
                    served[photo["node"]["sha256"]] = hashlib.sha256(response.content).hexdigest()
            print(json.dumps(served))

asyncio.run(main())
"""


def _env(database_url: str, media_root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "WALLCHART_DATABASE_URL": database_url,
        "WALLCHART_MEDIA_ROOT": str(media_root),
        "WALLCHART_DATA_DIR": str(media_root.parent),
        "WALLCHART_SECRET_KEY": SECRET_KEY,
    }


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m server ARGS` from the repository with these settings."""
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
        check=False,
    )


def served_photos(env: dict[str, str]) -> dict[str, str]:
    """{photo sha256: sha256 of the ORIGINAL file the app serves} for the settings in `env`."""
    result = subprocess.run(
        [sys.executable, "-c", SERVE_PHOTOS],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def seed_and_back_up(env: dict[str, str], archive: Path) -> None:
    """Migrate, seed the demo data (with photos) and back it up into `archive`."""
    for command in (("migrate",), ("seed-demo",), ("backup", str(archive))):
        result = run_cli(env, *command)
        assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """A seeded SQLite installation and a backup of it: (its settings, the archive)."""
    root = tmp_path_factory.mktemp("original")
    env = _env(f"sqlite://{root / 'wallchart.sqlite3'}", root / "media")
    archive = tmp_path_factory.mktemp("backups") / "wallchart.tar.gz"
    seed_and_back_up(env, archive)
    return env, archive


def test_the_manifest_names_the_migration_level_and_every_media_file(
    original: tuple[dict[str, str], Path],
) -> None:
    env, archive = original
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        names = tar.getnames()
    media_root = Path(env["WALLCHART_MEDIA_ROOT"])
    on_disk = sorted(
        p.relative_to(media_root).as_posix() for p in media_root.rglob("*") if p.is_file()
    )
    assert manifest["database"]["kind"] == "sqlite"
    assert manifest["database"]["migration"] == known_migrations()[-1]
    assert manifest["media"]["files"] == len(on_disk) > 0
    assert sorted(manifest["media"]["sha256"]) == on_disk
    assert "database.sqlite3" in names


def test_a_restored_copy_serves_the_same_photos_byte_for_byte(
    original: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, archive = original
    copy = _env(f"sqlite://{tmp_path / 'restored.sqlite3'}", tmp_path / "restored-media")
    result = run_cli(copy, "restore", str(archive))
    assert result.returncode == 0, result.stderr
    assert "restored" in result.stdout
    before, after = served_photos(env), served_photos(copy)
    assert len(before) == 6
    assert after == before
    assert all(photo == content for photo, content in after.items())  # originals, untouched


def test_restore_refuses_a_non_empty_target_without_force(
    original: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, archive = original
    target = _env(f"sqlite://{tmp_path / 'busy.sqlite3'}", tmp_path / "busy-media")
    for command in (("migrate",), ("create-user", "keeper", "--role", "OFFICE")):
        made = subprocess.run(
            [sys.executable, "-m", "server", *command],
            input="tall-crane-42\n",
            capture_output=True,
            text=True,
            cwd=REPO,
            env=target,
            timeout=120,
            check=False,
        )
        assert made.returncode == 0, made.stderr
    refused = run_cli(target, "restore", str(archive))
    assert refused.returncode != 0
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert "keeper" in run_cli(target, "list-users").stdout
    forced = run_cli(target, "restore", "--force", str(archive))
    assert forced.returncode == 0, forced.stderr
    users = run_cli(target, "list-users").stdout
    assert "keeper" not in users and "office" in users
    assert served_photos(target) == served_photos(env)


def test_a_truncated_archive_is_refused_with_a_clear_error(
    original: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    _, archive = original
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    target = _env(f"sqlite://{tmp_path / 'restored.sqlite3'}", tmp_path / "media")
    result = run_cli(target, "restore", str(truncated))
    assert result.returncode != 0
    assert "not a readable backup archive" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*"))


def test_an_altered_photo_in_the_archive_is_detected_before_anything_is_replaced(
    original: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    _, archive = original
    altered = tmp_path / "altered.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(altered, "w:gz") as target:
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.startswith("media/original/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.addfile(member, io.BytesIO(data))
    target_env = _env(f"sqlite://{tmp_path / 'restored.sqlite3'}", tmp_path / "media")
    result = run_cli(target_env, "restore", str(altered))
    assert result.returncode != 0
    assert "does not match its checksum" in result.stderr
    assert not (tmp_path / "restored.sqlite3").exists()


def test_backup_refuses_to_overwrite_an_existing_file(
    original: tuple[dict[str, str], Path],
) -> None:
    env, archive = original
    size = archive.stat().st_size
    result = run_cli(env, "backup", str(archive))
    assert result.returncode != 0
    assert "already exists" in result.stderr
    assert archive.stat().st_size == size


def _unavailable(reason: str) -> NoReturn:
    """Skip for want of PostgreSQL, except in CI, where that is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs PostgreSQL for the backup tests: {reason}")
    pytest.skip(reason)


@pytest.fixture
async def two_postgres_databases() -> AsyncIterator[tuple[str, str]]:
    """URLs of two fresh PostgreSQL databases, dropped afterwards.

    Without PostgreSQL or its client tools the test is skipped on a developer's machine and
    fails in CI (`CI=true`), where a missing PostgreSQL is a failure, never a skip.
    """
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        _unavailable("pg_dump and pg_restore are not on PATH")
    try:
        admin = await asyncpg.connect(
            POSTGRES_URL.replace("postgres://", "postgresql://"), timeout=5
        )
    except (OSError, asyncpg.PostgresError) as exc:
        _unavailable(f"no PostgreSQL server at WALLCHART_TEST_POSTGRES_URL: {exc}")
    names = [f"wallchart_backup_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    base = POSTGRES_URL.rpartition("/")[0]
    try:
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def test_a_postgres_backup_restores_into_another_database(
    two_postgres_databases: tuple[str, str], tmp_path: Path
) -> None:
    first, second = two_postgres_databases
    env = _env(first, tmp_path / "first" / "media")
    archive = tmp_path / "pg.tar.gz"
    seed_and_back_up(env, archive)
    with tarfile.open(archive, "r:gz") as tar:
        assert "database.pgdump" in tar.getnames()
    copy = _env(second, tmp_path / "second" / "media")
    restored = run_cli(copy, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    before = served_photos(env)
    assert len(before) == 6
    assert served_photos(copy) == before
    again = run_cli(copy, "restore", str(archive))
    assert again.returncode != 0 and "not empty" in again.stderr
