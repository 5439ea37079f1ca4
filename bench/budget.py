"""The request-budget rows of the bench (issue 10): hostile documents, sign-ins, a huge body.

Three rows, each measured in seconds against a figure of the same run:

- **hostile documents refused vs `{ __typename }`**: ten fragments, each spreading the next six
  times (about 600 characters), plain, with an alias in every fragment, and with a deep
  `__schema` walk at the bottom; every request's text differs (the letters of its fragment
  names spell the request's number, at the attack's length) and so does the baseline's
  (`{ aXYZ: __typename }`), so the document cache answers neither. Ratio of median (and p95)
  latencies of anonymous POSTs from a few keep-alive clients.
- **`{ __typename }` during eight sign-ins vs idle**: eight clients loop `login` with the
  *correct* password of eight distinct seeded office users (so neither the per-user nor the
  per-address throttle turns them into cheap refusals: every one verifies an Argon2 hash and
  issues a token) while one client probes on a fixed schedule (open loop); ratio of the
  probe's median (and p95) latency.
- **server RSS growth while a 100 MB JSON body is refused**: streamed from a generator, with
  and without Content-Length; the growth is the peak resident set (VmHWM, reset through
  /proc/<pid>/clear_refs, and sampled VmRSS) over VmRSS before. An absolute figure in MB.

The service runs in a process of its own for these rows, restarted when a hostile document
kept it busy past the per-request timeout, so a stalled event loop never delays another row.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import load, servers
from bench.report import Row

FRAGMENTS = 10
SPREADS = 6
PROBE = "{ __typename }"
# A deep introspection walk: what GraphiQL's own query does, nested further through types.
SCHEMA_WALK = (
    "__schema { types { name fields { name args { name type { name ofType { name ofType"
    " { name } } } } type { name fields { name type { name ofType { name } } } } } } }"
)
SIGN_IN_USERS = tuple(f"office_{i:02d}" for i in range(1, 9))
BODY_BYTES = 100 * 1024 * 1024
MB = 1024 * 1024
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class BudgetConfig:
    """Sizes of the budget rows for a full or a quick run."""

    hostile_requests: int
    concurrency: int
    rounds: int
    probe_seconds: float
    probe_interval: float = 0.01
    probe_connections: int = 4
    timeout: float = 30.0
    slow: float = 1.0
    body_bytes: int = BODY_BYTES


def budget_config(quick: bool) -> BudgetConfig:
    """The budget rows' sizes: `make bench-quick` or `make bench`."""
    if quick:
        return BudgetConfig(200, 4, 2, probe_seconds=1.5)
    return BudgetConfig(400, 4, 3, probe_seconds=3.0)


# --- documents -------------------------------------------------------------------------


def tag(number: int, width: int = 3) -> str:
    """A GraphQL name of letters only, distinct for every number below 52**width."""
    letters = []
    for _ in range(width):
        number, digit = divmod(number, len(_LETTERS))
        letters.append(_LETTERS[digit])
    if number:
        raise ValueError("tag number out of range")
    return "".join(reversed(letters))


def fragment_names(number: int, count: int = FRAGMENTS) -> list[str]:
    """Two-character names `<letter><level>`, the letters spelling `number` in base 52.

    Every number below 52**count gives different names at the length of `F0` ... `F9`, so
    each request's document is new to the server's cache and no longer than the attack's.
    """
    names = []
    for level in range(count):
        number, digit = divmod(number, len(_LETTERS))
        names.append(f"{_LETTERS[digit]}{level}")
    if number:
        raise ValueError("document number out of range")
    return names


