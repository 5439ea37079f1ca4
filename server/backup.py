"""Backups and restores: the database and the media folder in one archive, with a manifest.

An archive is a tar.gz holding `manifest.json`, the database (`database.sqlite3`, a copy made
with SQLite's online backup API, or `database.pgdump`, a `pg_dump` custom-format dump) and the
media folder under `media/`. The database is copied first and the media folder after it: photo
files are written before their rows are committed, so every photo in the copied database has
its file in the archive. The manifest names the migration level, the service version and a
SHA-256 of every file, and a restore checks all of them before it replaces anything.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import hashlib
import importlib.metadata
import io
import json
import os
import pkgutil
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import zlib
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, TypeVar
from urllib.parse import unquote, urlsplit

import asyncpg

import server.domain.migrations as migrations_package
from server.db import apply_migrations
from server.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
MEMBERS = {"sqlite": "database.sqlite3", "postgres": "database.pgdump"}
MIGRATIONS_TABLE = "tortoise_migrations"
SKIPPED_MEDIA = {".incoming"}  # uploads in flight and temporary files, never part of a backup
CHUNK = 1024 * 1024
T = TypeVar("T")


class BackupError(Exception):
    """A backup or restore cannot be done; the message says why (never with a password)."""


@dataclass(frozen=True)
class Database:
    """The configured database: its kind and how to reach it."""

    kind: str
    sqlite_path: Path | None = None
    postgres: dict[str, str] | None = None

    @property
    def postgres_env(self) -> dict[str, str]:
        """libpq variables for pg_dump and pg_restore: the password never on a command line."""
        names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD"}
        found = self.postgres or {}
        env = {names[key]: value for key, value in found.items() if key in names and value}
        env["PGDATABASE"] = found["database"]
        return env

    async def connect(self) -> asyncpg.Connection:
        """A plain asyncpg connection to the configured PostgreSQL database."""
        found = self.postgres or {}
        return await asyncpg.connect(
            host=found.get("host") or None,
            port=int(found["port"]) if found.get("port") else None,
            user=found.get("user") or None,
            password=found.get("password") or None,
            database=found["database"],
            timeout=30,
        )


def database_of(settings: Settings) -> Database:
    """The kind and location of the settings' database."""
    url = settings.database_url
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://").split("?", 1)[0]
        if not path or path == ":memory:":
            raise BackupError("an in-memory SQLite database cannot be backed up or restored")
        return Database("sqlite", sqlite_path=Path(path).absolute())
    parts = urlsplit(url)
    return Database(
        "postgres",
        postgres={
            "host": parts.hostname or "",
            "port": str(parts.port or ""),
            "user": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "database": unquote(parts.path.lstrip("/")),
        },
    )


def known_migrations() -> list[str]:
    """Names of the migrations this version of the code ships, in order."""
    return sorted(
        module.name
        for module in pkgutil.iter_modules(migrations_package.__path__)
        if module.name[:4].isdigit()
    )


def service_version() -> str:
    """The installed wallchart version, or "unknown" when it is not installed as a package."""
    try:
        return importlib.metadata.version("wallchart")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader:
    """A file wrapper that hashes what is read through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        """Read and hash up to `size` bytes."""
        data = self.raw.read(size)
        self.digest.update(data)
        return data


# --- the database ---------------------------------------------------------------------------


def _sqlite_migrations(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        try:
            rows = db.execute(f"SELECT name FROM {MIGRATIONS_TABLE} WHERE app = 'models'")
        except sqlite3.OperationalError:
            return []
        return sorted(name for (name,) in rows)


async def _postgres_migrations(database: Database) -> list[str]:
    connection = await database.connect()
    try:
        if not await connection.fetchval(f"SELECT to_regclass('{MIGRATIONS_TABLE}')"):
            return []
        rows = await connection.fetch(f"SELECT name FROM {MIGRATIONS_TABLE} WHERE app = 'models'")
    finally:
        await connection.close()
    return sorted(row["name"] for row in rows)


def _on_postgres(work: Coroutine[Any, Any, T]) -> T:
    """Run a query coroutine; an unreachable database becomes a BackupError."""
    try:
        return asyncio.run(work)
    except (OSError, asyncpg.PostgresError) as exc:
        raise BackupError(f"cannot reach the database: {exc}") from None


def _run_tool(command: list[str], env: dict[str, str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(
            f"{tool} is not on PATH: install the PostgreSQL client tools "
            "(the server's major version or newer)"
        )
    result = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()}")


def _dump_database(database: Database, folder: Path) -> tuple[Path, list[str]]:
    """Copy the database into `folder`; return the copy and its applied migrations."""
    copy = folder / MEMBERS[database.kind]
    if database.kind == "sqlite":
        assert database.sqlite_path is not None
        if not database.sqlite_path.is_file():
            raise BackupError(f"there is no database at {database.sqlite_path}")
        with (
            contextlib.closing(sqlite3.connect(database.sqlite_path)) as source,
            contextlib.closing(sqlite3.connect(copy)) as target,
        ):
            source.backup(target)
        return copy, _sqlite_migrations(copy)
    migrations = _on_postgres(_postgres_migrations(database))
    _run_tool(["pg_dump", "--format=custom", f"--file={copy}"], database.postgres_env)
    return copy, migrations


def _sqlite_has_rows(path: Path) -> bool:
    if not path.is_file() or path.stat().st_size == 0:
        return False
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("sqlite_") and name != MIGRATIONS_TABLE
        ]
        return any(db.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone() for table in tables)


async def _postgres_has_rows(database: Database) -> bool:
    connection = await database.connect()
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
        for (table,) in tables:
            if table != MIGRATIONS_TABLE and await connection.fetchval(
                f'SELECT EXISTS (SELECT 1 FROM "{table}")'
            ):
                return True
    finally:
        await connection.close()
    return False


def database_has_rows(database: Database) -> bool:
    """True when any table of the database, apart from the migration record, holds a row."""
    if database.kind == "sqlite":
        assert database.sqlite_path is not None
        return _sqlite_has_rows(database.sqlite_path)
    return _on_postgres(_postgres_has_rows(database))


def _load_database(database: Database, copy: Path) -> None:
    """Replace the configured database's content with the restored copy."""
    if database.kind == "sqlite":
        assert database.sqlite_path is not None
        database.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        with (
            contextlib.closing(sqlite3.connect(copy)) as source,
            contextlib.closing(sqlite3.connect(database.sqlite_path)) as target,
        ):
            source.backup(target)
        return
    found = database.postgres or {}
    _run_tool(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={found['database']}",
            str(copy),
        ],
        database.postgres_env,
    )


