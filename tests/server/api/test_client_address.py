"""The client address: the socket peer, or trusted proxies' X-Forwarded-For."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from server.api.client_address import UNKNOWN_ADDRESS, client_address, parse_address
from server.settings import Settings

PROXIES = Settings(trusted_proxies="10.0.0.0/8, 192.0.2.7, 2001:db8::/32")


def request_from(peer: str | None, *forwarded_for: str) -> Request:
    """A request from `peer` carrying one X-Forwarded-For header per value."""
    headers = [(b"x-forwarded-for", value.encode("latin-1")) for value in forwarded_for]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": headers,
        "client": (peer, 4321) if peer is not None else None,
    }
    return Request(scope)


def test_the_peer_is_the_client_when_no_proxy_is_trusted() -> None:
    request = request_from("203.0.113.5", "198.51.100.1")
    assert client_address(request, Settings()) == "203.0.113.5"


def test_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    request = request_from("203.0.113.5", "198.51.100.1, 10.0.0.1")
    assert client_address(request, PROXIES) == "203.0.113.5"


def test_a_trusted_proxy_forwards_the_rightmost_untrusted_address() -> None:
    # The client wrote 6.6.6.6 itself; the first proxy saw 198.51.100.1; the second, 10.0.0.2.
    request = request_from("10.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2")
    assert client_address(request, PROXIES) == "198.51.100.1"


def test_several_headers_read_as_one_list() -> None:
    request = request_from("10.0.0.1", "6.6.6.6", "198.51.100.1", "192.0.2.7")
    assert client_address(request, PROXIES) == "198.51.100.1"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("6.6.6.6, not-an-address", "10.0.0.1"),
        ("6.6.6.6, , 10.0.0.2", "10.0.0.2"),
        ("6.6.6.6, 999.1.1.1", "10.0.0.1"),
        ("x" * 10_000, "10.0.0.1"),
        ("", "10.0.0.1"),
        ("198.51.100.1:5678", "198.51.100.1"),
        ("[2001:db9::1]:443", "2001:db9::1"),
        ("::ffff:198.51.100.1", "198.51.100.1"),
        ("10.0.0.3, 10.0.0.2", "10.0.0.3"),
    ],
)
def test_forwarded_entries_are_read_safely(forwarded: str, expected: str) -> None:
    """A malformed entry ends the walk at the nearest trusted proxy; ports are dropped."""
    assert client_address(request_from("10.0.0.1", forwarded), PROXIES) == expected


def test_a_trusted_peer_without_forwarded_for_is_the_client() -> None:
    assert client_address(request_from("10.0.0.1"), PROXIES) == "10.0.0.1"


def test_ipv6_peers_and_networks() -> None:
    request = request_from("2001:db8::5", "2001:DB9:0:0::7")
    assert client_address(request, PROXIES) == "2001:db9::7"
    assert client_address(request_from("::ffff:10.0.0.1", "198.51.100.9"), PROXIES) == (
        "198.51.100.9"
    )


def test_peers_that_are_not_addresses() -> None:
    assert client_address(request_from(None), PROXIES) == UNKNOWN_ADDRESS
    assert client_address(request_from("testclient", "198.51.100.1"), PROXIES) == "testclient"


def test_parse_address() -> None:
    assert str(parse_address(" 192.0.2.1 ")) == "192.0.2.1"
    assert parse_address("192.0.2.1:80:90") is None
    assert parse_address("unknown") is None
