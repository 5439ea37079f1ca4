"""Multipart requests built the way real clients (apollo-upload-client, browsers) build them."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conftest import Account

UPLOAD_PHOTO = """
mutation Upload($input: UploadPhotoInput!) {
  uploadPhoto(input: $input) {
    photo {
      id sha256 width height contentType byteSize takenAt onSite caption
      location { latitude longitude }
      project { id }
      url
      thumbnail: url(variant: THUMBNAIL)
    }
    errors { field code message }
  }
}
"""

PREFLIGHT = {"Apollo-Require-Preflight": "true"}


async def post_multipart(
    client: httpx.AsyncClient,
    operations: dict[str, Any],
    file_map: dict[str, list[str]],
    files: dict[str, tuple[str, bytes, str]],
    *,
    account: Account | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST operations, map and file parts, in that order, as multipart/form-data."""
    sent = dict(PREFLIGHT if headers is None else headers)
    if account is not None:
        sent.update(account.headers)
    return await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(file_map)},
        files=files,
        headers=sent,
    )


async def upload_photo(
    client: httpx.AsyncClient,
    account: Account,
    data: bytes,
    filename: str = "IMG_0001.jpg",
    content_type: str = "image/jpeg",
    **fields: Any,
) -> dict[str, Any]:
    """Run uploadPhoto with one file; return the payload."""
    operations = {"query": UPLOAD_PHOTO, "variables": {"input": {**fields, "file": None}}}
    response = await post_multipart(
        client,
        operations,
        {"0": ["variables.input.file"]},
        {"0": (filename, data, content_type)},
        account=account,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["uploadPhoto"]
