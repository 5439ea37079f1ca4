"""GET /metrics: the Prometheus metrics, for allow-listed addresses or a bearer token.

A client may read them when its address (`client_address`, so behind trusted proxies the
forwarded one) is in `WALLCHART_METRICS_ALLOW`, or when it sends
`Authorization: Bearer <WALLCHART_METRICS_TOKEN>` (an empty token allows no one). Anyone else
gets 403: the route's existence is no secret, its numbers are.
"""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from server.api.client_address import client_address, parse_address, trusted_networks
from server.settings import Settings
from server.telemetry import metrics


def may_read_metrics(request: Request, settings: Settings) -> bool:
    """True when the request's address is allow-listed or it carries the metrics token."""
    address = parse_address(client_address(request, settings))
    allowed = trusted_networks(settings.metrics_allow)
    if address is not None and any(address in network for network in allowed):
        return True
    if not settings.metrics_token:
        return False
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), settings.metrics_token.encode()
    )


class MetricsEndpoint:
    """Starlette handler of GET /metrics."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def handle(self, request: Request) -> Response:
        """The metrics in the Prometheus text format, or 403 for a client not allowed."""
        if not may_read_metrics(request, self.settings):
            return PlainTextResponse("Not allowed to read the metrics.\n", status_code=403)
        body, media_type = await run_in_threadpool(metrics.exposition)
        return Response(body, media_type=media_type)