# --- the media folder -----------------------------------------------------------------------


def media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(archive-relative POSIX name, path) of every regular file of the media folder, sorted."""
    if not root.is_dir():
        return
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        if here == root:
            subfolders[:] = [name for name in subfolders if name not in SKIPPED_MEDIA]
        subfolders.sort()
        for name in sorted(files):
            path = here / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def _tar_info(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o600
    return info


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> tuple[int, str]:
    """Add one file under `name`; return its size and sha256 as read into the archive."""
    with path.open("rb") as handle:
        stat = os.fstat(handle.fileno())
        reader = _HashingReader(handle)
        tar.addfile(_tar_info(name, stat.st_size, stat.st_mtime), reader)  # type: ignore[arg-type]
    return stat.st_size, reader.digest.hexdigest()


# --- backup ---------------------------------------------------------------------------------


def _archive_path(dest: Path) -> Path:
    if dest.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        return dest / f"wallchart-{stamp}.tar.gz"
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose a new file or a folder")
    return dest


def backup(settings: Settings, dest: Path) -> tuple[Path, dict[str, Any]]:
    """Write the database and the media folder to one archive; return it and its manifest."""
    database = database_of(settings)
    archive = _archive_path(dest.absolute())
    archive.parent.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.media_root)
    partial = archive.with_name(f".{archive.name}.partial")
    with tempfile.TemporaryDirectory(prefix=".wallchart-backup-", dir=archive.parent) as staging:
        copy, migrations = _dump_database(database, Path(staging))
        try:
            with tarfile.open(partial, "w:gz") as tar:
                db_size, db_sha = _add_file(tar, copy.name, copy)
                checksums: dict[str, str] = {}
                total = 0
                for name, path in media_files(media_root):
                    try:
                        size, checksums[name] = _add_file(tar, f"{MEDIA}/{name}", path)
                    except FileNotFoundError:
                        continue  # removed by a failed upload: no row of the copy names it
                    total += size
                manifest = {
                    "format": FORMAT,
                    "service": "wallchart",
                    "version": service_version(),
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "database": {
                        "kind": database.kind,
                        "file": copy.name,
                        "bytes": db_size,
                        "sha256": db_sha,
                        "migration": migrations[-1] if migrations else None,
                        "migrations": migrations,
                    },
                    "media": {"files": len(checksums), "bytes": total, "sha256": checksums},
                }
                body = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
                tar.addfile(
                    _tar_info(MANIFEST, len(body), datetime.now(UTC).timestamp()),
                    io.BytesIO(body),
                )
            partial.replace(archive)
        finally:
            partial.unlink(missing_ok=True)
    return archive, manifest


# --- restore --------------------------------------------------------------------------------


def _member_target(name: str, staging: Path) -> Path:
    """Where an archive member goes in the staging folder; refuses anything unexpected."""
    parts = PurePosixPath(name).parts
    safe = parts and not PurePosixPath(name).is_absolute() and ".." not in parts
    if safe and (name in (MANIFEST, *MEMBERS.values()) or (parts[0] == MEDIA and len(parts) > 1)):
        return staging.joinpath(*parts)
    raise BackupError(f"unexpected entry {name!r}: not a wallchart backup")


def _extract(source: Path, staging: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Unpack the archive into `staging`; return its manifest and the sha256 of every file."""
    seen: dict[str, str] = {}
    with tarfile.open(source, "r:gz") as tar:
        for member in tar:
            target = _member_target(member.name, staging)
            if not member.isfile():
                raise BackupError(f"unexpected entry {member.name!r}: not a regular file")
            target.parent.mkdir(parents=True, exist_ok=True)
            stream = tar.extractfile(member)
            assert stream is not None
            reader = _HashingReader(stream)
            with target.open("wb") as out:
                while chunk := reader.read(CHUNK):
                    out.write(chunk)
            seen[member.name] = reader.digest.hexdigest()
    if MANIFEST not in seen:
        raise BackupError("the archive has no manifest.json: not a wallchart backup")
    manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
    return manifest, seen


