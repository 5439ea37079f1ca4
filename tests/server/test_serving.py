"""Serving: `serve --workers 2` as a process, graceful stop, the port checked before anything
is printed, unknown variables warned about, and paths that do not depend on the current folder."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from server.serving import METRICS_DIR_VARIABLE, prepare_metrics_dir
from server.settings import PROJECT_DIR, Settings, database_for_display, unknown_variables

GRACE_SECONDS = 2
WAIT_SECONDS = 90  # a generous ceiling on a busy machine; nothing waits for it when all is well


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of a server process: no inherited WALLCHART_* variables, its own data."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("WALLCHART_")}
    env.update(
        WALLCHART_DATA_DIR=str(data_dir),
        WALLCHART_PORT=str(port),
        WALLCHART_SHUTDOWN_GRACE_SECONDS=str(GRACE_SECONDS),
        WALLCHART_LOG_FORMAT="json",
        **extra,
    )
    return env


def run_command(env: dict[str, str], cwd: Path, *args: str, stdin: str = "") -> str:
    """Run a command of the command line to completion; its stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "server", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def wait_for(what: str, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def connects(port: int) -> bool:
    with socket.socket() as client:
        return client.connect_ex(("127.0.0.1", port)) == 0


class Served:
    """A `python -m server serve` process and what it wrote."""

    def __init__(self, folder: Path, env: dict[str, str], *args: str) -> None:
        self.stdout_path, self.stderr_path = folder / "stdout.txt", folder / "stderr.txt"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server", "serve", *args],
                env=env,
                cwd=folder,
                stdout=out,
                stderr=err,
            )

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def stop(self) -> int:
        """SIGTERM, then the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=GRACE_SECONDS + WAIT_SECONDS)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT_SECONDS)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder to start commands from: not the project, so nothing may depend on it."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@pytest.fixture
def served(tmp_path: Path, workdir: Path) -> Iterator[tuple[Served, dict[str, str], int]]:
    """`serve --workers 2 --no-demo` on a free port, a migrated SQLite database in a temp data
    dir and one OFFICE account; the banner has been printed."""
    port = free_port()
    env = server_env(tmp_path / "data", port, WALLCHART_UPLOAD_GRACE_SECONDS="600")
    run_command(env, workdir, "migrate")
    run_command(
        env, workdir, "create-user", "clerk", "--role", "OFFICE", stdin="clerk-password-1\n"
    )
    server = Served(workdir, env, "--workers", "2", "--no-demo")
    try:
        wait_for("the banner", lambda: "wallchart serving on" in server.stdout)
        yield server, env, port
    finally:
        server.kill()


def graphql(port: int, query: str, variables: dict | None = None, token: str = "") -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


LOGIN = "mutation($i: LoginInput!) { login(input: $i) { token errors { code } } }"


def start_stalled_upload(port: int, token: str) -> socket.socket:
    """A multipart upload whose file part has begun but whose body never ends."""
    operations = json.dumps(
        {
            "query": 'mutation($f: Upload!) { uploadPhoto(input: {projectId: "x", file: $f})'
            " { errors { code } } }",
            "variables": {"f": None},
        }
    )
    boundary = "wallchart-test-boundary"
    head = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
            f"{operations}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
            '{"0": ["variables.f"]}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + b"\xff\xd8\xff"
        + b"\0" * 4096
    )
    request = (
        "POST /graphql HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        "X-Requested-With: test\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(head) + 1_000_000}\r\n\r\n"
    ).encode()
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    client.sendall(request + head)
    return client


def spooled_files(data_dir: Path) -> list[Path]:
    folder = data_dir / "media" / ".incoming"
    return [path for path in folder.iterdir() if path.is_file()] if folder.exists() else []


def test_two_workers_serve_then_stop_cleanly_leaving_no_upload_files(
    served: tuple[Served, dict[str, str], int], tmp_path: Path
) -> None:
    server, env, port = served
    wait_for("/healthz", lambda: answers(f"http://127.0.0.1:{port}/healthz"))
    assert answers(f"http://127.0.0.1:{port}/readyz")

    signed_in = graphql(port, LOGIN, {"i": {"username": "clerk", "password": "clerk-password-1"}})
    token = signed_in["data"]["login"]["token"]
    assert token
    me = graphql(port, "{ me { username role } }", token=token)
    assert me["data"]["me"] == {"username": "clerk", "role": "OFFICE"}

    upload = start_stalled_upload(port, token)
    try:
        wait_for("the upload's spool file", lambda: bool(spooled_files(tmp_path / "data")))
        assert server.stop() == 0
    finally:
        upload.close()

    assert spooled_files(tmp_path / "data") == []
    data_dir = (tmp_path / "data").resolve()
    assert f"data dir: {data_dir}" in server.stdout
    assert f"database: sqlite://{data_dir / 'wallchart.sqlite3'}" in server.stdout
    assert f"media:    {data_dir / 'media'}" in server.stdout
    assert "workers:  2" in server.stdout
    assert "Demo sign-ins" not in server.stdout  # --no-demo: there are none to show
    assert env["WALLCHART_DATA_DIR"] == str(tmp_path / "data")
    assert (data_dir / "metrics").is_dir()  # prometheus-client's multiprocess folder
    assert not (Path(server.stdout_path).parent / "var").exists()  # nothing made in the cwd


def test_one_worker_prints_the_banner_once_the_port_is_bound_and_stops_with_0(
    tmp_path: Path, workdir: Path
) -> None:
    port = free_port()
    env = server_env(tmp_path / "data", port)
    run_command(env, workdir, "migrate")
    server = Served(workdir, env, "--no-demo")
    try:
        wait_for("the banner", lambda: "wallchart serving on" in server.stdout)
        # The banner is out: the port takes connections already (queued until the app runs).
        assert connects(port)
        wait_for("/healthz", lambda: answers(f"http://127.0.0.1:{port}/healthz"))
        assert "workers:  1" in server.stdout
        assert server.stop() == 0
    finally:
        server.kill()


def test_an_operators_metrics_folder_is_kept(tmp_path: Path) -> None:
    settings = Settings.from_env({"WALLCHART_DATA_DIR": str(tmp_path)}, secret_key="k")
    chosen = {METRICS_DIR_VARIABLE: "/srv/metrics"}
    assert prepare_metrics_dir(settings, 4, chosen) == "/srv/metrics"
    assert prepare_metrics_dir(settings, 1, {}) is None
    fresh: dict[str, str] = {}
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_1.db").write_bytes(b"old")
    assert prepare_metrics_dir(settings, 2, fresh) == str(tmp_path / "metrics")
    assert fresh == {METRICS_DIR_VARIABLE: str(tmp_path / "metrics")}
    assert list((tmp_path / "metrics").iterdir()) == []


def test_a_port_in_use_is_one_line_and_exit_1_before_anything_else(
    tmp_path: Path, workdir: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "server", "serve"],
            env=server_env(tmp_path / "data", port),
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"wallchart: cannot serve on 127.0.0.1:{port}: the port is already in use "
        "(stop the other server or set WALLCHART_PORT)"
    )
    assert result.stdout == ""  # no banner, no sign-ins
    assert not (tmp_path / "data" / "wallchart.sqlite3").exists()  # nothing migrated or seeded


def test_an_unknown_variable_is_warned_about_with_the_closest_name(
    tmp_path: Path, workdir: Path
) -> None:
    env = server_env(tmp_path / "data", free_port(), WALLCHART_PORTT="8100")
    result = subprocess.run(
        [sys.executable, "-m", "server", "migrate"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "wallchart: unknown variable WALLCHART_PORTT is ignored; did you mean WALLCHART_PORT?"
        in result.stderr.splitlines()
    )


def test_unknown_variables_spare_settings_and_the_tests_own_variables() -> None:
    warnings = unknown_variables(
        {
            "WALLCHART_PORT": "8000",
            "WALLCHART_TEST_DATABASE": "sqlite",
            "WALLCHART_TEST_POSTGRES_URL": "postgres://x",
            "WALLCHART_BENCH_URL": "http://x",
            "WALLCHART_WORKER": "2",
            "WALLCHART_XYZZY": "1",
            "HOME": "/root",
        }
    )
    assert warnings == [
        "wallchart: unknown variable WALLCHART_WORKER is ignored; did you mean WALLCHART_WORKERS?",
        "wallchart: unknown variable WALLCHART_XYZZY is ignored; no setting has that name",
    ]


def test_paths_default_to_the_projects_var_folder_whatever_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({}, secret_key="k")
    assert settings.data_dir == str(PROJECT_DIR / "var")
    assert settings.database_url == f"sqlite://{PROJECT_DIR / 'var' / 'wallchart.sqlite3'}"
    assert settings.media_root == str(PROJECT_DIR / "var" / "media")
    assert list(tmp_path.iterdir()) == []


def test_the_data_dir_moves_the_database_media_and_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.chdir(tmp_path)
    first = Settings.from_env({"WALLCHART_DATA_DIR": str(data)})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    second = Settings.from_env({"WALLCHART_DATA_DIR": str(data)})
    assert first == second  # same database, media and secret key from another folder
    assert first.database_url == f"sqlite://{data / 'wallchart.sqlite3'}"
    assert first.media_root == str(data / "media")
    assert (data / "secret_key").read_text() == first.secret_key
    assert list(elsewhere.iterdir()) == []


def test_relative_paths_are_taken_from_the_project_and_explicit_ones_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env(
        {
            "WALLCHART_DATA_DIR": "var/other",
            "WALLCHART_DATABASE_URL": "sqlite://db/w.sqlite3?journal_mode=wal",
            "WALLCHART_MEDIA_ROOT": "photos",
            "WALLCHART_SECRET_KEY": "k",
        }
    )
    assert settings.data_dir == str(PROJECT_DIR / "var" / "other")
    assert settings.database_url == f"sqlite://{PROJECT_DIR / 'db' / 'w.sqlite3'}?journal_mode=wal"
    assert settings.media_root == str(PROJECT_DIR / "photos")
    postgres = Settings.from_env(
        {"WALLCHART_DATABASE_URL": "postgres://u:pw@db:5432/w", "WALLCHART_SECRET_KEY": "k"}
    )
    assert postgres.database_url == "postgres://u:pw@db:5432/w"
    memory = Settings.from_env({"WALLCHART_SECRET_KEY": "k"}, database_url="sqlite://:memory:")
    assert memory.database_url == "sqlite://:memory:"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://u:secret@db:5432/w?password=x", "postgres://u@db:5432/w"),
        ("postgres://db/w", "postgres://db/w"),
        ("sqlite:///srv/w.sqlite3", "sqlite:///srv/w.sqlite3"),
    ],
)
def test_the_database_is_printed_without_its_password(url: str, shown: str) -> None:
    assert database_for_display(url) == shown
