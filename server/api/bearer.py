"""Telling a client why its bearer token did not sign it in (RFC 6750), so it signs in again.

A request that sends no token is anonymous and is told nothing more. A request that sends a
token which does not authenticate is still answered as an anonymous one (so `me` is null and
`login` works even from an app that keeps sending its stale token), but every answer to it
carries `WWW-Authenticate: Bearer error="invalid_token", error_description="..."`, and each
top-level UNAUTHENTICATED error in it says why in `extensions.reason`: "expired", "revoked" or
"unknown" (`server.domain.accounts.TokenRefusal`).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from server.api.json_response import GraphQLJSONResponse
from server.domain.accounts import TokenRefusal

UNAUTHENTICATED = "UNAUTHENTICATED"
_DESCRIPTIONS = {
    TokenRefusal.EXPIRED: "The token has expired; sign in again.",
    TokenRefusal.REVOKED: "The token has been revoked; sign in again.",
    TokenRefusal.UNKNOWN: "The token is unknown; sign in again.",
}
"""RFC 6750 allows only printable ASCII without quote or backslash in a description."""


def challenge(refusal: TokenRefusal | None) -> str:
    """The `WWW-Authenticate` value: why the token sent was refused, or (`refusal` None, no
    token sent) the bare Bearer challenge RFC 6750 asks of a 401 to a request without one."""
    if refusal is None:
        return "Bearer"
    return f'Bearer error="invalid_token", error_description="{_DESCRIPTIONS[refusal]}"'


def explain_refusal(response: Response, refusal: TokenRefusal | None) -> None:
    """Tell the client of a GraphQL answer why its token was refused (see the module doc).

    Without a refused token, only a 401 (an upload without a token) gets the bare challenge.
    """
    if refusal is None:
        if response.status_code == 401:
            response.headers["WWW-Authenticate"] = challenge(None)
        return
    response.headers["WWW-Authenticate"] = challenge(refusal)
    if isinstance(response, GraphQLJSONResponse) and UNAUTHENTICATED.encode() in response.body:
        response.amend(lambda body: _add_reason(body, refusal))


def _add_reason(body: dict[str, Any], refusal: TokenRefusal) -> None:
    """Add `extensions.reason` to each top-level UNAUTHENTICATED error of a GraphQL body."""
    for error in body.get("errors") or ():
        extensions = error.get("extensions")
        if isinstance(extensions, dict) and extensions.get("code") == UNAUTHENTICATED:
            extensions["reason"] = refusal.value
