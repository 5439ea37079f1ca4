"""The command line: --help, migrate, seed-demo, create-user, print-schema."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from server.domain.accounts import verify_password


def run_cli(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WALLCHART_DATABASE_URL": f"sqlite://{cwd / 'cli.sqlite3'}"}
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    result = run_cli(path, "migrate")
    assert result.returncode == 0, result.stderr
    return path


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    for command in (
        "serve",
        "migrate",
        "makemigrations",
        "seed-demo",
        "create-user",
        "print-schema",
        "fetch-graphiql",
        "seed-scale",
    ):
        assert command in result.stdout


def test_seed_demo_is_idempotent(workdir: Path) -> None:
    first = run_cli(workdir, "seed-demo")
    assert first.returncode == 0, first.stderr
    assert "office" in first.stdout
    second = run_cli(workdir, "seed-demo")
    assert second.returncode == 0, second.stderr
    assert "nothing new" in second.stdout


def test_create_user_reads_the_password_from_stdin(workdir: Path) -> None:
    result = run_cli(
        workdir,
        "create-user",
        "inspector",
        "--role",
        "SUPERVISOR",
        "--unit",
        "督查室",
        stdin="s3cret-password\n",
    )
    assert result.returncode == 0, result.stderr
    row = (
        sqlite3.connect(workdir / "cli.sqlite3")
        .execute("SELECT role, unit, password_hash FROM user WHERE username = 'inspector'")
        .fetchone()
    )
    assert row[:2] == ("SUPERVISOR", "督查室")
    assert verify_password(row[2], "s3cret-password")
    again = run_cli(workdir, "create-user", "inspector", "--role", "OFFICE", stdin="another-pass\n")
    assert again.returncode != 0
    assert "already exists" in again.stderr


def test_create_user_refuses_a_short_password(workdir: Path) -> None:
    result = run_cli(workdir, "create-user", "shorty", "--role", "OFFICE", stdin="abc\n")
    assert result.returncode != 0
    assert "at least 8" in result.stderr


def test_print_schema(workdir: Path) -> None:
    result = run_cli(workdir, "print-schema")
    assert result.returncode == 0
    assert "type Query" in result.stdout