def fragment_bomb(
    number: int = 0,
    *,
    leaf: str = "__typename",
    alias: bool = False,
    fragments: int = FRAGMENTS,
    spreads: int = SPREADS,
) -> str:
    """An anonymous query whose fragments each spread the next `spreads` times.

    `number` picks the fragment names (see fragment_names), so the text differs per number
    while the shape stays; with `alias`, every fragment selects `a: __typename` too. Expanded
    naively it holds spreads**(fragments - 1) copies of the leaf.
    """
    names = fragment_names(number, fragments)
    lines = [f"query {{ ...{names[0]} }}"]
    for level, name in enumerate(names):
        parts = ["a: __typename"] if alias else []
        if level + 1 < fragments:
            parts += [f"...{names[level + 1]}"] * spreads
        elif not alias or leaf != "__typename":
            parts.append(leaf)
        lines.append(f"fragment {name} on Query {{ {' '.join(parts)} }}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Variant:
    """One hostile document shape; `document(n)` is its n-th distinct text."""

    name: str
    document: Callable[[int], str]


VARIANTS = (
    Variant("spreads", fragment_bomb),
    Variant("aliases", lambda number: fragment_bomb(number, alias=True)),
    Variant("__schema", lambda number: fragment_bomb(number, leaf=SCHEMA_WALK)),
)


def baseline_document(number: int) -> str:
    """`{ __typename }` under an alias of its own, so it is parsed and validated every time."""
    return f"{{ a{tag(number)}: __typename }}"


# --- JSON body ---------------------------------------------------------------------------


def json_body_chunks(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A valid JSON GraphQL body of exactly `total` bytes, in chunks (one block reused)."""
    head = b'{"query": "{ __typename }", "variables": {"pad": "'
    tail = b'"}}'
    pad = total - len(head) - len(tail)
    if pad < 0:
        raise ValueError("body too small")
    yield head
    block = b"x" * chunk
    full, rest = divmod(pad, chunk)
    for _ in range(full):
        yield block
    if rest:
        yield block[:rest]
    yield tail


# --- figures -----------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank, as load.summary)."""
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * share) - 1, 0)]


def ratio(ours: list[float], theirs: list[float], figure: Callable[[list[float]], float]) -> float:
    """figure(ours) / figure(theirs)."""
    return figure(ours) / figure(theirs)


def p95(values: list[float]) -> float:
    """95th percentile."""
    return percentile(values, 0.95)


def proc_status(text: str) -> dict[str, int]:
    """The memory lines of /proc/<pid>/status (`VmRSS`, `VmHWM`, ...) in kB."""
    found = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        parts = value.split()
        if key.startswith("Vm") and len(parts) == 2 and parts[1] == "kB":
            found[key] = int(parts[0])
    return found


