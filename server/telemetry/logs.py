"""The service's log lines: JSON for log collectors, text for a terminal, secrets removed.

Every line goes through `redact`, whatever its source (our loggers, uvicorn, Tortoise), so no
password, token, Authorization header or URL signature reaches a log. The service's own events
go to the `wallchart` logger; one line per request goes to `wallchart.request`.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any

from server.settings import Settings, SettingsError

SERVICE_LOGGER = "wallchart"
REDACTED = "[REDACTED]"
FORMATS = ("json", "text", "auto")

_SECRET_WORDS = r"[\w-]*(?:password|passwd|token|secret|signature)[\w-]*"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # The password in a URL's user info: postgres://user:password@host/db
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@]*:)[^\s/@]+@"), rf"\1{REDACTED}@"),
    # Credentials after an auth scheme: "Authorization: Bearer abc…", "Basic dXNl…"
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    # An Authorization header value without a scheme
    (
        re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)(?!bearer\b|basic\b)[^\s\"',;]+"),
        rf"\1{REDACTED}",
    ),
    # Query parameters of signed URLs and any token or password parameter
    (
        re.compile(r"(?i)(\b(?:sig|signature|expires|[\w-]*token|[\w-]*password)=)[^&\s\"'#,;]*"),
        rf"\1{REDACTED}",
    ),
    # Quoted values of secret-looking keys: JSON, Python reprs, GraphQL arguments
    (
        re.compile(rf"(?i)([\"']?\b{_SECRET_WORDS}[\"']?\s*[:=]\s*)([\"'])(?:\\.|(?!\2)[^\\])*\2"),
        rf"\1\2{REDACTED}\2",
    ),
]
_SECRET_KEY = re.compile(rf"(?i)^{_SECRET_WORDS}$|^authorization$|^sig$|^expires$")
# Every pattern above needs a ':' or '=' or one of these words: text without any is clean as is
# (most of a request line's values), which spares the five scans.
_MAY_HOLD_SECRET = re.compile(r"(?i)[:=]|bearer|basic")

# Attributes every LogRecord has (and uvicorn's copy of its message in terminal colours);
# anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


def redact(text: str) -> str:
    """`text` with every password, token, Authorization value and URL signature replaced."""
    if not _MAY_HOLD_SECRET.search(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _clean(value: Any) -> Any:
    """A JSON-ready copy of `value` with its secrets redacted."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if _is_secret_key(str(key)) else _clean(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(item) for item in value]
    return redact(str(value))


@functools.lru_cache(maxsize=1024)
def _is_secret_key(key: str) -> bool:
    """True for a field name whose value is a secret (the names are few: remembered)."""
    return _SECRET_KEY.match(key) is not None


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a log call added with `extra=` (the request facts, for instance)."""
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _RECORD_ATTRIBUTES and not key.startswith("_")
    }


def _utc_time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time (ISO, UTC), level, logger, message, the extra fields and,
    for an exception, its `traceback` text."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON, secrets redacted."""
        line: dict[str, Any] = {
            "time": _utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in extra_fields(record).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["traceback"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(_clean(line), ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """A line for people: time, level, logger, message, then the extra fields as key=value,
    and a traceback below it; secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as readable text, secrets redacted."""
        fields = " ".join(
            f"{key}={value}"
            for key, value in extra_fields(record).items()
            if value is not None and not _is_secret_key(key)
        )
        text = f"{_utc_time(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if fields:
            text += f"  {fields}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + self.formatStack(record.stack_info)
        return redact(text)


class _ServiceHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `configure_logging` installs on the root logger (replaced on a new call)."""


def formatter_for(settings: Settings, stream: IO[str]) -> logging.Formatter:
    """The formatter chosen by `settings.log_format`: text on a terminal when it is auto."""
    choice = settings.log_format.strip().lower()
    if choice not in FORMATS:
        raise SettingsError(
            f"WALLCHART_LOG_FORMAT={settings.log_format!r}: must be json, text or auto"
        )
    if choice == "auto":
        is_terminal = getattr(stream, "isatty", None)
        choice = "text" if is_terminal is not None and is_terminal() else "json"
    return TextFormatter() if choice == "text" else JSONFormatter()


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record at INFO and above to `stream` (stderr by default) in the format
    the settings choose; calling it again replaces the handler it installed before."""
    stream = sys.stderr if stream is None else stream
    handler = _ServiceHandler(stream)
    handler.setFormatter(formatter_for(settings, stream))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _ServiceHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger(SERVICE_LOGGER).setLevel(logging.INFO)
    return handler
