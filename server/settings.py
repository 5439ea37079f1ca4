"""Settings read from `WALLCHART_*` environment variables, validated once at start-up."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PREFIX = "WALLCHART_"
VAR_DIR = Path("var")


class SettingsError(ValueError):
    """A setting has a value the service cannot run with; the message names the variable."""


def _parse_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("must be 1/0, true/false, yes/no or on/off")


def _parse_timezone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("is not a known IANA time zone") from exc
    return raw


def _parse_database_url(raw: str) -> str:
    if not raw.startswith(("sqlite://", "postgres://", "postgresql://", "asyncpg://")):
        raise ValueError("must start with sqlite://, postgres:// or postgresql://")
    return raw


def _parse_networks(raw: str) -> str:
    for part in raw.split(","):
        if part.strip():
            try:
                ipaddress.ip_network(part.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{part.strip()!r} is not an IP address or network") from None
    return raw


def _parse_port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise ValueError("must be between 1 and 65535")
    return value


_PARSERS: dict[type | str, Callable[[str], Any]] = {
    int: _parse_int,
    bool: _parse_bool,
    str: str,
    "timezone": _parse_timezone,
    "database_url": _parse_database_url,
    "port": _parse_port,
    "networks": _parse_networks,
}


def _field(default: Any, kind: type | str | None = None, doc: str = "") -> Any:
    return dataclasses.field(default=default, metadata={"kind": kind, "doc": doc})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every tunable of the service; each field is read from `WALLCHART_<FIELD NAME>`."""

    database_url: str = _field(
        "sqlite://var/wallchart.sqlite3", "database_url", "Tortoise database URL"
    )
    media_root: str = _field("var/media", str, "Folder for photo files")
    host: str = _field("127.0.0.1", str, "Address to serve on")
    port: int = _field(8000, "port", "Port to serve on")
    secret_key: str = _field("", str, "Key for signed URLs; generated once into var/ when unset")
    timezone: str = _field("Asia/Shanghai", "timezone", "The zone's time zone: 'today' is here")
    demo_password: str = _field("wallchart-demo", str, "Password of the demo accounts")
    debug: bool = _field(False, bool, "Show exception messages to clients; never in production")
    token_ttl_hours: int = _field(24 * 30, int, "Lifetime of a sign-in token")
    login_max_failures: int = _field(
        5, int, "Failed sign-ins per (username, client address) in the window before throttling"
    )
    login_max_failures_per_address: int = _field(
        30, int, "Failed sign-ins per client address, any username, in the window"
    )
    login_window_minutes: int = _field(15, int, "Window of the login throttle")
    password_hash_concurrency: int = _field(
        2, int, "Password hashes computed at once (off the event loop)"
    )
    trusted_proxies: str = _field(
        "",
        "networks",
        "Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For is "
        "believed; empty: the socket's peer is the client",
    )
    max_query_length: int = _field(20_000, int, "Longest GraphQL document accepted, in chars")
    max_query_tokens: int = _field(5_000, int, "Most lexical tokens in one GraphQL document")
    max_query_depth: int = _field(12, int, "Deepest selection nesting accepted")
    max_aliases: int = _field(30, int, "Most aliases in one document")
    max_query_cost: int = _field(
        50_000, int, "Largest worst-case answer (fields, lists counted at their bound) accepted"
    )
    document_cache_size: int = _field(500, int, "Parsed and validated documents kept")
    max_body_bytes: int = _field(1024 * 1024, int, "Largest JSON request body")
    max_json_depth: int = _field(32, int, "Deepest nesting of JSON objects and lists in a body")
    max_search_length: int = _field(200, int, "Longest free-text search accepted")
    health_yellow_max_days: int = _field(7, int, "Up to this many days overdue is YELLOW")
    health_orange_max_days: int = _field(30, int, "Up to this many days overdue is ORANGE")
    max_upload_bytes: int = _field(25 * 1024 * 1024, int, "Largest photo file")
    max_upload_files: int = _field(10, int, "Most files in one request")
    max_form_field_bytes: int = _field(1024 * 1024, int, "Largest non-file multipart part")
    max_image_pixels: int = _field(60_000_000, int, "Largest photo in pixels")
    upload_deadline_seconds: int = _field(
        300, int, "An upload request body must have arrived within this time"
    )
    upload_min_bytes_per_second: int = _field(
        1024, int, "Slowest upload accepted, after a grace period of `upload_grace_seconds`"
    )
    upload_grace_seconds: int = _field(10, int, "Start of an upload not held to the minimum rate")
    max_uploads_per_user: int = _field(3, int, "Uploads one user may run at once")
    idempotency_key_ttl_hours: int = _field(
        24 * 7, int, "How long an idempotency key is remembered"
    )
    photo_url_ttl_seconds: int = _field(3600, int, "Lifetime of a signed photo URL")
    resumption_gap_days: int = _field(
        7, int, "A project without workers on site for this many days has stopped (复工 rule)"
    )
    labour_alert_percent: int = _field(
        70, int, "A daily report is short of workers below this on-site rate, in %"
    )
    labour_alert_days: int = _field(
        3, int, "Reports in a row short of workers before a project's labour alert starts"
    )
    compiled_reads: bool = _field(
        True,
        bool,
        "On PostgreSQL, build the JSON of covered pages (projects, milestones) in one statement",
    )
    data_dir: str = _field(
        "var", str, "Folder of the database, media and secret key by default (absolute at start)"
    )
    workers: int = _field(1, int, "Worker processes of `serve`")
    shutdown_grace_seconds: int = _field(
        30, int, "On shutdown, requests in flight get this long to finish"
    )
    log_format: str = _field(
        "auto", str, "Log lines: json, text, or auto (text on a terminal, JSON otherwise)"
    )
    slow_request_ms: int = _field(1000, int, "A request slower than this is logged as slow")
    metrics_allow: str = _field(
        "127.0.0.1/32,::1/128",
        "networks",
        "Addresses or networks allowed to read /metrics (empty: none by address)",
    )
    metrics_token: str = _field(
        "", str, "Bearer token that also allows reading /metrics (empty: none by token)"
    )
    otel_exporter_otlp_endpoint: str = _field(
        "", str, "OTLP endpoint for OpenTelemetry traces (empty: tracing off unless OTEL_* set)"
    )
    cors_origins: str = _field(
        "", str, "Comma-separated origins of web clients allowed by CORS (empty: none)"
    )
    gzip_min_bytes: int = _field(1000, int, "Responses from this size on are gzipped when asked")

    @property
    def zone(self) -> ZoneInfo:
        """The zone's time zone as a tzinfo."""
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from the environment; raise SettingsError naming a bad variable."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            name = PREFIX + field.name.upper()
            if name not in environ:
                continue
            raw = environ[name]
            try:
                values[field.name] = _PARSERS[field.metadata["kind"]](raw)
            except ValueError as exc:
                reason = str(exc) if "invalid literal" not in str(exc) else "must be an integer"
                raise SettingsError(f"{name}={raw!r}: {reason}") from None
        values.update(overrides)
        if not values.get("secret_key"):
            values["secret_key"] = _stored_secret_key()
        return cls(**values)


def _stored_secret_key() -> str:
    """Return the secret key kept in var/secret_key, creating it on first use."""
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key)
    tmp.chmod(0o600)
    tmp.replace(path)
    return key
