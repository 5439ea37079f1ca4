"""The command line: --help, migrate, seed-demo, create-user, reset-password, disable-user,
list-users, print-schema."""

from __future__ import annotations

import hashlib
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
        "reset-password",
        "disable-user",
        "list-users",
        "backup",
        "restore",
        "print-schema",
        "fetch-graphiql",
        "seed-scale",
        "register-queries",
        "list-queries",
        "unregister-queries",
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
    assert "at least 10" in result.stderr


def test_create_user_refuses_a_common_password_and_a_case_twin(workdir: Path) -> None:
    common = run_cli(workdir, "create-user", "clerk", "--role", "OFFICE", stdin="Password123\n")
    assert common.returncode != 0
    assert "most common" in common.stderr
    made = run_cli(workdir, "create-user", "Clerk2", "--role", "OFFICE", stdin="tall-crane-42\n")
    assert made.returncode == 0, made.stderr
    twin = run_cli(workdir, "create-user", "clerk2", "--role", "OFFICE", stdin="tall-crane-42\n")
    assert twin.returncode != 0
    assert "already exists" in twin.stderr


def _user_row(workdir: Path, username: str) -> tuple[str, int, int]:
    """(password hash, is_active, must_change_password) of a user, read from the database."""
    with sqlite3.connect(workdir / "cli.sqlite3") as db:
        row = db.execute(
            'SELECT password_hash, is_active, must_change_password FROM "user" WHERE username = ?',
            (username,),
        ).fetchone()
    assert row is not None
    return row


def test_reset_password_prints_a_temporary_password_that_must_be_changed(workdir: Path) -> None:
    made = run_cli(
        workdir, "create-user", "foreman", "--role", "SITE_MANAGER", stdin="rebar-crew-07\n"
    )
    assert made.returncode == 0, made.stderr
    result = run_cli(workdir, "reset-password", "foreman")
    assert result.returncode == 0, result.stderr
    temporary = result.stdout.split("(shown once): ")[1].split()[0]
    password_hash, active, must_change = _user_row(workdir, "foreman")
    assert verify_password(password_hash, temporary)
    assert not verify_password(password_hash, "rebar-crew-07")
    assert (active, must_change) == (1, 1)
    missing = run_cli(workdir, "reset-password", "nobody-here")
    assert missing.returncode != 0
    assert "no user 'nobody-here'" in missing.stderr


def test_disable_user_keeps_the_last_admin_and_lists_the_state(workdir: Path) -> None:
    first = run_cli(workdir, "create-user", "root1", "--role", "ADMIN", stdin="first-admin-pass\n")
    assert first.returncode == 0, first.stderr
    made = run_cli(workdir, "create-user", "leaver", "--role", "OFFICE", stdin="going-away-2026\n")
    assert made.returncode == 0, made.stderr
    result = run_cli(workdir, "disable-user", "leaver")
    assert result.returncode == 0, result.stderr
    assert _user_row(workdir, "leaver")[1] == 0
    admins = run_cli(workdir, "list-users").stdout.splitlines()
    active_admins = [line.split()[0] for line in admins if "ADMIN" in line and " active" in line]
    for admin in active_admins[:-1]:
        assert run_cli(workdir, "disable-user", admin).returncode == 0
    last = run_cli(workdir, "disable-user", active_admins[-1])
    assert last.returncode != 0
    assert "last active administrator" in last.stderr
    assert _user_row(workdir, active_admins[-1])[1] == 1
    listed = run_cli(workdir, "list-users")
    assert listed.returncode == 0, listed.stderr
    leaver = next(line for line in listed.stdout.splitlines() if line.startswith("leaver "))
    assert "disabled" in leaver and "OFFICE" in leaver


def test_snapshot_board_refuses_bad_days_and_writes_a_past_one(workdir: Path) -> None:
    for args, message in (
        (("--date", "2020-02-30"), "not a date"),
        (("--date", "\x01"), "not a date"),
        (("--from", "2020-03-01"), "both --from and --to"),
        (("--date", "2999-01-01"), "has not ended yet"),
        (("--from", "2020-03-09", "--to", "2020-03-01"), "ends before it starts"),
        (("--from", "2000-01-01", "--to", "2020-01-01"), "at most"),
    ):
        result = run_cli(workdir, "snapshot-board", *args)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
    with sqlite3.connect(workdir / "cli.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM board_snapshot").fetchone() == (0,)
    seeded = run_cli(workdir, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    first = run_cli(workdir, "snapshot-board", "--date", "2020-03-01")
    assert first.returncode == 0, first.stderr
    assert "2020-03-01: wrote 0 lines" in first.stdout  # the demo's projects came later
    assert "JK-1090-001 2020-03-01..2020-03-01: the project did not exist yet" in first.stdout
    again = run_cli(workdir, "snapshot-board", "--date", "2020-03-01")
    assert again.returncode == 0 and "written 0" in again.stdout


def test_print_schema(workdir: Path) -> None:
    result = run_cli(workdir, "print-schema")
    assert result.returncode == 0
    assert "type Query" in result.stdout


def test_register_queries_checks_everything_first_and_is_idempotent(workdir: Path) -> None:
    queries = workdir / "queries"
    (queries / "screens").mkdir(parents=True)
    me = "query Me { me { id } }\n"
    (queries / "me.graphql").write_text(me)
    (queries / "screens" / "home.gql").write_text(
        "fragment P on Project { id }\n"
        "query Home { projects(first: 5) { edges { node { ...P } } } }\n"
    )
    (queries / "screens" / "broken.graphql").write_text("query Broken { noSuchField }\n")
    refused = run_cli(workdir, "register-queries", str(queries))
    assert refused.returncode == 1
    assert "nothing registered" in refused.stderr
    assert "broken.graphql: line 1" in refused.stderr and "noSuchField" in refused.stderr
    assert "no registered documents" in run_cli(workdir, "list-queries").stdout
    (queries / "screens" / "broken.graphql").unlink()
    first = run_cli(workdir, "register-queries", str(queries))
    assert first.returncode == 0, first.stderr
    me_hash = hashlib.sha256(me.encode()).hexdigest()
    assert f"added    {me_hash}  Me  {queries / 'me.graphql'}" in first.stdout
    assert "registered 2 new, 0 already registered" in first.stdout
    again = run_cli(workdir, "register-queries", str(queries / "me.graphql"))
    assert again.returncode == 0, again.stderr
    assert f"already  {me_hash}" in again.stdout
    listed = run_cli(workdir, "list-queries").stdout
    assert me_hash in listed and "Home" in listed
    missing = run_cli(workdir, "register-queries", str(workdir / "nowhere.graphql"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    bad_hash = run_cli(workdir, "unregister-queries", "xyz")
    assert bad_hash.returncode == 1 and "not a SHA-256" in bad_hash.stderr
    removed = run_cli(workdir, "unregister-queries", me_hash.upper())
    assert removed.returncode == 0, removed.stderr
    assert f"removed {me_hash}" in removed.stdout
    assert me_hash not in run_cli(workdir, "list-queries").stdout
