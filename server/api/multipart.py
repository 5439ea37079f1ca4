"""The GraphQL multipart request spec, read as the body streams in, with flat memory.

A request has an `operations` part (the GraphQL request as JSON, with null where files go), a
`map` part (JSON: file part name -> list of paths such as `variables.input.file`) and then the
file parts. The parts are read by `server.api.multipart_parts`, file parts spooled to files in
the media store's `.incoming` folder (`server.api.upload_spool`); every limit (bytes per file,
files per request, bytes per non-file part) is checked chunk by chunk, and the first excess
stops reading the body. A Content-Length beyond what the limits allow is
refused before anything is read. The body must arrive within the upload deadline and keep the
minimum rate (`server.api.slow_clients`); a client that falls behind is cut off with a 408.

The `operations` and `map` parts are read as JSON bodies are (`server.api.request_body.parse_json`):
nesting, digit and string limits are a 400. A spool file the server cannot create or write
(disk full, folder not writable) is a 503 with Retry-After, the files spooled so far removed.
"""

from __future__ import annotations

import contextlib
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from media.uploads import UploadedFile
from server.api.http_errors import MultipartError
from server.api.multipart_parts import FIELDS, MAX_PART_HEADER_BYTES, PartReader
from server.api.slow_clients import BodyTooSlow, body_chunks
from server.settings import Settings

CSRF_HEADERS = ("x-requested-with", "apollo-require-preflight")


def check_csrf_header(request: Request) -> None:
    """Multipart requests are simple requests for browsers: demand a preflighted header."""
    if not any(request.headers.get(name, "").strip() for name in CSRF_HEADERS):
        raise MultipartError(
            "Multipart requests need a non-empty X-Requested-With or Apollo-Require-Preflight "
            "header (protection against cross-site request forgery)."
        )


def check_declared_length(request: Request, settings: Settings) -> None:
    """Refuse at once a body whose Content-Length no set of allowed parts could reach."""
    declared = request.headers.get("content-length", "")
    ceiling = settings.max_upload_files * (settings.max_upload_bytes + MAX_PART_HEADER_BYTES) + len(
        FIELDS
    ) * (settings.max_form_field_bytes + MAX_PART_HEADER_BYTES)
    if declared.isdigit() and int(declared) > ceiling:
        raise MultipartError(
            f"The request body is larger than any allowed upload ({ceiling} bytes).",
            413,
            "TOO_LARGE",
        )


async def read_multipart(
    request: Request, settings: Settings
) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """The operations (files put in place of their nulls) and the files of a multipart body.

    Raises MultipartError, having deleted any file it spooled, when the body is malformed,
    exceeds a limit, arrives too slowly (408, TIMEOUT) or cannot be spooled (503,
    UNAVAILABLE); the rest of the body is then not read.
    """
    check_csrf_header(request)
    check_declared_length(request, settings)
    _, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if not boundary:
        raise MultipartError("The multipart content type has no boundary.")
    reader = PartReader(settings)
    parser = MultipartParser(boundary, reader.callbacks())
    try:
        await _feed(request, settings, parser)
        operations = reader.finish()
    except MultipartParseError:
        reader.discard()
        raise MultipartError("The multipart body is malformed.") from None
    except BodyTooSlow as exc:
        reader.discard()
        raise MultipartError(exc.message, exc.status, exc.code) from None
    except BaseException:
        reader.discard()
        raise
    return operations, reader.files


async def _feed(request: Request, settings: Settings, parser: MultipartParser) -> None:
    """Give the parser the body as it arrives, within the upload deadline and minimum rate."""
    chunks = body_chunks(request, settings)
    async with contextlib.aclosing(chunks):
        async for chunk in chunks:
            parser.write(chunk)
    parser.finalize()
