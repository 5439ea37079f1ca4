"""The HTTP middleware beneath the request log: CORS for web clients, then gzip.

CORS (Starlette's `CORSMiddleware`) is added only when `cors_origins` names origins: an
allow-list, never `*`. It lets a web client on one of them send GraphQL GET and POST requests
with the headers the service reads (a bearer token, JSON or multipart bodies with the CSRF
header uploads need, a request id, Apollo's preflight header, If-None-Match), answers the
preflight requests browsers send first for those (uploads included), and lets the client read
the request id, the token challenge, Retry-After and the ETag of a conditional GET. Tokens
travel in a header, not cookies: no credentials mode.

gzip (Starlette's `GZipMiddleware`) compresses an answer of `gzip_min_bytes` or more for a
client that accepts it: GraphQL JSON and CSV exports. Already compressed bodies are sent as
they are: Starlette's default exclusions (JPEG, PNG, WebP, zip, ...) plus HEIC/HEIF photo
originals and xlsx workbooks (zip files).
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from server.settings import Settings

CORS_METHODS = ("GET", "POST")
CORS_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "X-Requested-With",
    "Apollo-Require-Preflight",
    "X-Request-ID",
    "If-None-Match",
)
CORS_EXPOSED_HEADERS = ("X-Request-ID", "WWW-Authenticate", "Retry-After", "ETag")
CORS_MAX_AGE_SECONDS = 600
"""How long a browser may reuse a preflight answer."""

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_GZIPPED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "image/heic", "image/heif", XLSX)
GZIP_LEVEL = 6
"""zlib's own default: the schema's introspection answer (185 kB) gzips to 21.5 kB at 6, 21.1 kB
at Starlette's default 9, in half the CPU time."""


def allowed_origins(settings: Settings) -> list[str]:
    """The origins of `cors_origins` (checked at start-up), as browsers spell them."""
    return [part.strip().lower() for part in settings.cors_origins.split(",") if part.strip()]


def http_middleware(settings: Settings) -> list[Middleware]:
    """CORS (when origins are set), then gzip, outermost first (see the module doc)."""
    stack: list[Middleware] = []
    origins = allowed_origins(settings)
    if origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=CORS_METHODS,
                allow_headers=CORS_REQUEST_HEADERS,
                expose_headers=CORS_EXPOSED_HEADERS,
                max_age=CORS_MAX_AGE_SECONDS,
            )
        )
    stack.append(
        Middleware(
            GZipMiddleware,
            minimum_size=settings.gzip_min_bytes,
            compresslevel=GZIP_LEVEL,
            exclude_content_types=NOT_GZIPPED,
        )
    )
    return stack
