"""The GraphQL multipart request spec on /graphql: placement of files, CSRF, streaming limits."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from schema.relay import global_id
from server.api.slow_clients import ReadBudget
from server.domain.models import Photo, Project
from server.settings import Settings
from tests.images import jpeg_bytes
from tests.server.api.multipart_requests import (
    BOUNDARY,
    echo_app,
    spooled_files,
    upload_head,
    upload_request,
)
from tests.uploads import UPLOAD_PHOTO, post_multipart

MB = 1024 * 1024


@pytest.fixture
async def project(office: Any) -> Project:
    return await Project.create(code="P-9", name="Depot", responsible_unit="Transport")


async def test_upload_needs_a_csrf_header(
    client: httpx.AsyncClient, office: Any, project: Project
) -> None:
    response = await upload_request(client, office, project, headers={})
    assert response.status_code == 400
    assert "Apollo-Require-Preflight" in response.json()["errors"][0]["message"]
    blank = await upload_request(client, office, project, headers={"X-Requested-With": " "})
    assert blank.status_code == 400
    allowed = await upload_request(client, office, project, headers={"X-Requested-With": "app"})
    assert allowed.status_code == 200
    assert await Photo.all().count() == 1


async def test_map_that_is_not_json(
    client: httpx.AsyncClient, office: Any, project: Project
) -> None:
    response = await upload_request(client, office, project, map_part="{not json")
    assert response.status_code == 400
    assert "`map` part is not valid JSON" in response.json()["errors"][0]["message"]


DEEP = "[" * 5000 + "]" * 5000
LONG_NUMBER = "9" * 5000


async def post_parts(
    client: httpx.AsyncClient,
    account: Any,
    project: Project,
    **parts: str,
) -> httpx.Response:
    """POST an upload of one photo whose `operations` and `map` parts are sent as given."""
    operations = {
        "query": UPLOAD_PHOTO,
        "variables": {"input": {"projectId": global_id("Project", project.id), "file": None}},
    }
    sent = {"operations": json.dumps(operations), "map": '{"0": ["variables.input.file"]}'}
    return await client.post(
        "/graphql",
        data={**sent, **parts},
        files={"0": ("a.jpg", jpeg_bytes(), "image/jpeg")},
        headers={"Apollo-Require-Preflight": "true", **account.headers},
    )


@pytest.mark.parametrize(
    ("parts", "words"),
    [
        ({"operations": DEEP}, ("`operations` part", "nested too deeply")),
        ({"map": DEEP}, ("`map` part", "nested too deeply")),
        (
            {"operations": '{"query": "mutation { x }", "n": ' + LONG_NUMBER + "}"},
            ("`operations` part", "too many digits"),
        ),
        ({"map": '{"0": ["variables.input.file"], "n": ' + LONG_NUMBER + "}"}, ("too many",)),
        ({"operations": "[" * 40 + "]" * 40}, ("nested deeper than 32",)),
        ({"map": '{"0": ["variables.input.file\\u0000"]}'}, ("NUL",)),
        ({"operations": "{not json"}, ("`operations` part is not valid JSON",)),
    ],
    ids=["deep-operations", "deep-map", "long-number", "long-number-map", "deep", "nul", "bad"],
)
async def test_hostile_json_parts_are_400(
    client: httpx.AsyncClient,
    office: Any,
    project: Project,
    settings: Settings,
    parts: dict[str, str],
    words: tuple[str, ...],
) -> None:
    before = spooled_files(settings)
    response = await post_parts(client, office, project, **parts)
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] in ("BAD_REQUEST", "INVALID")
    for word in words:
        assert word in error["message"]
    assert spooled_files(settings) == before
    assert await Photo.all().count() == 0


async def test_file_part_missing_from_map(
    client: httpx.AsyncClient, office: Any, project: Project, settings: Settings
) -> None:
    before = spooled_files(settings)
    files = {
        "0": ("a.jpg", jpeg_bytes(), "image/jpeg"),
        "stray": ("b.jpg", jpeg_bytes((30, 30)), "image/jpeg"),
    }
    response = await upload_request(client, office, project, files=files)
    assert response.status_code == 400
    assert "'stray' is not listed in `map`" in response.json()["errors"][0]["message"]
    assert await Photo.all().count() == 0
    assert spooled_files(settings) == before


async def test_only_mutations_carry_files(
    client: httpx.AsyncClient, office: Any, project: Project
) -> None:
    query = "query { me { id } }"
    response = await upload_request(client, office, project, query=query)
    assert response.status_code == 400
    assert "Only mutations" in response.json()["errors"][0]["message"]


async def test_eleven_files_are_too_many(
    client: httpx.AsyncClient, office: Any, project: Project
) -> None:
    file_map = {str(n): ["variables.input.file"] for n in range(11)}
    files = {str(n): (f"{n}.jpg", jpeg_bytes((20 + n, 20)), "image/jpeg") for n in range(11)}
    response = await upload_request(
        client, office, project, map_part=json.dumps(file_map), files=files
    )
    assert response.status_code == 413
    assert "At most 10 files" in response.json()["errors"][0]["message"]
    assert await Photo.all().count() == 0


async def test_a_30_mb_file_stops_the_read_and_stores_nothing(
    client: httpx.AsyncClient, office: Any, project: Project, settings: Settings
) -> None:
    """The body is streamed: reading stops at the limit, long before the 30 MB are sent."""
    head = upload_head(global_id("Project", project.id))
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield head
        chunk = b"\xff\xd8\xff" + b"\x00" * (MB - 3)
        for _ in range(30):
            sent += len(chunk)
            yield chunk
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    before = spooled_files(settings)
    response = await client.post(
        "/graphql",
        content=body(),
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Apollo-Require-Preflight": "true",
            **office.headers,
        },
    )
    assert response.status_code == 413
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "TOO_LARGE"
    assert "25 MB" in error["message"]
    assert sent <= 27 * MB
    assert spooled_files(settings) == before
    assert await Photo.all().count() == 0


async def test_oversized_operations_part(
    client: httpx.AsyncClient, office: Any, project: Project
) -> None:
    big = {"query": "mutation { x }", "variables": {"pad": "x" * (2 * MB)}}
    response = await post_multipart(
        client,
        big,
        {"0": ["variables.pad"]},
        {"0": ("a.jpg", b"x", "image/jpeg")},
        account=office,
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "LIMIT"


async def test_one_file_for_two_aliased_uploads(
    client: httpx.AsyncClient, office: Any, project: Project
) -> None:
    query = """
    mutation($a: UploadPhotoInput!, $b: UploadPhotoInput!) {
      first: uploadPhoto(input: $a) { photo { id } errors { code } }
      second: uploadPhoto(input: $b) { photo { id } errors { code } }
    }"""
    project_id = global_id("Project", project.id)
    operations = {
        "query": query,
        "variables": {
            "a": {"projectId": project_id, "file": None},
            "b": {"projectId": project_id, "file": None, "caption": "same bytes"},
        },
    }
    response = await post_multipart(
        client,
        operations,
        {"0": ["variables.a.file", "variables.b.file"]},
        {"0": ("a.jpg", jpeg_bytes(), "image/jpeg")},
        account=office,
    )
    data = response.json()["data"]
    assert data["first"]["photo"]["id"] == data["second"]["photo"]["id"]
    assert await Photo.all().count() == 1


async def test_declared_length_beyond_all_limits_is_refused_before_reading(
    client: httpx.AsyncClient, office: Any
) -> None:
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        for _ in range(4):
            read += MB
            yield b"\x00" * MB

    response = await client.post(
        "/graphql",
        content=body(),
        headers={
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(400 * MB),
            "X-Requested-With": "app",
            **office.headers,
        },
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "TOO_LARGE"
    assert read <= MB


# --- Slow clients and crash leftovers -----------------------------------------------------------


async def stalled_upload(
    settings: Settings, spooled: set[Path], monkeypatch: pytest.MonkeyPatch
) -> httpx.Response:
    """Post an upload that stops sending in the middle of its file; `spooled` gets the files
    spooled by then.

    The read budget's clock counts only once the file part is being spooled: the budgets of
    these tests are short, and on a loaded machine the first chunks could otherwise miss
    them, leaving no file to see removed. The deadline and the rate are still measured from
    the start of the body, so a budget already spent cuts the client off at its next wait.
    """
    before = spooled_files(settings)
    spooling = asyncio.Event()
    cutoff = ReadBudget.cutoff

    def cutoff_once_spooling(budget: ReadBudget, start: float, received: int) -> float | None:
        return cutoff(budget, start, received) if spooling.is_set() else None

    monkeypatch.setattr(ReadBudget, "cutoff", cutoff_once_spooling)

    async def body() -> AsyncIterator[bytes]:
        yield upload_head("UHJvamVjdDox")
        # Asked for more: the server has parsed the file part's headers and opened its file.
        spooled.update(spooled_files(settings) - before)
        spooling.set()
        yield b"\xff\xd8\xff" + b"\x00" * 4096
        await asyncio.Event().wait()  # the client goes quiet and never closes
        yield b""

    async with echo_app(settings) as client, asyncio.timeout(30):
        return await client.post(
            "/echo",
            content=body(),
            headers={
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "X-Requested-With": "app",
            },
        )


async def test_an_upload_past_its_deadline_is_refused_and_its_file_removed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = spooled_files(settings)
    spooled: set[Path] = set()
    response = await stalled_upload(
        dataclasses.replace(settings, upload_deadline_seconds=0.2, upload_grace_seconds=60),
        spooled,
        monkeypatch,
    )
    assert response.status_code == 408
    assert response.json()["code"] == "TIMEOUT"
    assert "did not arrive within 0.2 s" in response.json()["error"]
    assert spooled, "the file part was being spooled when the client went quiet"
    assert spooled_files(settings) == before


async def test_an_upload_below_the_minimum_rate_is_refused_and_its_file_removed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a grace of 0.1 s the client must keep up a rate no real client reaches."""
    before = spooled_files(settings)
    spooled: set[Path] = set()
    response = await stalled_upload(
        dataclasses.replace(settings, upload_grace_seconds=0.1, upload_min_bytes_per_second=10**9),
        spooled,
        monkeypatch,
    )
    assert response.status_code == 408
    assert response.json()["code"] == "TIMEOUT"
    assert "slower than 1e+09 bytes a second" in response.json()["error"]
    assert spooled
    assert spooled_files(settings) == before


async def test_a_user_past_their_uploads_at_once_is_refused_before_the_body_is_read(
    app: Starlette, client: httpx.AsyncClient, office: Any, project: Project, settings: Settings
) -> None:
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        read += 1
        yield upload_head("UHJvamVjdDox")

    slots = app.state.graphql.upload_slots
    with contextlib.ExitStack() as under_way:
        for _ in range(settings.max_uploads_per_user):
            under_way.enter_context(slots.hold(office.user.id))
        response = await client.post(
            "/graphql",
            content=body(),
            headers={
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "X-Requested-With": "app",
                **office.headers,
            },
        )
    assert response.status_code == 429
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(response.headers["retry-after"]) > 0
    assert read == 0
    allowed = await upload_request(client, office, project)
    assert allowed.status_code == 200
    assert allowed.json()["data"]["uploadPhoto"]["errors"] == []
