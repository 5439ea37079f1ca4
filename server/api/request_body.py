"""The edge of the API: JSON bodies read within a size limit, and values checked once.

A body is refused with 413 as soon as it goes past `max_body_bytes`, while it is read (a
Content-Length that says so is refused before reading anything); it is never buffered whole.
Malformed JSON, nesting past `max_json_depth`, numbers past Python's digit limit, and strings
holding a NUL character or a lone surrogate (which no database column can store) are refused
with a 400 here, so nothing deeper has to guard against them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from graphql import DocumentNode, StringValueNode, visit
from graphql.language import Visitor
from starlette.requests import Request

from server.api.http_errors import BadRequest


def check_declared_length(request: Request, limit: int) -> None:
    """Refuse at once a body whose Content-Length is past `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise body_too_large(limit)


def body_too_large(limit: int) -> BadRequest:
    """The refusal of a body past `limit` bytes."""
    return BadRequest(f"The request body is larger than {limit} bytes.", 413, "TOO_LARGE")


async def read_limited(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """The whole body from `chunks`, refused with 413 as soon as it passes `limit` bytes."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise body_too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


def parse_json(body: bytes | str, max_depth: int) -> Any:
    """The JSON value of a request body (or of a JSON string inside one), checked by
    `check_value`; 400 when it is not JSON."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise BadRequest("The request body is nested too deeply.") from None
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8 JSON.") from None
    except ValueError as exc:  # JSONDecodeError, or an integer past the digit limit
        if "digits" in str(exc):
            raise BadRequest("The request body has a number with too many digits.") from None
        raise BadRequest("The request body is not valid JSON.") from None
    check_value(value, max_depth)
    return value


def bad_string(text: str) -> str | None:
    """Why `text` cannot be stored (a NUL character, a lone surrogate), or None when it can."""
    if "\x00" in text:
        return "contains a NUL character"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate (not valid Unicode)"
    return None


def check_value(value: Any, max_depth: int) -> None:
    """Refuse (400, INVALID) JSON nested past `max_depth` or holding an unstorable string."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_string(item)
        elif isinstance(item, dict | list):
            if depth > max_depth:
                raise BadRequest(
                    f"The request is nested deeper than {max_depth} levels.", code="INVALID"
                )
            if isinstance(item, dict):
                for key, member in item.items():
                    _check_string(key)
                    stack.append((member, depth + 1))
            else:
                stack.extend((member, depth + 1) for member in item)


def _check_string(text: str) -> None:
    reason = bad_string(text)
    if reason is not None:
        raise BadRequest(f"A string in the request {reason}.", code="INVALID")


class _StringLiterals(Visitor):
    """Collects the first unstorable string literal of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        self.reason = bad_string(node.value)
        return Visitor.BREAK if self.reason else None


def check_document_strings(source: str, document: DocumentNode) -> str | None:
    """Why a string literal of the document cannot be stored, or None.

    Only an escape (`\\u0000`, a lone `\\ud800`) can put such a character in a literal: raw
    ones in the source are refused with the source itself, so documents without escapes are
    not visited.
    """
    if "\\u" not in source:
        return None
    visitor = _StringLiterals()
    visit(document, visitor)
    return visitor.reason
