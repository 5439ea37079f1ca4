"""The address a request comes from, as far as the service may believe it.

Without reverse proxies (`WALLCHART_TRUSTED_PROXIES` empty, the default) the client is the
socket's peer, and `X-Forwarded-For` is ignored: anyone can write that header.

Behind reverse proxies, name them in `WALLCHART_TRUSTED_PROXIES` (comma-separated addresses or
CIDR networks, e.g. `10.0.0.0/8, 127.0.0.1`). When the peer is one of them, the client is found
by walking `X-Forwarded-For` from the right — each proxy appends the address it received the
request from — past the trusted proxies, to the first address that is not one: everything to
its left was written by the client and proves nothing. A malformed entry ends the walk, and the
last trusted proxy seen stands for the client; so does the leftmost entry when every entry is
a trusted proxy. Addresses are returned in canonical form (an IPv4-mapped IPv6 address as
IPv4), so one client always has one spelling.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import Request

from server.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

UNKNOWN_ADDRESS = "unknown"
"""Stands for the client when the server was not told the peer's address."""


def client_address(request: Request, settings: Settings) -> str:
    """The client's address: the socket peer, or what trusted proxies forwarded (see above)."""
    if request.client is None or not request.client.host:
        return UNKNOWN_ADDRESS
    peer = parse_address(request.client.host)
    if peer is None:
        return request.client.host
    proxies = trusted_networks(settings.trusted_proxies)
    if not _is_trusted(peer, proxies):
        return str(peer)
    return str(_forwarded_client(peer, _forwarded_for(request), proxies))


@lru_cache(maxsize=8)
def trusted_networks(spec: str) -> tuple[Network, ...]:
    """The networks of a comma-separated list of addresses and networks (parsed once each)."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()
    )


def parse_address(text: str) -> IPAddress | None:
    """An address in canonical form, or None when the text is not one.

    Accepts `a.b.c.d`, an IPv6 address, and either with a port (`a.b.c.d:80`, `[v6]:80`), as
    some proxies write them.
    """
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, proxies: tuple[Network, ...]) -> bool:
    return any(address in network for network in proxies)


def _forwarded_for(request: Request) -> list[str]:
    """The entries of every `X-Forwarded-For` header, in order, left to right."""
    return [
        entry
        for header in request.headers.getlist("x-forwarded-for")
        for entry in header.split(",")
    ]


def _forwarded_client(
    peer: IPAddress, entries: list[str], proxies: tuple[Network, ...]
) -> IPAddress:
    """The rightmost untrusted entry, walking left from the trusted peer (see the module doc)."""
    nearest = peer
    for entry in reversed(entries):
        address = parse_address(entry)
        if address is None:
            return nearest
        if not _is_trusted(address, proxies):
            return address
        nearest = address
    return nearest