def _verify(manifest: dict[str, Any], seen: dict[str, str], database: Database) -> None:
    """Check the manifest against the archive's files, the configured database and the code."""
    if manifest.get("format") != FORMAT or manifest.get("service") != "wallchart":
        raise BackupError("the manifest is not of a wallchart backup this version can read")
    stored = manifest["database"]
    if stored["kind"] != database.kind:
        raise BackupError(
            f"the backup holds a {stored['kind']} database but WALLCHART_DATABASE_URL is "
            f"{database.kind}; restore it into a {stored['kind']} database"
        )
    expected = {stored["file"]: stored["sha256"]}
    expected.update({f"{MEDIA}/{n}": sha for n, sha in manifest["media"]["sha256"].items()})
    for name, sha in expected.items():
        if seen.get(name) != sha:
            problem = "is missing" if name not in seen else "does not match its checksum"
            raise BackupError(f"the archive is damaged: {name} {problem}")
    extra = set(seen) - set(expected) - {MANIFEST}
    if extra:
        raise BackupError(f"the archive is damaged: {sorted(extra)[0]} is not in the manifest")
    unknown = [name for name in stored["migrations"] if name not in known_migrations()]
    if unknown:
        raise BackupError(
            f"the backup was made by a newer version (migration {unknown[-1]} is unknown "
            "here); upgrade the code first, then restore"
        )


def _media_has_files(root: Path) -> bool:
    return next(media_files(root), None) is not None


def _load_media(staged: Path, root: Path) -> int:
    """Make the media folder hold exactly the staged files; return how many there are."""
    kept = set()
    if staged.is_dir():
        for name, path in media_files(staged):
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            kept.add(name)
    for name, path in list(media_files(root)):
        if name not in kept:
            path.unlink()
    return len(kept)


def restore(settings: Settings, source: Path, *, force: bool) -> dict[str, Any]:
    """Restore an archive into the configured database and media folder, then migrate.

    Refuses a database or media folder that is not empty unless `force`; checks every file
    against the manifest before anything is replaced. Returns the manifest.
    """
    database = database_of(settings)
    media_root = Path(settings.media_root).absolute()
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    if not force:
        if database_has_rows(database):
            raise BackupError("the database is not empty; pass --force to replace it")
        if _media_has_files(media_root):
            raise BackupError(f"the media folder {media_root} is not empty; pass --force")
    media_root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".wallchart-restore-", dir=media_root.parent) as tmp:
        staging = Path(tmp)
        try:
            manifest, seen = _extract(source, staging)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise BackupError(f"{source} is not a readable backup archive ({exc})") from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BackupError("the archive's manifest.json is not valid JSON") from None
        try:
            _verify(manifest, seen, database)
        except (KeyError, TypeError, AttributeError):
            raise BackupError("the archive's manifest.json lacks required entries") from None
        _load_database(database, staging / manifest["database"]["file"])
        media_root.mkdir(parents=True, exist_ok=True)
        _load_media(staging / MEDIA, media_root)
    asyncio.run(apply_migrations(settings))
    return manifest


def run(settings: Settings, args: argparse.Namespace) -> None:
    """The `backup DEST` and `restore SRC [--force]` commands; one-line error on failure."""
    try:
        if args.command == "backup":
            archive, manifest = backup(settings, Path(args.dest))
            print(
                f"wrote {archive}: {manifest['database']['kind']} database at migration "
                f"{manifest['database']['migration']}, {manifest['media']['files']} media files"
            )
        else:
            manifest = restore(settings, Path(args.source), force=args.force)
            print(
                f"restored the {manifest['database']['kind']} database (backup of "
                f"{manifest['created_at']}, migration {manifest['database']['migration']}) and "
                f"{manifest['media']['files']} media files; migrations applied"
            )
    except BackupError as exc:
        sys.exit(f"wallchart: {args.command}: {exc}")
