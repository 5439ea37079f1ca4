"""Settings read from `WALLCHART_*` environment variables, validated once at start-up."""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PREFIX = "WALLCHART_"
PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The project folder (the one holding the `server` package): relative paths in settings are
taken from here, never from the current directory, so the service finds its data wherever it
is started from."""
DEFAULT_DATA_DIR = PROJECT_DIR / "var"
NOT_SETTINGS = frozenset({"WALLCHART_TEST_DATABASE", "WALLCHART_TEST_POSTGRES_URL"})
"""`WALLCHART_*` variables read by the tests and benchmarks, not by the service."""
NOT_SETTINGS_PREFIXES = ("WALLCHART_BENCH_", "WALLCHART_ABLATION_")


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


def _parse_log_format(raw: str) -> str:
    if raw not in {"auto", "json", "text"}:
        raise ValueError("must be auto, json or text")
    return raw


def _parse_origins(raw: str) -> str:
    for part in raw.split(","):
        origin = part.strip()
        if not origin:
            continue
        parts = urlsplit(origin)
        try:
            parts.port  # noqa: B018 (raises ValueError for a bad port)
        except ValueError:
            raise ValueError(f"{origin!r} has a bad port") from None
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or "@" in parts.netloc
            or parts.path
            or parts.query
            or parts.fragment
        ):
            raise ValueError(f"{origin!r} is not an origin: scheme://host[:port], no path")
    return raw


PERSISTED_QUERY_MODES = ("open", "allowlist")
"""`open`: any document runs and Apollo's automatic persisted queries learn new ones;
`allowlist`: only registered documents run (see `server.domain.access`)."""


def _parse_persisted_queries(raw: str) -> str:
    if raw not in PERSISTED_QUERY_MODES:
        raise ValueError("must be open or allowlist")
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
    "origins": _parse_origins,
    "log_format": _parse_log_format,
    "persisted_queries": _parse_persisted_queries,
}


def _field(default: Any, kind: type | str | None = None, doc: str = "") -> Any:
    return dataclasses.field(default=default, metadata={"kind": kind, "doc": doc})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every tunable of the service; each field is read from `WALLCHART_<FIELD NAME>`."""

    database_url: str = _field(
        f"sqlite://{DEFAULT_DATA_DIR / 'wallchart.sqlite3'}",
        "database_url",
        "Tortoise database URL (default: wallchart.sqlite3 in the data dir)",
    )
    media_root: str = _field(
        str(DEFAULT_DATA_DIR / "media"),
        str,
        "Folder for photo files (default: media in the data dir)",
    )
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
    persisted_queries: str = _field(
        "open",
        "persisted_queries",
        "open: any document runs, hashes are learned (Apollo APQ); allowlist: only registered "
        "documents run, except for office staff and admins",
    )
    persisted_query_cache_size: int = _field(
        1000, int, "Documents known by hash kept in each worker's memory"
    )
    persisted_query_cache_bytes: int = _field(
        4 * 1024 * 1024, int, "Most characters of document text those keep"
    )
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
        str(DEFAULT_DATA_DIR),
        str,
        "Folder of the database, media and secret key by default (absolute at start)",
    )
    workers: int = _field(1, int, "Worker processes of `serve`")
    shutdown_grace_seconds: int = _field(
        30, int, "On shutdown, requests in flight get this long to finish"
    )
    log_format: str = _field(
        "auto", "log_format", "Log lines: json, text, or auto (text on a terminal, JSON otherwise)"
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
        "", "origins", "Comma-separated origins of web clients allowed by CORS (empty: none)"
    )
    gzip_min_bytes: int = _field(1000, int, "Responses from this size on are gzipped when asked")
    sync_retention_days: int = _field(
        30, int, "Days the change journal is kept; older sync tokens must sync again"
    )

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
        values.update(_paths(values))
        if not values.get("secret_key"):
            values["secret_key"] = _stored_secret_key(Path(values["data_dir"]))
        return cls(**values)


def _absolute(path: str) -> Path:
    """`path` made absolute: a relative one is taken from the project folder."""
    return (PROJECT_DIR / Path(path).expanduser()).resolve()


def _absolute_sqlite_url(url: str) -> str:
    """A SQLite URL whose file path is absolute (relative ones from the project folder);
    other databases' URLs and in-memory SQLite unchanged."""
    if not url.startswith("sqlite://"):
        return url
    path, query = url.removeprefix("sqlite://"), ""
    if "?" in path:
        path, query = path.split("?", 1)
        query = "?" + query
    if path == ":memory:" or path.startswith("/"):
        return url
    return f"sqlite://{_absolute(path)}{query}"


def _paths(values: Mapping[str, Any]) -> dict[str, str]:
    """The data dir, database URL and media folder, absolute: the database and media folder
    default to `wallchart.sqlite3` and `media` in the data dir."""
    data_dir = _absolute(values.get("data_dir") or "var")
    database_url = values.get("database_url") or f"sqlite://{data_dir / 'wallchart.sqlite3'}"
    media_root = values.get("media_root") or str(data_dir / "media")
    return {
        "data_dir": str(data_dir),
        "database_url": _absolute_sqlite_url(database_url),
        "media_root": str(_absolute(media_root)),
    }


def database_for_display(url: str) -> str:
    """The database URL without its password or query (which may hold one), fit to print."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    address = parts.netloc.rsplit("@", 1)[1]
    netloc = f"{parts.username}@{address}" if parts.username else address
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """A warning for each `WALLCHART_*` variable that names no setting (a typo must not pass
    silently), suggesting the closest setting's variable when there is one."""
    names = [field.name.upper() for field in dataclasses.fields(Settings)]
    known = [PREFIX + name for name in names]
    warnings = []
    for name in sorted(environ):
        if (
            not name.startswith(PREFIX)
            or name in known
            or name in NOT_SETTINGS
            or name.startswith(NOT_SETTINGS_PREFIXES)
        ):
            continue
        close = difflib.get_close_matches(name.removeprefix(PREFIX), names, n=1)
        hint = f"did you mean {PREFIX}{close[0]}?" if close else "no setting has that name"
        warnings.append(f"wallchart: unknown variable {name} is ignored; {hint}")
    return warnings


def _stored_secret_key(data_dir: Path) -> str:
    """Return the secret key kept in `secret_key` in the data dir, creating it on first use."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key)
    tmp.chmod(0o600)
    tmp.replace(path)
    return key
