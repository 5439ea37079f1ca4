"""Multipart uploads to /graphql as the API tests send them, and the spool folder they fill."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from media.uploads import UploadedFile
from schema.relay import global_id
from server.api.http_errors import MultipartError
from server.api.multipart import read_multipart
from server.api.upload_spool import spool_folder
from server.domain.models import Project
from server.settings import Settings
from tests.images import jpeg_bytes
from tests.uploads import UPLOAD_PHOTO

BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW"


def upload_head(project_gid: str) -> bytes:
    """A multipart body up to the first bytes of its file part, as browsers write it."""
    operations = json.dumps(
        {"query": UPLOAD_PHOTO, "variables": {"input": {"projectId": project_gid, "file": None}}}
    )
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        f"{operations}\r\n"
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        '{"0": ["variables.input.file"]}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()


def spooled_files(settings: Settings) -> set[Path]:
    """The files in the spool folder now."""
    folder = spool_folder(settings)
    return set(folder.iterdir()) if folder.exists() else set()


async def upload_request(
    client: httpx.AsyncClient,
    account: Any,
    project: Project,
    *,
    map_part: str | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    headers: dict[str, str] | None = None,
    query: str = UPLOAD_PHOTO,
) -> httpx.Response:
    """POST a photo upload as `account`; `map_part`, `files` and `headers` replace the usual."""
    operations = {
        "query": query,
        "variables": {"input": {"projectId": global_id("Project", project.id), "file": None}},
    }
    sent = {"Apollo-Require-Preflight": "true"} if headers is None else headers
    return await client.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": map_part or json.dumps({"0": ["variables.input.file"]}),
        },
        files=files if files is not None else {"0": ("a.jpg", jpeg_bytes(), "image/jpeg")},
        headers={**sent, **account.headers},
    )


def echo_app(settings: Settings) -> httpx.AsyncClient:
    """A client of an app that answers with what read_multipart made of the body."""

    def describe(value: Any) -> Any:
        if isinstance(value, UploadedFile):
            return {
                "file": value.filename,
                "bytes": value.path.read_bytes().decode(),
                "folder": str(value.path.parent),
            }
        if isinstance(value, dict):
            return {key: describe(item) for key, item in value.items()}
        if isinstance(value, list):
            return [describe(item) for item in value]
        return value

    async def echo(request: Request) -> JSONResponse:
        try:
            operations, files = await read_multipart(request, settings)
        except MultipartError as exc:
            return JSONResponse({"error": exc.message, "code": exc.code}, exc.status)
        try:
            return JSONResponse(describe(operations))
        finally:
            for upload in files.values():
                upload.discard()

    app = Starlette(routes=[Route("/echo", echo, methods=["POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
