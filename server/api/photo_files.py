"""The route serving photo files behind signed, expiring URLs."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from media import MediaStore, Variant
from server.domain.photos import photo_row, signature_is_valid
from server.settings import Settings


class PhotoFileEndpoint:
    """GET /photos/{id}/{variant}?expires=&signature=: the file, or 403 for a bad signature."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = MediaStore(settings.media_root)

    async def handle(self, request: Request) -> Response:
        """Stream the file with its content type, ETag and cache headers."""
        try:
            photo_id = int(request.path_params["photo_id"])
            variant = Variant(request.path_params["variant"].upper())
            expires = int(request.query_params.get("expires", ""))
        except ValueError:
            return PlainTextResponse("Not a photo URL.", status_code=404)
        signature = request.query_params.get("signature", "")
        if not signature_is_valid(self.settings, photo_id, variant, expires, signature):
            return PlainTextResponse("The link is invalid or has expired.", status_code=403)
        photo = await photo_row(photo_id)
        if photo is None:
            return PlainTextResponse("No such photo.", status_code=404)
        path = self.store.path(photo.sha256, variant)
        if not path.exists():
            return PlainTextResponse("No such photo.", status_code=404)
        is_original = variant == Variant.ORIGINAL
        etag = f'"{photo.sha256}"' if is_original else f'"{photo.sha256}-{variant.value.lower()}"'
        max_age = max(0, expires - int(time.time()))
        headers = {
            "ETag": etag,
            "Cache-Control": f"private, max-age={max_age}, immutable",
            "X-Content-Type-Options": "nosniff",
        }
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        media_type = photo.content_type if is_original else "image/jpeg"
        return FileResponse(path, media_type=media_type, headers=headers)
