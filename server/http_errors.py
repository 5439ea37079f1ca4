"""The error an HTTP request gets when it cannot be run at all."""

from __future__ import annotations


class BadRequest(Exception):
    """The HTTP request cannot be run as a GraphQL operation; answered with `status`."""

    def __init__(self, message: str, status: int = 400, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    @property
    def headers(self) -> dict[str, str]:
        """Headers the refusal is sent with (none by default)."""
        return {}
