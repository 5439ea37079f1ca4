"""GraphiQL in the browser, served from assets kept locally (site offices may be offline)."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from starlette.responses import HTMLResponse

from server.settings import PROJECT_DIR

ASSETS_DIR = PROJECT_DIR / "var" / "graphiql"
ASSETS_URL = "/graphiql-assets"
# npm package -> (file inside the package, name under ASSETS_DIR)
PACKAGES = {
    "react@18.3.1": ("package/umd/react.production.min.js", "react.production.min.js"),
    "react-dom@18.3.1": ("package/umd/react-dom.production.min.js", "react-dom.production.min.js"),
    "graphiql@3.9.0": ("package/graphiql.min.js", "graphiql.min.js"),
    "graphiql@3.9.0#css": ("package/graphiql.min.css", "graphiql.min.css"),
}
ASSET_NAMES = tuple(name for _, name in PACKAGES.values())

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>wallchart GraphiQL</title>
<link rel="stylesheet" href="{url}/graphiql.min.css">
<style>body{{margin:0;height:100vh}}#graphiql{{height:100vh}}</style></head>
<body><div id="graphiql">Loading GraphiQL…</div>
<script src="{url}/react.production.min.js"></script>
<script src="{url}/react-dom.production.min.js"></script>
<script src="{url}/graphiql.min.js"></script>
<script>
const fetcher = GraphiQL.createFetcher({{url: "/graphql"}});
const defaultHeaders = JSON.stringify(
  {{Authorization: "Bearer <token from the login mutation>"}}, null, 2);
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {{fetcher, defaultHeaders, shouldPersistHeaders: true,
    defaultQuery: 'mutation {{ login(input: {{username: "office", ' +
      'password: "wallchart-demo"}}) {{ token errors {{ message }} }} }}'}}));
</script></body></html>"""

_MISSING = """<!doctype html>
<html><head><meta charset="utf-8"><title>wallchart GraphiQL</title></head><body>
<h1>GraphiQL assets are not installed</h1>
<p>The API at <code>/graphql</code> works regardless. To get the browser IDE, run
<code>make graphiql</code> (or <code>.venv/bin/python -m server fetch-graphiql</code>) on a machine
with npm and access to the npm registry; it keeps the files in <code>var/graphiql/</code>.
On a closed network, copy that folder from a machine that has it.</p>
</body></html>"""


def assets_present() -> bool:
    """True when every GraphiQL asset is on disk."""
    return all((ASSETS_DIR / name).is_file() for name in ASSET_NAMES)


def graphiql_page() -> HTMLResponse:
    """The GraphiQL page, or instructions for getting its assets."""
    if not assets_present():
        return HTMLResponse(_MISSING, status_code=200)
    return HTMLResponse(_PAGE.format(url=ASSETS_URL))


def fetch_assets() -> None:
    """Fetch the assets with `npm pack` from the npm registry into ASSETS_DIR."""
    if shutil.which("npm") is None:
        raise RuntimeError("npm is not installed; GraphiQL assets cannot be fetched")
    ASSETS_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        specs = sorted({spec.split("#")[0] for spec in PACKAGES})
        subprocess.run(
            ["npm", "pack", "--silent", *specs], cwd=tmp, check=True, capture_output=True
        )
        for spec, (member, name) in PACKAGES.items():
            package, version = spec.split("#")[0].rsplit("@", 1)
            with tarfile.open(Path(tmp) / f"{package}-{version}.tgz") as archive:
                source = archive.extractfile(member)
                if source is None:
                    raise RuntimeError(f"{member} missing from {spec}")
                target = ASSETS_DIR / name
                partial = target.with_suffix(".part")
                partial.write_bytes(source.read())
                partial.replace(target)
