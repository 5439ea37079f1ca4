"""Apollo Client, unmodified, against the real server: its persisted-queries link with
`useGETForHashedQueries` runs a query twice (the second time by hash alone, over GET) and a
mutation.

Needs node; the npm packages (exact versions below) are installed once into var/node/ under the
project (ignored by git) and reused. Without node, or when the npm registry cannot be reached, it
is skipped saying so on a developer's machine and fails in CI (`CI=true`), whose machine has both.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import httpx
import pytest
from starlette.applications import Starlette

from server.domain.models import Role
from server.settings import PROJECT_DIR, Settings
from tests.conftest import MakeAccount

PACKAGES = {"@apollo/client": "3.13.8", "graphql": "16.11.0"}
NODE_DIR = (
    PROJECT_DIR
    / "var"
    / "node"
    / "-".join(f"{name.replace('/', '+')}@{version}" for name, version in sorted(PACKAGES.items()))
)

SCRIPT = r"""
const { ApolloClient, InMemoryCache, HttpLink, gql } = require("@apollo/client/core");
const { createPersistedQueryLink } = require("@apollo/client/link/persisted-queries");
const { createHash } = require("node:crypto");

async function main() {
  const [url, token] = process.argv.slice(2);
  const seen = [];
  async function recordingFetch(uri, options) {
    const response = await fetch(uri, options);
    const params = new URL(uri).searchParams;
    const body = options.body ? JSON.parse(options.body) : {};
    seen.push({
      method: options.method || "GET",
      text: params.has("query") || typeof body.query === "string",
      status: response.status,
    });
    return response;
  }
  const sha256 = (text) => createHash("sha256").update(text).digest("hex");
  const link = createPersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
    new HttpLink({ uri: url, fetch: recordingFetch, headers: { authorization: "Bearer " + token } })
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  const me = gql`query Me { me { username } }`;
  const first = await client.query({ query: me, fetchPolicy: "network-only" });
  const second = await client.query({ query: me, fetchPolicy: "network-only" });
  const mutation = await client.mutate({ mutation: gql`mutation Logout { logout { ok } }` });
  const answers = { first: first.data, second: second.data, mutation: mutation.data };
  console.log(JSON.stringify({ ...answers, seen }));
}
main().catch((error) => { console.error(error); process.exit(1); });
"""


def _unavailable(reason: str) -> NoReturn:
    """Skip for want of node or the npm registry, except in CI, where that is a failure: CI's
    machine has both, and this test is the proof that Apollo Client works unmodified."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs node and the npm registry for the Apollo Client test: {reason}")
    pytest.skip(reason)


def _node_packages() -> Path:
    """The folder holding the pinned packages, installed on first use; skips when npm cannot
    reach the registry."""
    if (NODE_DIR / "installed").is_file():
        return NODE_DIR
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("npm is not installed (node is): the Apollo Client packages cannot be had")
    partial = NODE_DIR.with_name(NODE_DIR.name + f".part{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    (partial / "package.json").write_text(
        json.dumps({"private": True, "dependencies": PACKAGES}), encoding="utf-8"
    )
    try:
        result = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=partial,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(partial, ignore_errors=True)
        _unavailable("npm install of the Apollo Client packages timed out (registry unreachable?)")
    if result.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        _unavailable(
            "npm could not install the Apollo Client packages (is the npm registry reachable?): "
            + result.stderr.strip()[-300:]
        )
    (partial / "installed").write_text("ok\n", encoding="utf-8")
    if (NODE_DIR / "installed").is_file():  # another session (the other database's) won
        shutil.rmtree(partial, ignore_errors=True)
        return NODE_DIR
    shutil.rmtree(NODE_DIR, ignore_errors=True)  # a broken earlier install
    try:
        partial.rename(NODE_DIR)
    except OSError:  # installed by another session at the same moment
        shutil.rmtree(partial, ignore_errors=True)
    return NODE_DIR


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _service(settings: Settings) -> Iterator[str]:
    """The service in a uvicorn process on the test database; yields its /graphql URL."""
    port = _free_port()
    env = {
        **os.environ,
        "WALLCHART_DATABASE_URL": settings.database_url,
        "WALLCHART_MEDIA_ROOT": settings.media_root,
        "WALLCHART_SECRET_KEY": settings.secret_key,
        "WALLCHART_PERSISTED_QUERIES": "open",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "server.api.app:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, cwd=PROJECT_DIR)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            assert process.poll() is None, "the service exited at start"
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.1)
        yield f"{base}/graphql"
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


async def test_apollo_client_persisted_queries_link_works_unmodified(
    app: Starlette, settings: Settings, make_account: MakeAccount, tmp_path: Path
) -> None:
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed: Apollo Client cannot be run")
    packages = _node_packages()
    account = await make_account(Role.OFFICE, "apollo")
    script = tmp_path / "apollo.cjs"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {**os.environ, "NODE_PATH": str(packages / "node_modules")}
    with _service(settings) as url:
        result = subprocess.run(
            [node, str(script), url, account.token],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    me = {"me": {"__typename": "User", "username": "apollo"}}
    assert outcome["first"] == me
    assert outcome["second"] == me
    assert outcome["mutation"] == {"logout": {"__typename": "LogoutPayload", "ok": True}}
    assert outcome["seen"] == [
        {"method": "GET", "text": False, "status": 200},  # PersistedQueryNotFound
        {"method": "POST", "text": True, "status": 200},  # the text, once
        {"method": "GET", "text": False, "status": 200},  # the hash alone, answered
        {"method": "POST", "text": False, "status": 200},  # a mutation: POST, hash unknown
        {"method": "POST", "text": True, "status": 200},
    ]
