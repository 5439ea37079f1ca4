"""GET /metrics: what the service did, in the Prometheus text format, for allowed clients only."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from schema.relay import global_id
from server.api.app import create_app
from server.domain.models import Project
from server.settings import Settings
from server.telemetry.metrics import MULTIPROCESS_ENV
from tests.conftest import Account
from tests.images import jpeg_bytes
from tests.uploads import UPLOAD_PHOTO, post_multipart, upload_photo

LOGIN = """mutation Login($u: String!, $p: String!) {
  login(input: {username: $u, password: $p}) { token errors { code } }
}"""
ME = "query Me { me { id username } }"
ROOT = Path(__file__).resolve().parents[3]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    """GET /metrics and parse it with the Prometheus parser: sample (name, labels) -> value."""
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value, 0 when the series does not exist yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much a sample grew between two scrapes."""
    return value(after, name, **labels) - value(before, name, **labels)


@pytest.fixture
async def project(site_manager: Account) -> Project:
    """A project the site manager may upload photos to."""
    created = await Project.create(code="P-M", name="Metrics school", responsible_unit="Unit")
    await created.site_managers.add(site_manager.user)
    return created


def client_for(app: Starlette, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """An HTTP client to `app` whose requests come from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def guarded_app(settings: Settings, app: Starlette) -> AsyncIterator[Starlette]:
    """The service with /metrics open to a token only, and no upload allowed at once (429)."""
    changed = dataclasses.replace(
        settings, metrics_allow="", metrics_token="scrape-token", max_uploads_per_user=0
    )
    yield create_app(changed)  # the database is the running `app`'s


async def test_metrics_count_sign_ins_queries_and_uploads(
    client: httpx.AsyncClient, office: Account, site_manager: Account, project: Project
) -> None:
    before = await scrape(client)
    wrong = await client.post(
        "/graphql", json={"query": LOGIN, "variables": {"u": "office", "p": "nope"}}
    )
    assert wrong.json()["data"]["login"]["errors"][0]["code"] == "INVALID"
    me = await client.post("/graphql", json={"query": ME}, headers=office.headers)
    assert me.json()["data"]["me"]["username"] == "office"
    photo = jpeg_bytes((64, 48))
    project_id = global_id("Project", project.id)
    uploaded = await upload_photo(client, site_manager, photo, projectId=project_id)
    assert uploaded["errors"] == []
    after = await scrape(client)

    assert grew(before, after, "wallchart_sign_in_failures_total") == 1
    login = {"operation": "Login", "type": "mutation", "outcome": "ok", "status": "2xx"}
    assert grew(before, after, "wallchart_requests_total", **login) == 1
    query = {"operation": "Me", "type": "query", "outcome": "ok", "status": "2xx"}
    assert grew(before, after, "wallchart_requests_total", **query) == 1
    assert (
        grew(
            before, after, "wallchart_request_duration_seconds_count", operation="Me", type="query"
        )
        == 1
    )
    assert grew(before, after, "wallchart_query_cost_count", type="query") == 1
    assert grew(before, after, "wallchart_sql_statements_per_request_count", type="query") == 1
    assert grew(before, after, "wallchart_sql_statements_per_request_sum", type="mutation") >= 1
    upload = {"operation": "anonymous", "type": "mutation", "outcome": "ok", "status": "2xx"}
    assert grew(before, after, "wallchart_requests_total", **upload) == 0  # it is named Upload
    assert grew(before, after, "wallchart_requests_total", **{**upload, "operation": "Upload"}) == 1
    assert grew(before, after, "wallchart_photos_processed_total") == 1
    assert grew(before, after, "wallchart_upload_bytes_total") == len(photo)
    assert grew(before, after, "wallchart_photo_processing_seconds_count") == 1
    scrapes = {"operation": "none", "type": "none", "outcome": "ok", "status": "2xx"}
    assert grew(before, after, "wallchart_requests_total", **scrapes) >= 1  # the first scrape


async def test_operation_names_are_bounded(client: httpx.AsyncClient, office: Account) -> None:
    before = await scrape(client)
    long_name = "Q" * 70
    for document in (f"query {long_name} {{ me {{ id }} }}", "{ me { id } }"):
        response = await client.post("/graphql", json={"query": document}, headers=office.headers)
        assert response.json()["data"]["me"] is not None
    after = await scrape(client)
    ok = {"type": "query", "outcome": "ok", "status": "2xx"}
    assert grew(before, after, "wallchart_requests_total", operation="other", **ok) == 1
    assert grew(before, after, "wallchart_requests_total", operation="anonymous", **ok) == 1
    assert not any(long_name in str(labels) for _, labels in after)


async def test_refused_graphql_requests_are_counted_as_refused(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    response = await client.post("/graphql", json={"query": "query Broken { nope }"})
    assert response.status_code == 400
    after = await scrape(client)
    refused = {"operation": "none", "type": "none", "outcome": "refused", "status": "4xx"}
    assert grew(before, after, "wallchart_requests_total", **refused) == 1


async def test_throttled_sign_ins_are_counted(
    client: httpx.AsyncClient, office: Account, settings: Settings
) -> None:
    before = await scrape(client)
    codes = []
    for _ in range(settings.login_max_failures + 1):
        response = await client.post(
            "/graphql", json={"query": LOGIN, "variables": {"u": "office", "p": "wrong"}}
        )
        codes.append(response.json()["data"]["login"]["errors"][0]["code"])
    assert codes[-1] == "RATE_LIMITED"
    after = await scrape(client)
    assert grew(before, after, "wallchart_throttled_total", kind="sign_in") == 1
    assert grew(before, after, "wallchart_sign_in_failures_total") == settings.login_max_failures


async def test_upload_refused_with_429_is_counted(
    guarded_app: Starlette, site_manager: Account, project: Project
) -> None:
    async with client_for(guarded_app) as http:
        before = await scrape(http, Authorization="Bearer scrape-token")
        operations = {"query": UPLOAD_PHOTO, "variables": {"input": {"file": None}}}
        files = {"0": ("a.jpg", jpeg_bytes(), "image/jpeg")}
        response = await post_multipart(
            http, operations, {"0": ["variables.input.file"]}, files, account=site_manager
        )
        assert response.status_code == 429
        after = await scrape(http, Authorization="Bearer scrape-token")
    assert grew(before, after, "wallchart_throttled_total", kind="uploads") == 1
    refused = {"operation": "none", "type": "none", "outcome": "refused", "status": "4xx"}
    assert grew(before, after, "wallchart_requests_total", **refused) == 1


async def test_metrics_are_refused_to_other_addresses(app: Starlette) -> None:
    async with client_for(app, "203.0.113.9") as http:
        response = await http.get("/metrics")
        assert response.status_code == 403
        assert "wallchart_" not in response.text
        # The default token is empty, and an empty token allows no one.
        response = await http.get("/metrics", headers={"Authorization": "Bearer "})
        assert response.status_code == 403


async def test_metrics_token_allows_any_address(guarded_app: Starlette) -> None:
    async with client_for(guarded_app, "127.0.0.1") as http:
        assert (await http.get("/metrics")).status_code == 403  # not allow-listed any more
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer scrape-tokeN"})
        assert wrong.status_code == 403
        basic = await http.get("/metrics", headers={"Authorization": "Basic scrape-token"})
        assert basic.status_code == 403
    async with client_for(guarded_app, "198.51.100.7") as http:
        samples = await scrape(http, Authorization="Bearer scrape-token")
    assert any(name == "wallchart_requests_total" for name, _ in samples)


def run_worker(directory: Path, code: str) -> None:
    """Run `code` in a new Python process in multiprocess mode, writing to `directory`."""
    env = {**os.environ, MULTIPROCESS_ENV: str(directory)}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)


async def test_multiprocess_mode_adds_up_every_worker(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = (
        "from server.telemetry import metrics\n"
        "metrics.record_sign_in_failure()\n"
        "metrics.record_throttled('uploads')\n"
    )
    run_worker(tmp_path, worker)
    run_worker(tmp_path, worker + "metrics.record_sign_in_failure()\n")
    assert len(list(tmp_path.glob("*.db"))) >= 2
    monkeypatch.setenv(MULTIPROCESS_ENV, str(tmp_path))
    samples = await scrape(client)
    assert value(samples, "wallchart_sign_in_failures_total") == 3
    assert value(samples, "wallchart_throttled_total", kind="uploads") == 2
    # Only the workers' files count: this test process writes none.
    assert not any(name == "wallchart_requests_total" for name, _ in samples)
