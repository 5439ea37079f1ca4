"""The fast load generator: wrk, driven by a generated Lua script that POSTs one GraphQL body.

The script counts answers that are not HTTP 200 or that carry GraphQL `errors`, and its `done`
hook prints one line, `WRK_RESULT {json}`, which `parse` reads (wrk's own text summary is
ignored: its units vary with magnitude).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

MARKER = "WRK_RESULT "

_DONE = """
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local answered_badly = 0
  for _, thread in ipairs(threads) do
    answered_badly = answered_badly + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"bad_answers": %d, "latency_p50_us": %d, "latency_p99_us": %d}\\n',
    MARKER, summary.requests, summary.duration, summary.bytes, e.connect, e.read,
    e.write, e.status, e.timeout, answered_badly,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests: int
    seconds: float
    errors: int
    bad_answers: int
    latency_p50_ms: float
    latency_p99_ms: float

    @property
    def throughput(self) -> float:
        """Requests answered per second (bad answers included; they are reported apart)."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, float]:
        """The raw figures, for results.json."""
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "throughput_rps": round(self.throughput, 1),
            "errors": self.errors,
            "bad_answers": self.bad_answers,
            "p50_ms": round(self.latency_p50_ms, 3),
            "p99_ms": round(self.latency_p99_ms, 3),
        }


def available() -> bool:
    """Whether wrk is on the PATH."""
    return shutil.which("wrk") is not None


def _long_string(text: str) -> str:
    """`text` as a Lua long-bracket literal that cannot be closed early by its content."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def lua_script(body: str, headers: dict[str, str]) -> str:
    """A wrk script that POSTs `body` (JSON text) with `headers` and reports as `parse` reads."""
    lines = ['wrk.method = "POST"', f"wrk.body = {_long_string(body)}"]
    all_headers = {"Content-Type": "application/json", **headers}
    for name, value in all_headers.items():
        lines.append(f"wrk.headers[ {_long_string(name)} ] = {_long_string(value)}")
    lines.append(f"MARKER = {_long_string(MARKER)}")
    return "\n".join(lines) + "\n" + _DONE


def parse(output: str) -> WrkResult:
    """The result line of a wrk run's standard output."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            raw = json.loads(line[len(MARKER) :])
            break
    else:
        raise ValueError(f"no {MARKER.strip()} line in wrk output: {output[-300:]!r}")
    errors = sum(
        raw[key]
        for key in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return WrkResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        errors=errors,
        bad_answers=raw["bad_answers"],
        latency_p50_ms=raw["latency_p50_us"] / 1000,
        latency_p99_ms=raw["latency_p99_us"] / 1000,
    )


async def run(
    url: str,
    body: str,
    headers: dict[str, str],
    *,
    connections: int,
    seconds: int,
    threads: int = 2,
) -> WrkResult:
    """POST `body` to `url` from `connections` keep-alive connections for `seconds`."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(body, headers))
    try:
        process = await asyncio.create_subprocess_exec(
            "wrk",
            f"-t{min(threads, connections)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "60s",
            "-s",
            script.name,
            url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
    finally:
        Path(script.name).unlink(missing_ok=True)
    if process.returncode != 0:
        raise RuntimeError(f"wrk exited {process.returncode}: {err.decode()[-300:]}")
    try:
        return parse(out.decode())
    except ValueError as error:
        raise RuntimeError(f"{error}; wrk said: {err.decode()[-300:]}") from error
