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
        """Headers the refusal is sent with.

        A client too slow to send its body loses the connection. A body too large does not:
        closing on unread data makes the kernel reset the connection, and the client would
        not see the 413 (the rest is received and dropped, in constant memory).
        """
        return {"Connection": "close"} if self.status == 408 else {}


class MultipartError(BadRequest):
    """The multipart body breaks the spec or a limit."""
