"""The log formatters, the redaction of secrets, and the choice of format."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from server.settings import Settings, SettingsError
from server.telemetry.logs import (
    REDACTED,
    JSONFormatter,
    TextFormatter,
    configure_logging,
    redact,
)


def _record(message: str, *args: object, exc: bool = False, **extra: object) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise RuntimeError("the database went away")
        except RuntimeError:
            exc_info = sys.exc_info()
    record = logging.LogRecord(
        "wallchart.test", logging.WARNING, __file__, 1, message, args or None, exc_info
    )
    record.__dict__.update(extra)
    return record


def test_json_line_holds_time_level_logger_message_and_extra_fields() -> None:
    record = _record(
        "request %s", "done", request_id="abc", status=200, user_id=None, color_message="\x1b[36m"
    )
    line = JSONFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["time"].endswith("Z") and parsed["time"][:2] == "20"
    assert parsed["level"] == "WARNING"
    assert parsed["logger"] == "wallchart.test"
    assert parsed["message"] == "request done"
    assert parsed["request_id"] == "abc"
    assert parsed["status"] == 200
    assert parsed["user_id"] is None
    assert "traceback" not in parsed
    assert "color_message" not in parsed  # uvicorn's coloured copy of the message


def test_json_line_carries_an_exception_as_traceback_text() -> None:
    parsed = json.loads(JSONFormatter().format(_record("failed", exc=True)))
    assert parsed["traceback"].startswith("Traceback")
    assert "RuntimeError: the database went away" in parsed["traceback"]


def test_text_line_is_readable_with_fields_and_traceback() -> None:
    text = TextFormatter().format(_record("failed", exc=True, request_id="abc", status=500))
    first, *rest = text.splitlines()
    assert "WARNING" in first and "wallchart.test: failed" in first
    assert "request_id=abc" in first and "status=500" in first
    assert rest[0].startswith("Traceback")
    assert "RuntimeError: the database went away" in text


SECRETS = {
    "authorization header": ("Authorization: Bearer s3cr3t-token-value-123", "s3cr3t-token"),
    "bare authorization": ('{"authorization": "s3cr3t-token-value"}', "s3cr3t-token"),
    "photo url signature": (
        "GET /photos/7/large?expires=1767225600&signature=9f86d081884c7d65 HTTP/1.1",
        "9f86d081884c7d65",
    ),
    "photo url expiry": ("GET /photos/7/large?expires=1767225600&signature=9f8", "1767225600"),
    "sig parameter": ("/photos/7/thumbnail?sig=abcdef0123&x=1", "abcdef0123"),
    "token parameter": ("/export.csv?token=abcdef0123", "abcdef0123"),
    "json password": ('{"username": "wang", "password": "hunter2 \\" x"}', "hunter2"),
    "graphql password": ('login(username: "wang", password: "hunter2")', "hunter2"),
    "json token": ('{"data": {"login": {"token": "tok-abcdef0123"}}}', "tok-abcdef0123"),
    "database url password": ("postgres://wall:dbpass123@db:5432/wallchart", "dbpass123"),
}


@pytest.mark.parametrize("kind", SECRETS)
def test_redact_removes_each_kind_of_secret(kind: str) -> None:
    text, secret = SECRETS[kind]
    cleaned = redact(text)
    assert secret not in cleaned
    assert REDACTED in cleaned


@pytest.mark.parametrize("kind", SECRETS)
@pytest.mark.parametrize("formatter", [JSONFormatter(), TextFormatter()], ids=["json", "text"])
def test_both_formatters_redact_messages_fields_and_tracebacks(
    kind: str, formatter: logging.Formatter
) -> None:
    text, secret = SECRETS[kind]
    try:
        raise ValueError(text)
    except ValueError:
        record = _record("seen: %s", text, detail=text, nested={"note": [text]})
        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert secret not in line
    assert REDACTED in line


def test_secret_named_fields_are_redacted_whatever_their_value() -> None:
    record = _record("login", variables={"username": "wang", "newPassword": "plain words"})
    parsed = json.loads(JSONFormatter().format(record))
    assert parsed["variables"] == {"username": "wang", "newPassword": REDACTED}
    assert "plain words" not in TextFormatter().format(record)


def test_ordinary_text_is_left_alone() -> None:
    text = "POST /graphql 200 in 12 ms: 4 statements, token_ttl_hours=720"
    assert redact(text) == text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Restore the root logger's handlers and level after a test configures logging."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(
    ("log_format", "terminal", "expected"),
    [
        ("auto", True, TextFormatter),
        ("auto", False, JSONFormatter),
        ("json", True, JSONFormatter),
        ("text", False, TextFormatter),
        ("JSON", False, JSONFormatter),
    ],
)
def test_format_follows_the_setting_and_auto_picks_text_on_a_terminal(
    settings: Settings, root_logging: None, log_format: str, terminal: bool, expected: type
) -> None:
    stream = _Terminal() if terminal else io.StringIO()
    handler = configure_logging(dataclasses.replace(settings, log_format=log_format), stream)
    assert type(handler.formatter) is expected
    logging.getLogger("wallchart").info("service started", extra={"media": "/srv/media"})
    written = stream.getvalue()
    if expected is JSONFormatter:
        assert json.loads(written)["message"] == "service started"
    else:
        assert "INFO" in written and "wallchart: service started" in written


def test_configuring_again_replaces_the_handler(settings: Settings, root_logging: None) -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging(dataclasses.replace(settings, log_format="json"), first)
    configure_logging(dataclasses.replace(settings, log_format="json"), second)
    logging.getLogger("wallchart").info("once")
    assert first.getvalue() == ""
    assert len(second.getvalue().splitlines()) == 1


def test_an_unknown_format_is_a_settings_error(settings: Settings) -> None:
    with pytest.raises(SettingsError, match="WALLCHART_LOG_FORMAT"):
        configure_logging(dataclasses.replace(settings, log_format="xml"), io.StringIO())
