"""The `map` part: files put in place in `operations`, and maps that do not fit refused."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from server.api.upload_spool import spool_folder
from server.settings import Settings
from tests.server.api.multipart_requests import echo_app, spooled_files


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
