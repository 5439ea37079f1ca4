"""The parts of a multipart request as they stream in: the `operations` and `map` fields, read
as JSON bodies are, and the file parts, spooled to disk with every limit checked chunk by chunk."""

from __future__ import annotations

import contextlib
from typing import IO, Any

from python_multipart.multipart import parse_options_header

from media.uploads import UploadedFile, discard_files
from server.api.http_errors import BadRequest, MultipartError
from server.api.multipart_map import check_map, place
from server.api.request_body import parse_json
from server.api.upload_spool import open_spool_file, spool_folder, spooling
from server.settings import Settings

MAX_PART_HEADER_BYTES = 16 * 1024
"""The most bytes of headers one part may have."""
FIELDS = ("operations", "map")
"""The parts that are not files, in the order they must come."""


class PartReader:
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
        """A part starts: its headers come next."""
        self._headers = {}
        self._header_bytes = 0

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        """Bytes of a header's name."""
        self._count_header(end - start)
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        """Bytes of a header's value."""
        self._count_header(end - start)
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        """A header is complete."""
        name = self._header_name.decode("latin-1").strip().lower()
        self._headers[name] = self._header_value.decode("latin-1").strip()
        self._header_name.clear()
        self._header_value.clear()

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_PART_HEADER_BYTES:
            raise MultipartError("A multipart part has oversized headers.", 413, "LIMIT")

    def on_headers_finished(self) -> None:
        """The part's headers are complete: start its field or its spool file."""
        disposition, options = parse_options_header(self._headers.get("content-disposition"))
        if disposition != b"form-data" or b"name" not in options:
            raise MultipartError("Every multipart part needs Content-Disposition: form-data; name.")
        name = options[b"name"].decode("utf-8", "replace")
        if name in self.fields or name in self.files:
            raise MultipartError(f"The multipart part {name!r} is sent twice.")
        if name in FIELDS:
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
        with spooling():
            path, self._handle = open_spool_file(spool_folder(self.settings))
        self._file = UploadedFile(name, filename, self._headers.get("content-type"), path)
        self.files[name] = self._file

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        """Bytes of the part's body, added to its field or spool file within the limits."""
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
            with spooling():
                self._handle.write(data[start:end])

    def on_part_end(self) -> None:
        """The part is complete: parse a field's JSON, close a file."""
        if self._field is not None:
            self.fields[self._field_name] = bytes(self._field)
            if self._field_name == "operations":
                self.operations = _json_part(self.fields["operations"], "operations", self.settings)
            else:
                self.map = check_map(
                    _json_part(self.fields["map"], "map", self.settings), self.settings
                )
            self._field = None
        elif self._handle is not None:
            handle, self._handle, self._file = self._handle, None, None
            with spooling():
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
                place(operations, path, upload)
        return operations

    def discard(self) -> None:
        """Close and delete every spooled file."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            with contextlib.suppress(OSError):  # the file is deleted: unwritten bytes don't matter
                handle.close()
        discard_files(self.files)


def _json_part(raw: bytes, name: str, settings: Settings) -> Any:
    """The JSON of a non-file part, refused as a JSON body would be (400), naming the part."""
    try:
        return parse_json(raw, settings.max_json_depth)
    except BadRequest as refused:
        message = refused.message.replace("The request body", f"The `{name}` part", 1)
        raise MultipartError(message, refused.status, refused.code) from None
