"""Settings from WALLCHART_* variables."""

from __future__ import annotations

import subprocess
import sys

import pytest

from server.settings import PROJECT_DIR, Settings, SettingsError


def test_defaults() -> None:
    settings = Settings.from_env({}, secret_key="k")
    assert settings.database_url == f"sqlite://{PROJECT_DIR / 'var' / 'wallchart.sqlite3'}"
    assert settings.media_root == str(PROJECT_DIR / "var" / "media")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.timezone == "Asia/Shanghai"
    assert settings.demo_password == "wallchart-demo"
    assert settings.debug is False


def test_values_are_read_and_converted() -> None:
    settings = Settings.from_env(
        {
            "WALLCHART_PORT": "8100",
            "WALLCHART_DEBUG": "1",
            "WALLCHART_TIMEZONE": "UTC",
            "WALLCHART_SECRET_KEY": "abc",
            "WALLCHART_DATABASE_URL": "postgres://u@h/db",
        }
    )
    assert settings.port == 8100
    assert settings.debug is True
    assert settings.timezone == "UTC"
    assert settings.secret_key == "abc"
    assert settings.database_url == "postgres://u@h/db"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WALLCHART_PORT", "eighty"),
        ("WALLCHART_PORT", "70000"),
        ("WALLCHART_DEBUG", "maybe"),
        ("WALLCHART_TIMEZONE", "Mars/Olympus"),
        ("WALLCHART_DATABASE_URL", "mysql://x"),
        ("WALLCHART_MAX_QUERY_DEPTH", "-1"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({name: value, "WALLCHART_SECRET_KEY": "k"})
    assert str(raised.value).startswith(f"{name}=")


def test_secret_key_is_generated_once_and_kept(tmp_path) -> None:
    environ = {"WALLCHART_DATA_DIR": str(tmp_path / "var")}
    first = Settings.from_env(environ).secret_key
    second = Settings.from_env(environ).secret_key
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "var" / "secret_key").read_text() == first


def test_bad_setting_stops_start_up_with_one_line(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server", "migrate"],
        env={"WALLCHART_PORT": "nope", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode != 0
    assert (
        result.stderr.strip() == "wallchart: bad setting WALLCHART_PORT='nope': must be an integer"
    )
