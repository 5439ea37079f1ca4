"""The one error the media package raises for a file it refuses."""

from __future__ import annotations


class MediaError(Exception):
    """A file refused as a photo; `code` is an API error code (TOO_LARGE, INVALID...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