def memory(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM and friends of a process, in kB."""
    return proc_status(Path(f"/proc/{pid}/status").read_text())


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux 4.0+); False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class PeakSampler(threading.Thread):
    """Reads a process's VmRSS every few milliseconds, keeping the highest."""

    def __init__(self, pid: int, every: float = 0.002) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak = memory(pid)["VmRSS"]
        self._halt = threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        while not self._halt.is_set():
            try:
                self.peak = max(self.peak, memory(self.pid)["VmRSS"])
            except (OSError, KeyError):
                return
            self._halt.wait(self.every)

    def stop(self) -> int:
        """Stop sampling; the peak VmRSS seen, in kB."""
        self._halt.set()
        self.join()
        return self.peak


# --- requests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One request's outcome: latency, HTTP status (0 when none came) and a short code."""

    seconds: float
    status: int
    code: str

    @property
    def refused(self) -> bool:
        """A clean refusal: a 4xx answer with a GraphQL error."""
        return 400 <= self.status < 500 and self.code not in {"data", "not JSON"}

    @property
    def failed(self) -> bool:
        """No answer, or a server error."""
        return self.status == 0 or self.status >= 500


def outcome(response: httpx.Response) -> str:
    """The first error's `extensions.code` (or its message's start), else `data`."""
    try:
        answer = response.json()
    except ValueError:
        return "not JSON"
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if not errors:
        return "data"
    first = errors[0] if isinstance(errors[0], dict) else {}
    code = (first.get("extensions") or {}).get("code")
    return str(code) if code else "no code: " + str(first.get("message", "?"))[:60]


async def post(http: httpx.AsyncClient, body: dict[str, Any], timeout: float) -> Sample:
    """POST a GraphQL body anonymously and time it; timeouts and dropped connections too."""
    started = time.perf_counter()
    try:
        response = await http.post("/graphql", json=body, timeout=timeout)
    except httpx.TimeoutException:
        return Sample(time.perf_counter() - started, 0, "timeout")
    except httpx.TransportError as exc:
        return Sample(time.perf_counter() - started, 0, f"transport: {type(exc).__name__}")
    return Sample(time.perf_counter() - started, response.status_code, outcome(response))


async def batch(
    http: httpx.AsyncClient,
    documents: Callable[[int], str],
    start: int,
    count: int,
    concurrency: int,
    timeout: float,
) -> list[Sample]:
    """`count` requests of documents(start), documents(start + 1), ... from a few workers."""
    samples: list[Sample] = []
    numbers = iter(range(start, start + count))

    async def worker() -> None:
        for number in numbers:
            samples.append(await post(http, {"query": documents(number)}, timeout))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples


def summary(samples: list[Sample]) -> dict[str, Any]:
    """Raw figures of a set of samples, for results.json."""
    latencies = [s.seconds for s in samples]
    return {
        "requests": len(samples),
        "median_ms": round(statistics.median(latencies) * 1000, 3),
        "p95_ms": round(p95(latencies) * 1000, 3),
        "max_ms": round(max(latencies) * 1000, 3),
        "answers": dict(Counter(f"{s.status} {s.code}" for s in samples)),
    }


# --- the service under test ----------------------------------------------------------------


class Service:
    """The budget rows' own server process and a keep-alive client of it."""

    def __init__(self, database_url: str, connections: int) -> None:
        self.database_url = database_url
        self.connections = connections
        self.restarts = 0
        self.server = servers.start("budget", database_url, {})
        self.http = load.client(self.server.url, connections)

    async def restart(self) -> None:
        """A fresh process: the old one may still be busy with a request that timed out."""
        await self.http.aclose()
        self.server.stop()
        self.server = servers.start("budget", self.database_url, {})
        self.http = load.client(self.server.url, self.connections)
        self.restarts += 1

    async def close(self) -> None:
        """Stop the client and the process."""
        await self.http.aclose()
        self.server.stop()


# --- row 1: hostile documents ------------------------------------------------------------------


@dataclass
class _Side:
    samples: list[Sample] = field(default_factory=list)
    cpu: float = 0.0

    def latencies(self) -> list[float]:
        return [s.seconds for s in self.samples]


async def _timed_batch(
    service: Service, side: _Side, documents: Callable[[int], str], start: int, bc: BudgetConfig
) -> None:
    count = bc.hostile_requests // bc.rounds
    before = service.server.cpu_seconds()
    side.samples += await batch(service.http, documents, start, count, bc.concurrency, bc.timeout)
    side.cpu += service.server.cpu_seconds() - before


async def _warm(service: Service, bc: BudgetConfig) -> None:
    await batch(service.http, baseline_document, 0, 20, 1, bc.timeout)


async def _first_looks(
    service: Service, bc: BudgetConfig, numbers: Iterator[int]
) -> dict[str, Sample]:
    """One request of each variant; a server still busy after a timeout is replaced."""
    first = {}
    for variant in VARIANTS:
        body = {"query": variant.document(next(numbers))}
        first[variant.name] = await post(service.http, body, bc.timeout)
        if first[variant.name].status == 0:
            await service.restart()
            await _warm(service, bc)
    return first


def _variant_figures(
    look: Sample, side: _Side | None, base: _Side
) -> tuple[float, float | None, dict[str, Any], list[Sample]]:
    """Ratio, CPU ratio, raw entry and samples of one variant."""
    theirs = base.latencies()
    entry: dict[str, Any] = {"first": {"ms": round(look.seconds * 1000, 3)}}
    entry["first"]["answer"] = f"{look.status} {look.code}"
    if side is None:
        entry["not_loaded"] = f"first request took {look.seconds:.1f}s: not repeated"
        return look.seconds / statistics.median(theirs), None, entry, [look]
    mine = side.latencies()
    median = ratio(mine, theirs, statistics.median)
    cpu = side.cpu / len(mine)
    entry |= summary(side.samples) | {
        "ratio_median": round(median, 3),
        "ratio_p95": round(ratio(mine, theirs, p95), 3),
        "server_cpu_ms": round(cpu * 1000, 3),
    }
    base_cpu = base.cpu / len(theirs)
    return median, cpu / base_cpu if base_cpu else None, entry, side.samples


async def hostile_row(service: Service, bc: BudgetConfig) -> Row:
    """Worst hostile document's refusal latency over an uncached `{ __typename }`'s.

    Each variant is first sent once (with the per-request timeout): one that takes longer
    than `bc.slow` has failed its goal already and is not repeated. The others are sent
    `hostile_requests` times in rounds interleaved with the baseline.
    """
    raw: dict[str, Any] = {
        "documents": {v.name: len(v.document(0)) for v in VARIANTS},
        "baseline_document": len(baseline_document(0)),
        "timeout_s": bc.timeout,
        "concurrency": bc.concurrency,
        "variants": {},
    }
    numbers = itertools.count(1, bc.hostile_requests // bc.rounds)
    await _warm(service, bc)
    first = await _first_looks(service, bc, numbers)
    base = _Side()
    sides = {v.name: _Side() for v in VARIANTS if first[v.name].seconds <= bc.slow}
    for _ in range(bc.rounds):
        await _timed_batch(service, base, baseline_document, next(numbers), bc)
        for variant in VARIANTS:
            if variant.name in sides:
                side = sides[variant.name]
                await _timed_batch(service, side, variant.document, next(numbers), bc)
    raw["baseline"] = summary(base.samples) | {
        "server_cpu_ms": round(base.cpu / len(base.samples) * 1000, 3)
    }
    ratios, cpu_ratios, notes, every = [], [], [], []
    for variant in VARIANTS:
        look = first[variant.name]
        figure, cpu, entry, samples = _variant_figures(look, sides.get(variant.name), base)
        raw["variants"][variant.name] = entry
        ratios.append(figure)
        if cpu is not None:
            cpu_ratios.append(cpu)
        every += samples
        answers = "/".join(Counter(f"{s.status} {s.code}"[:48] for s in samples))
        if variant.name in sides:
            text = f"{figure:.1f}x (p95 {entry['ratio_p95']:.1f}x)"
        else:
            if look.status == 0:
                text = f">= {figure:.0f}x (timed out after {bc.timeout:.0f}s, server restarted)"
            else:
                text = f"{figure:.0f}x ({look.seconds:.1f}s, not repeated)"
        notes.append(f"{variant.name} {answers} {text}")
    refused = all(s.refused for s in every)
    raw["unanswered"] = sum(s.failed for s in every)
    raw["all_refused"] = refused
    raw["server_restarts"] = service.restarts
    return Row(
        name="hostile documents refused: latency vs { __typename }",
        ratio=max(ratios),
        goal="<= 2.0, all refused",
        met=max(ratios) <= 2.0 and refused,
        cpu_ratio=max(cpu_ratios) if cpu_ratios else None,
        note="; ".join(notes),
        raw=raw,
    )


# --- row 2: sign-ins ---------------------------------------------------------------------------


async def probe(http: httpx.AsyncClient, bc: BudgetConfig) -> list[Sample]:
    """`{ __typename }` every `probe_interval` for `probe_seconds`, timed from when it was due.

    Open loop: a probe is sent on time even while earlier ones still wait (the client has a
    few connections, and time spent waiting for one counts), so a stalled event loop is
    sampled as often as an idle one; a client that waited for each answer before sending
    the next would mostly sample the moments between stalls.
    """
    count = round(bc.probe_seconds / bc.probe_interval)
    start = time.perf_counter()

    async def one(index: int) -> Sample:
        await asyncio.sleep(max(0.0, start + index * bc.probe_interval - time.perf_counter()))
        return await post(http, {"query": PROBE}, bc.timeout)

    return list(await asyncio.gather(*(one(index) for index in range(count))))


SIGN_IN = """
mutation SignIn($username: String!, $password: String!) {
  login(input: {username: $username, password: $password, deviceName: "bench budget"}) {
    token
    errors { code message }
  }
}
"""


def login_outcome(answer: Any) -> str:
    """`token` when a login answer carries one, else its first user error's code."""
    payload = ((answer or {}).get("data") or {}).get("login") or {}
    if payload.get("token"):
        return "token"
    errors = payload.get("errors") or [{}]
    return str(errors[0].get("code") or "no token")


async def sign_in(http: httpx.AsyncClient, username: str, password: str, timeout: float) -> Sample:
    """One `login` mutation with its own timing; its code is `token` when a token came back."""
    body = {"query": SIGN_IN, "variables": {"username": username, "password": password}}
    started = time.perf_counter()
    try:
        response = await http.post("/graphql", json=body, timeout=timeout)
    except httpx.TransportError as exc:
        return Sample(time.perf_counter() - started, 0, f"transport: {type(exc).__name__}")
    seconds = time.perf_counter() - started
    code = outcome(response)
    if code == "data":
        code = login_outcome(response.json())
    return Sample(seconds, response.status_code, code)


async def sign_in_row(service: Service, bc: BudgetConfig, password: str) -> Row:
    """The probe's latency while eight users sign in at once, over its latency idle."""
    url = service.server.url
    async with (
        load.client(url, bc.probe_connections) as prober,
        load.client(url, len(SIGN_IN_USERS)) as signer,
    ):
        # First sign-ins: connections, and any rehash of the seeded hashes, before measuring.
        warm = await asyncio.gather(
            *(sign_in(signer, user, password, bc.timeout) for user in SIGN_IN_USERS)
        )
        await batch(prober, lambda _: PROBE, 0, 20, 1, bc.timeout)
        idle: list[Sample] = []
        busy: list[Sample] = []
        logins: list[Sample] = []
        busy_seconds = busy_cpu = 0.0
        for _ in range(min(bc.rounds, 3)):
            idle += await probe(prober, bc)
            stop = asyncio.Event()

            async def loop(user: str, stop: asyncio.Event = stop) -> None:
                while not stop.is_set():
                    logins.append(await sign_in(signer, user, password, bc.timeout))

            started, cpu = time.perf_counter(), service.server.cpu_seconds()
            tasks = [asyncio.create_task(loop(user)) for user in SIGN_IN_USERS]
            await asyncio.sleep(0.05)
            busy += await probe(prober, bc)
            stop.set()
            await asyncio.gather(*tasks)
            busy_seconds += time.perf_counter() - started
            busy_cpu += service.server.cpu_seconds() - cpu
    idle_ms = [s.seconds for s in idle]
    busy_ms = [s.seconds for s in busy]
    median = ratio(busy_ms, idle_ms, statistics.median)
    tail = ratio(busy_ms, idle_ms, p95)
    codes = Counter(s.code for s in logins)
    tokens = codes.get("token", 0)
    login_latencies = [s.seconds for s in logins] or [0.0]
    raw: dict[str, Any] = {
        "users": list(SIGN_IN_USERS),
        "credentials": "correct password of each seeded office user (no failures throttled)",
        "warm_up_logins": dict(Counter(s.code for s in warm)),
        "idle": summary(idle),
        "during_sign_ins": summary(busy),
        "ratio_median": round(median, 3),
        "ratio_p95": round(tail, 3),
        "logins": {
            "completed": len(logins),
            "answers": dict(codes),
            "per_second": round(len(logins) / busy_seconds, 2) if busy_seconds else None,
            "median_ms": round(statistics.median(login_latencies) * 1000, 1),
            "seconds": round(busy_seconds, 2),
            "server_cpu_per_second": round(busy_cpu / busy_seconds, 2) if busy_seconds else None,
        },
        "unanswered": sum(s.failed for s in idle + busy + logins),
    }
    all_tokens = tokens == len(logins) and len(logins) > 0
    note = (
        f"p95 {tail:.1f}x; probe {raw['idle']['median_ms']:.1f} -> "
        f"{raw['during_sign_ins']['median_ms']:.1f} ms; {len(logins)} sign-ins "
        f"({raw['logins']['per_second']}/s, median {raw['logins']['median_ms']:.0f} ms, "
        f"server CPU {raw['logins']['server_cpu_per_second']} s/s)"
    )
    if not all_tokens:
        note += f"; NOT all signed in: {dict(codes)}"
    return Row(
        name="{ __typename } during 8 sign-ins: latency vs idle",
        ratio=median,
        goal="<= 3.0",
        met=median <= 3.0 and all_tokens,
        note=note,
        raw=raw,
    )


# --- row 3: a huge body ------------------------------------------------------------------------


async def _stream(chunks: Iterator[bytes], sent: list[int]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        sent[0] += len(chunk)
        yield chunk


async def huge_body(service: Service, total: int, with_length: bool) -> dict[str, Any]:
    """POST a `total`-byte JSON body; the server's memory before, at its peak and after."""
    pid = service.server.process.pid
    headers = {"Content-Type": "application/json"}
    if with_length:
        headers["Content-Length"] = str(total)
    async with httpx.AsyncClient(base_url=service.server.url, timeout=60.0) as http:
        await http.post("/graphql", json={"query": PROBE})
        reset = reset_peak(pid)
        before = memory(pid)
        sampler = PeakSampler(pid)
        sampler.start()
        sent = [0]
        started = time.perf_counter()
        try:
            response = await http.post(
                "/graphql", content=_stream(json_body_chunks(total), sent), headers=headers
            )
            answer = f"{response.status_code} {outcome(response)}"
        except httpx.HTTPError as exc:
            answer = f"0 {type(exc).__name__}"
        seconds = time.perf_counter() - started
        sent_at_answer = sent[0]
        await asyncio.sleep(0.3)
        peak = sampler.stop()
        after = memory(pid)
        alive = await post(http, {"query": PROBE}, 10.0)
    peak_kb = max(peak, after.get("VmHWM", 0) if reset else 0)
    return {
        "content_length": with_length,
        "answer": answer,
        "seconds": round(seconds, 3),
        "client_sent_mb": round(sent_at_answer / MB, 2),
        "rss_before_mb": round(before["VmRSS"] / 1024, 2),
        "rss_after_mb": round(after["VmRSS"] / 1024, 2),
        "peak_mb": round(peak_kb / 1024, 2),
        "hwm_reset": reset,
        "growth_mb": round(max(peak_kb, after["VmRSS"]) / 1024 - before["VmRSS"] / 1024, 2),
        "answers_afterwards": f"{alive.status} {alive.code}",
    }


async def body_row(service: Service, bc: BudgetConfig) -> Row:
    """RSS growth while a 100 MB JSON body is refused, with and without Content-Length."""
    cases = [await huge_body(service, bc.body_bytes, length) for length in (True, False)]
    growth = max(case["growth_mb"] for case in cases)
    refused = all(case["answer"].startswith("413") for case in cases)
    notes = [
        f"{'length' if case['content_length'] else 'chunked'}: {case['answer']} in "
        f"{case['seconds']:.2f}s, +{case['growth_mb']:.1f} MB "
        f"(client wrote {case['client_sent_mb']:.0f} MB first)"
        for case in cases
    ]
    raw = {"body_bytes": bc.body_bytes, "cases": cases}
    raw["unanswered"] = sum(case["answer"].startswith(("0 ", "5")) for case in cases)
    return Row(
        name=f"{bc.body_bytes // MB} MB JSON body refused: server RSS growth (MB)",
        ratio=growth,
        goal="< 5 MB, 413",
        met=growth < 5 and refused,
        note="; ".join(notes),
        raw=raw,
    )


async def rows(database_url: str, quick: bool, password: str) -> list[Row]:
    """The three budget rows, against a server process of their own."""
    bc = budget_config(quick)
    service = Service(database_url, bc.concurrency)
    try:
        found = [await hostile_row(service, bc)]
        print(f"  {found[-1].name}: done", flush=True)
        found.append(await sign_in_row(service, bc, password))
        print(f"  {found[-1].name}: done", flush=True)
        found.append(await body_row(service, bc))
    finally:
        await service.close()
    return found
