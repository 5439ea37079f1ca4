"""The GraphQL multipart request spec on /graphql: placement of files, CSRF, streaming limits."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server.api import multipart
from server.api.multipart import (
    PROCESSING_ALLOWANCE_SECONDS,
    MultipartError,
    UploadedFile,
    read_multipart,
    remove_stale_uploads,
    spool_folder,
)
from server.api.slow_clients import ReadBudget
from server.domain.models import Photo, Project
from server.settings import Settings
from tests.images import jpeg_bytes
from tests.uploads import UPLOAD_PHOTO, post_multipart

MB = 1024 * 1024
BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW"


def upload_head(project_gid: str) -> bytes:
    """A multipart body up to the first bytes of its file part, as browsers write it."""
    operations = json.dumps(
        {"query": UPLOAD_PHOTO, "variables": {"input": {"projectId": project_gid, "file": None}}}
    )
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        f"{operations}\r\n"
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        '{"0": ["variables.input.file"]}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()


def spooled_files(settings: Settings) -> set[Path]:
    folder = spool_folder(settings)
    return set(folder.iterdir()) if folder.exists() else set()


def echo_app(settings: Settings) -> httpx.AsyncClient:
    """A client of an app that answers with what read_multipart made of the body."""

    def describe(value: Any) -> Any:
        if isinstance(value, UploadedFile):
            return {
                "file": value.filename,
                "bytes": value.path.read_bytes().decode(),
                "folder": str(value.path.parent),
            }
        if isinstance(value, dict):
            return {key: describe(item) for key, item in value.items()}
        if isinstance(value, list):
            return [describe(item) for item in value]
        return value

    async def echo(request: Request) -> JSONResponse:
        try:
            operations, files = await read_multipart(request, settings)
        except MultipartError as exc:
            return JSONResponse({"error": exc.message, "code": exc.code}, exc.status)
        try:
            return JSONResponse(describe(operations))
        finally:
            for upload in files.values():
                upload.discard()

    app = Starlette(routes=[Route("/echo", echo, methods=["POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
def echo_client(settings: Settings) -> httpx.AsyncClient:
    """A client of the echo app under the test settings."""
    return echo_app(settings)


async def echo_post(client: httpx.AsyncClient, operations: Any, file_map: Any, files: Any) -> Any:
    return await client.post(
        "/echo",
        data={"operations": json.dumps(operations), "map": json.dumps(file_map)},
        files=files,
        headers={"X-Requested-With": "XMLHttpRequest"},
    )


async def test_files_in_lists_and_one_file_at_several_paths(
    echo_client: httpx.AsyncClient, settings: Settings
) -> None:
    operations = {
        "query": "mutation($a: Upload, $many: [Upload], $again: Upload) { x }",
        "variables": {"a": None, "many": [None, None], "again": None},
    }
    file_map = {
        "0": ["variables.a", "variables.again"],
        "1": ["variables.many.0"],
        "2": ["variables.many.1"],
    }
    files = {
        "0": ("a.txt", b"first", "text/plain"),
        "1": ("b.txt", b"second", "text/plain"),
        "2": ("c.txt", b"third", "text/plain"),
    }
    response = await echo_post(echo_client, operations, file_map, files)
    assert response.status_code == 200, response.text
    variables = response.json()["variables"]
    assert variables["a"] == {
        "file": "a.txt",
        "bytes": "first",
        "folder": str(spool_folder(settings)),
    }
    assert variables["again"] == variables["a"]
    assert [item["bytes"] for item in variables["many"]] == ["second", "third"]


@pytest.mark.parametrize(
    ("operations", "file_map", "message"),
    [
        ({"query": "q", "variables": {"a": None}}, {"0": ["variables.b"]}, "does not exist"),
        ({"query": "q", "variables": {"a": [None]}}, {"0": ["variables.a.3"]}, "does not exist"),
        ({"query": "q", "variables": {"a": None}}, {"0": ["query"]}, "into `variables`"),
        ({"query": "q", "variables": {"a": None}}, {"0": "variables.a"}, "list of path"),
        ({"query": "q", "variables": {"a": None}}, {"0": ["variables.a"], "9": ["x"]}, "not sent"),
        ([{"query": "q"}], {"0": ["0.variables.a"]}, "batching"),
    ],
    ids=["missing-key", "missing-index", "outside-variables", "not-a-list", "unsent", "batch"],
)
async def test_bad_maps_are_400(
    echo_client: httpx.AsyncClient,
    settings: Settings,
    operations: Any,
    file_map: Any,
    message: str,
) -> None:
    before = spooled_files(settings)
    files = {"0": ("a.jpg", b"data", "image/jpeg")}
    response = await echo_post(echo_client, operations, file_map, files)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert spooled_files(settings) == before


async def upload_request(
    client: httpx.AsyncClient,
    account: Any,
    project: Project,
    *,
    map_part: str | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    headers: dict[str, str] | None = None,
    query: str = UPLOAD_PHOTO,
) -> httpx.Response:
    from schema.relay import global_id

    operations = {
        "query": query,
        "variables": {"input": {"projectId": global_id("Project", project.id), "file": None}},
    }
    sent = {"Apollo-Require-Preflight": "true"} if headers is None else headers
    return await client.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": map_part or json.dumps({"0": ["variables.input.file"]}),
        },
        files=files if files is not None else {"0": ("a.jpg", jpeg_bytes(), "image/jpeg")},
        headers={**sent, **account.headers},
    )


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
    from schema.relay import global_id

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


@contextlib.contextmanager
def spool_folder_blocked(settings: Settings) -> Iterator[None]:
    """A regular file where the spool folder goes, so creating or writing in it fails."""
    folder = Path(settings.media_root) / ".incoming"
    assert folder == spool_folder(settings)
    parked = folder.with_name(".incoming.parked")
    if folder.exists():
        folder.rename(parked)
    folder.write_text("a file where the folder should be: spooling beneath it fails")
    try:
        yield
    finally:
        folder.unlink()
        if parked.exists():
            parked.rename(folder)


async def test_an_upload_the_server_cannot_spool_is_a_503_to_retry(
    client: httpx.AsyncClient, office: Any, project: Project, settings: Settings
) -> None:
    before = spooled_files(settings)
    with spool_folder_blocked(settings):
        response = await upload_request(client, office, project)
    assert response.status_code == 503, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert "cannot store uploads now" in error["message"]
    assert int(response.headers["retry-after"]) > 0
    assert await Photo.all().count() == 0
    assert spooled_files(settings) == before
    allowed = await upload_request(client, office, project)
    assert allowed.json()["data"]["uploadPhoto"]["errors"] == []


async def test_a_disk_that_fills_while_spooling_is_a_503_and_the_file_is_removed(
    client: httpx.AsyncClient,
    office: Any,
    project: Project,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second file of the request hits a full disk halfway: both spooled files go."""
    opened: list[Path] = []
    open_spool_file = multipart._open_spool_file

    class FillingUp:
        """A spool file on a disk with room for 100 bytes."""

        def __init__(self, handle: Any) -> None:
            self.handle, self.written = handle, 0

        def write(self, data: bytes) -> int:
            if self.written + len(data) > 100:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.written += len(data)
            return self.handle.write(data)

        def close(self) -> None:
            self.handle.close()

    def filling_up(folder: Path) -> tuple[Path, Any]:
        path, handle = open_spool_file(folder)
        opened.append(path)
        return path, FillingUp(handle) if len(opened) == 2 else handle

    monkeypatch.setattr(multipart, "_open_spool_file", filling_up)
    before = spooled_files(settings)
    file_map = {"0": ["variables.input.file"], "1": ["variables.input.file"]}
    files = {
        "0": ("a.jpg", b"small enough", "image/jpeg"),
        "1": ("b.jpg", jpeg_bytes(), "image/jpeg"),
    }
    response = await upload_request(
        client, office, project, map_part=json.dumps(file_map), files=files
    )
    assert response.status_code == 503, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    assert "retry-after" in response.headers
    assert len(opened) == 2
    assert not any(path.exists() for path in opened)
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
    from schema.relay import global_id

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
    from schema.relay import global_id

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


def test_stale_spooled_files_are_removed_and_live_ones_kept(
    settings: Settings, tmp_path: Path
) -> None:
    local = dataclasses.replace(settings, media_root=str(tmp_path / "media"))
    assert remove_stale_uploads(local) == 0  # no folder yet
    folder = spool_folder(local)
    folder.mkdir(parents=True)
    crashed, live, nested = folder / "upload-a", folder / "upload-b", folder / "sub"
    crashed.write_bytes(b"cut off by a crash")
    live.write_bytes(b"still arriving")
    nested.mkdir()
    long_ago = time.time() - local.upload_deadline_seconds - PROCESSING_ALLOWANCE_SECONDS - 60
    for path in (crashed, nested):
        os.utime(path, (long_ago, long_ago))
    assert remove_stale_uploads(local) == 1
    assert not crashed.exists()
    assert live.exists() and nested.exists()
    assert remove_stale_uploads(local, now=time.time() + 10**6) == 1
    assert not live.exists()


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
