"""The GraphQL multipart request spec, read as the body streams in, with flat memory.

A request has an `operations` part (the GraphQL request as JSON, with null where files go), a
`map` part (JSON: file part name -> list of paths such as `variables.input.file`) and then the
file parts. File parts are spooled to files in the media store's `.incoming` folder (on the
store's file system; files a crash left there are removed by `remove_stale_uploads`); every
limit (bytes per file, files per request, bytes per non-file part) is checked chunk by chunk,
and the first excess stops reading the body. A Content-Length beyond what the limits allow is
refused before anything is read. The body must arrive within the upload deadline and keep the
minimum rate (server/slow_clients.py); a client that falls behind is cut off with a 408.

The `operations` and `map` parts are read as JSON bodies are (`server.api.request_body.parse_json`):
nesting, digit and string limits are a 400. A spool file the server cannot create or write
(disk full, folder not writable) is a 503 with Retry-After, the files spooled so far removed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from media import MediaStore
from media.uploads import UploadedFile, discard_files
from server.api.http_errors import BadRequest
from server.api.request_body import parse_json
from server.api.slow_clients import BodyTooSlow, body_chunks
from server.settings import Settings

CSRF_HEADERS = ("x-requested-with", "apollo-require-preflight")
MAX_PART_HEADER_BYTES = 16 * 1024
# A spooled file lives on after its body has arrived, while the photo is decoded and stored;
# past the upload deadline plus this, no live request can still own it.
PROCESSING_ALLOWANCE_SECONDS = 15 * 60
_FIELDS = ("operations", "map")
SPOOL_RETRY_AFTER_SECONDS = 30
"""What a client is told to wait when uploads cannot be spooled (an operator must make room)."""

logger = logging.getLogger("wallchart.uploads")


class MultipartError(BadRequest):
    """The multipart body breaks the spec or a limit."""


class SpoolUnavailable(MultipartError):
    """A file part cannot be spooled (disk full, folder not writable): 503, UNAVAILABLE, with
    Retry-After. The fault is the server's, not the client's, and may pass."""

    def __init__(self, retry_after: int = SPOOL_RETRY_AFTER_SECONDS) -> None:
        super().__init__(
            "The server cannot store uploads now (its disk is full or not writable); "
            f"nothing was kept. Retry in {retry_after} s or later.",
            503,
            "UNAVAILABLE",
        )
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        """The Retry-After header to send with the refusal."""
        return {"Retry-After": str(self.retry_after)}


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
        _FIELDS
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
    reader = _PartReader(settings)
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


def spool_folder(settings: Settings) -> Path:
    """Where uploaded files are spooled: the media store's folder of incoming files."""
    return MediaStore(settings.media_root).incoming


def remove_stale_uploads(settings: Settings, now: float | None = None) -> int:
    """Delete spooled files no live request can own any more; return how many were removed.

    Call at start-up: files of uploads (and of media writes) a crash cut off stay otherwise.
    Safe while other worker processes run, since a live request's file was written within
    the upload deadline (plus the time to process the photo); the age is that of the last
    write (modification time).
    """
    folder = spool_folder(settings)
    oldest_live = (time.time() if now is None else now) - (
        settings.upload_deadline_seconds + PROCESSING_ALLOWANCE_SECONDS
    )
    removed = 0
    with contextlib.suppress(FileNotFoundError), os.scandir(folder) as entries:
        for entry in entries:
            if _is_stale_file(entry, oldest_live):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed += 1
    return removed


def _is_stale_file(entry: os.DirEntry[str], oldest_live: float) -> bool:
    """True for a plain file last written before `oldest_live`; False for one already gone."""
    try:
        return entry.is_file(follow_symlinks=False) and (
            entry.stat(follow_symlinks=False).st_mtime < oldest_live
        )
    except FileNotFoundError:
        return False


