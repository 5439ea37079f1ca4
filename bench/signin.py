"""Signing the bench's users in: a bearer token from the login mutation."""

from __future__ import annotations

import httpx

from bench import queries


async def login(http: httpx.AsyncClient, username: str, password: str) -> str:
    """A bearer token for a seeded user."""
    body = {"query": queries.LOGIN, "variables": {"username": username, "password": password}}
    answer = (await http.post("/graphql", json=body)).json()
    payload = answer["data"]["login"]
    if not payload["token"]:
        raise RuntimeError(f"bench login of {username} failed: {payload['errors']}")
    return payload["token"]