class _PartReader:
    """Callbacks of python-multipart's parser: builds fields and spools files as parts stream."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.fields: dict[str, bytes] = {}
        self.files: dict[str, UploadedFile] = {}
        self.operations: Any = None
        self.map: dict[str, list[str]] | None = None
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._header_bytes = 0
        self._headers: dict[str, str] = {}
        self._field: bytearray | None = None
        self._field_name = ""
        self._file: UploadedFile | None = None
        self._handle: IO[bytes] | None = None

    def callbacks(self) -> dict[str, Any]:
        """The callback table for MultipartParser."""
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self._headers = {}
        self._header_bytes = 0

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        name = self._header_name.decode("latin-1").strip().lower()
        self._headers[name] = self._header_value.decode("latin-1").strip()
        self._header_name.clear()
        self._header_value.clear()

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_PART_HEADER_BYTES:
            raise MultipartError("A multipart part has oversized headers.", 413, "LIMIT")

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get("content-disposition"))
        if disposition != b"form-data" or b"name" not in options:
            raise MultipartError("Every multipart part needs Content-Disposition: form-data; name.")
        name = options[b"name"].decode("utf-8", "replace")
        if name in self.fields or name in self.files:
            raise MultipartError(f"The multipart part {name!r} is sent twice.")
        if name in _FIELDS:
            self._start_field(name)
        else:
            filename = options.get(b"filename")
            self._start_file(name, filename.decode("utf-8", "replace") if filename else None)

    def _start_field(self, name: str) -> None:
        if name == "map" and "operations" not in self.fields:
            raise MultipartError("The `operations` part must come before `map`.")
        self._field_name = name
        self._field = bytearray()

    def _start_file(self, name: str, filename: str | None) -> None:
        if self.map is None:
            raise MultipartError(
                f"The file part {name!r} came before `operations` and `map`: send those first."
            )
        if name not in self.map:
            raise MultipartError(f"The file part {name!r} is not listed in `map`.")
        with _spooling():
            path, self._handle = _open_spool_file(spool_folder(self.settings))
        self._file = UploadedFile(name, filename, self._headers.get("content-type"), path)
        self.files[name] = self._file

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        size = end - start
        if self._field is not None:
            if len(self._field) + size > self.settings.max_form_field_bytes:
                raise MultipartError(
                    f"The `{self._field_name}` part is larger than "
                    f"{self.settings.max_form_field_bytes} bytes.",
                    413,
                    "LIMIT",
                )
            self._field += data[start:end]
        elif self._file is not None and self._handle is not None:
            self._file.size += size
            if self._file.size > self.settings.max_upload_bytes:
                megabytes = self.settings.max_upload_bytes / (1024 * 1024)
                raise MultipartError(
                    f"The file {self._file.filename or self._file.name!r} is larger than "
                    f"{megabytes:g} MB.",
                    413,
                    "TOO_LARGE",
                )
            with _spooling():
                self._handle.write(data[start:end])

    def on_part_end(self) -> None:
        if self._field is not None:
            self.fields[self._field_name] = bytes(self._field)
            if self._field_name == "operations":
                self.operations = _json_part(self.fields["operations"], "operations", self.settings)
            else:
                self.map = _check_map(
                    _json_part(self.fields["map"], "map", self.settings), self.settings
                )
            self._field = None
        elif self._handle is not None:
            handle, self._handle, self._file = self._handle, None, None
            with _spooling():
                handle.close()  # writes what is buffered: a full disk may show only now

    def finish(self) -> dict[str, Any]:
        """The operations with every mapped file in place; checks nothing is missing."""
        if "operations" not in self.fields:
            raise MultipartError("The multipart body has no `operations` part.")
        if self.map is None:
            raise MultipartError("The multipart body has no `map` part.")
        operations = self.operations
        if not isinstance(operations, dict):
            raise MultipartError("`operations` must be a JSON object (batching is not supported).")
        for name, paths in self.map.items():
            upload = self.files.get(name)
            if upload is None:
                raise MultipartError(f"The file part {name!r} listed in `map` was not sent.")
            for path in paths:
                _place(operations, path, upload)
        return operations

    def discard(self) -> None:
        """Close and delete every spooled file."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            with contextlib.suppress(OSError):  # the file is deleted: unwritten bytes don't matter
                handle.close()
        discard_files(self.files)


def _open_spool_file(folder: Path) -> tuple[Path, IO[bytes]]:
    """A new file in `folder` (created when missing), open for writing."""
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, path = tempfile.mkstemp(dir=folder, prefix="upload-")
    try:
        return Path(path), os.fdopen(descriptor, "wb")
    except BaseException:
        os.close(descriptor)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


@contextlib.contextmanager
def _spooling() -> Iterator[None]:
    """Turn a failure to create or write a spool file into SpoolUnavailable (503)."""
    try:
        yield
    except OSError as exc:
        logger.error("Cannot spool an upload: %s", exc)
        raise SpoolUnavailable() from exc


def _json_part(raw: bytes, name: str, settings: Settings) -> Any:
    """The JSON of a non-file part, refused as a JSON body would be (400), naming the part."""
    try:
        return parse_json(raw, settings.max_json_depth)
    except BadRequest as refused:
        message = refused.message.replace("The request body", f"The `{name}` part", 1)
        raise MultipartError(message, refused.status, refused.code) from None


def _check_map(value: Any, settings: Settings) -> dict[str, list[str]]:
    """A `map` must be an object of part name -> non-empty list of path strings."""
    if not isinstance(value, dict):
        raise MultipartError("`map` must be a JSON object of file part name -> list of paths.")
    for name, paths in value.items():
        if (
            not isinstance(paths, list)
            or not paths
            or not all(isinstance(path, str) for path in paths)
        ):
            raise MultipartError(f"`map` entry {name!r} must be a non-empty list of path strings.")
    if len(value) > settings.max_upload_files:
        raise MultipartError(
            f"At most {settings.max_upload_files} files may be sent in one request.", 413, "LIMIT"
        )
    return value


def _place(operations: dict[str, Any], path: str, upload: UploadedFile) -> None:
    """Put `upload` at a dotted `variables...` path whose value is null in `operations`."""
    keys = path.split(".")
    if keys[0] != "variables" or len(keys) < 2:
        raise MultipartError(f"The `map` path {path!r} must point into `variables`.")
    container: Any = operations
    for key in keys[:-1]:
        container = _step(container, key, path)
    last = keys[-1]
    if isinstance(container, dict) and last in container and container[last] is None:
        container[last] = upload
    elif isinstance(container, list) and last.isdigit() and int(last) < len(container):
        if container[int(last)] is not None:
            raise MultipartError(f"The `map` path {path!r} does not point to a null.")
        container[int(last)] = upload
    else:
        raise MultipartError(f"The `map` path {path!r} does not exist in `operations`.")


def _step(container: Any, key: str, path: str) -> Any:
    if isinstance(container, dict) and isinstance(container.get(key), dict | list):
        return container[key]
    if isinstance(container, list) and key.isdigit() and int(key) < len(container):
        return container[int(key)]
    raise MultipartError(f"The `map` path {path!r} does not exist in `operations`.")
