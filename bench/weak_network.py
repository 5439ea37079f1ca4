"""Weak-network figures: bytes on the wire, a poll with nothing changed, a day's catch-up.

Measured for the busy site manager of the scale data (20 projects), against real uvicorn
processes serving a scratch copy of the bench database (the day's writes never touch the
bench database itself, so every run starts from the same data):

1. the home screen (`bench.queries.HOME`, first 20): its answer's JSON bytes, and the bytes of
   its body as sent with `Accept-Encoding: gzip` (counted as they arrive), plus the answer's
   head (status line and headers); the request's bytes (request line, headers, body) with the
   document's text and as an automatic persisted query (the hash alone), over GET and POST;
2. a home-screen poll with nothing changed (the hash-only GET with `If-None-Match`, answered
   304 without running the query) against the full home screen (the same GET without it):
   server CPU per request, in interleaved rounds, the median of their ratios (goal <= 0.1);
3. a day's catch-up: a full sync (`changes` with `bench.queries.SYNC`, pages until `hasMore`
   is false) gives a token; a day of writes (`day_of_writes`) happens through the API as the
   site manager, the office, a coordinator and a supervisor would make them; `changes(since:)`
   from the token is then paged to the end: pages, upserts, tombstones, raw and gzipped bytes,
   SQL statements per page (from a counting server, `bench.sqlcount`). The full sync's size is
   printed alongside.

`make bench` adds the poll's row to its table and these figures below it; `python -m bench
--only weak-network [--quick]` runs this section alone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import hashlib
import io
import json
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from PIL import Image

from bench import database, queries, servers
from bench.app import BASELINES_ENV, COUNT_SQL_ENV
from bench.config import Config
from bench.report import Row
from bench.signin import login
from bench.sqlcount import HEADER
from server.demo.scale import BUSY_SITE_MANAGER, SUPERVISOR
from server.domain.clock import zone_today
from server.settings import Settings

GOAL = 0.1
"""CPU of a poll answered 304 over the full home screen's, at most."""
HOME_FIRST = 20
OFFICE_USER = "office_01"
COORDINATOR = "coordinator_01"
SCRATCH_SUFFIX = "_weak_network"
MAX_PAGES = 10_000
"""A sync that has not ended after this many pages is reported as broken."""
BOUNDARY = "----wallchartweaknetwork5sGbP2"

# The day's writes (see `day_of_writes`).
MILESTONES_COMPLETED = 3
TICKETS_FILED = 3
REVIEWS_ASKED = 2
NOTIFICATIONS_READ = 2
PROJECTS_HANDED_AWAY = 1

UPLOAD = """
mutation Upload($input: UploadPhotoInput!) {
  uploadPhoto(input: $input) { photo { id } errors { code message } }
}"""
FILE_REPORT = """
mutation File($input: FileDailyReportInput!) {
  fileDailyReport(input: $input) { dailyReport { id } errors { code message } }
}"""
COMPLETE = """
mutation Complete($input: CompleteMilestoneInput!) {
  completeMilestone(input: $input) { milestone { id } errors { code message } }
}"""
CREATE_TICKET = """
mutation Ticket($input: CreateShortageTicketInput!) {
  createShortageTicket(input: $input) { ticket { id } errors { code message } }
}"""
TRANSITION = """
mutation Step($input: TransitionTicketInput!) {
  transitionTicket(input: $input) { ticket { id status } errors { code message } }
}"""
REVIEW = """
mutation Review($input: ReviewMilestoneInput!) {
  reviewMilestone(input: $input) { review { id } errors { code message } }
}"""
RESPOND = """
mutation Respond($input: RespondToReviewInput!) {
  respondToReview(input: $input) { review { id } errors { code message } }
}"""
MARK_READ = """
mutation Read($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) { notifications { id } errors { code message } }
}"""
HAND_AWAY = """
mutation Managers($input: SetProjectSiteManagersInput!) {
  setProjectSiteManagers(input: $input) { project { id } errors { code message } }
}"""
ME_ID = "query MeId { me { id } }"
UNREAD = "query Unread { notifications(first: 20, unreadOnly: true) { edges { node { id } } } }"


@dataclass(frozen=True)
class Team:
    """Bearer tokens of the people whose day it is, and the ids the writes name."""

    site: str
    office: str
    coordinator: str
    supervisor: str
    site_id: str
    coordinator_id: str


@dataclass
class Fetched:
    """One answer as it came over the wire."""

    status: int
    head_bytes: int
    body_bytes: int
    """Bytes of the body as sent (gzipped when the server gzipped it)."""
    body: bytes
    """The body decoded."""
    headers: httpx.Headers
    statements: int | None

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class SyncRun:
    """A `changes` run paged to its end, with what each page cost on the wire."""

    pages: int = 0
    upserts: list[dict[str, Any]] = field(default_factory=list)
    tombstones: list[dict[str, Any]] = field(default_factory=list)
    raw_bytes: int = 0
    gzip_bytes: int = 0
    statements: list[int | None] = field(default_factory=list)
    token: str | None = None

    def summary(self) -> dict[str, Any]:
        """The figures of the run, for results.json."""
        counted = [count for count in self.statements if count is not None]
        return {
            "pages": self.pages,
            "upserts": len(self.upserts),
            "upserts_by_type": dict(Counter(u["__typename"] for u in self.upserts)),
            "tombstones": len(self.tombstones),
            "tombstones_by_reason": dict(Counter(t["reason"] for t in self.tombstones)),
            "raw_bytes": self.raw_bytes,
            "gzip_bytes": self.gzip_bytes,
            "statements_per_page": counted,
            "statements_median": statistics.median(counted) if counted else None,
            "statements_max": max(counted) if counted else None,
        }


def request_bytes(request: httpx.Request) -> int:
    """Bytes of an HTTP/1.1 request: request line, headers, blank line, body."""
    line = f"{request.method} {request.url.raw_path.decode()} HTTP/1.1\r\n"
    head = sum(len(name) + len(value) + 4 for name, value in request.headers.raw)
    return len(line.encode()) + head + 2 + len(request.content)


def head_bytes(response: httpx.Response) -> int:
    """Bytes of an HTTP/1.1 answer's status line and headers."""
    line = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
    return len(line.encode()) + sum(len(n) + len(v) + 4 for n, v in response.headers.raw) + 2


async def fetch(http: httpx.AsyncClient, request: httpx.Request) -> Fetched:
    """Send `request`; the answer, with its body's bytes counted as they came over the wire."""
    response = await http.send(request, stream=True)
    try:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    finally:
        await response.aclose()
    gzipped = response.headers.get("content-encoding", "").lower() == "gzip"
    count = response.headers.get(HEADER.decode())
    return Fetched(
        status=response.status_code,
        head_bytes=head_bytes(response),
        body_bytes=len(raw),
        body=gzip.decompress(raw) if gzipped else raw,
        headers=response.headers,
        statements=int(count) if count is not None else None,
    )


def encoding(gzipped: bool) -> dict[str, str]:
    """The Accept-Encoding header of a client that does or does not take gzip."""
    return {"Accept-Encoding": "gzip" if gzipped else "identity"}


def post(
    http: httpx.AsyncClient, token: str, body: dict[str, Any], *, gzipped: bool = True
) -> httpx.Request:
    """A GraphQL POST as the phone sends it."""
    headers = {"Authorization": f"Bearer {token}", **encoding(gzipped)}
    return http.build_request("POST", "/graphql", json=body, headers=headers)


def get(
    http: httpx.AsyncClient,
    token: str,
    body: dict[str, Any],
    *,
    gzipped: bool = True,
    etag: str | None = None,
) -> httpx.Request:
    """A GraphQL GET (members as query parameters, objects as JSON), perhaps conditional."""
    params = {
        name: value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        for name, value in body.items()
    }
    headers = {"Authorization": f"Bearer {token}", **encoding(gzipped)}
    if etag is not None:
        headers["If-None-Match"] = etag
    return http.build_request("GET", "/graphql", params=params, headers=headers)


def persisted(query: str) -> dict[str, Any]:
    """The `extensions` member naming `query` by its SHA-256 (Apollo's persisted queries)."""
    digest = hashlib.sha256(query.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def graphql(
    http: httpx.AsyncClient, token: str, query: str, **variables: Any
) -> dict[str, Any]:
    """A GraphQL POST's `data`; a RuntimeError on errors."""
    answer = await fetch(http, post(http, token, {"query": query, "variables": variables}))
    payload = answer.json()
    if answer.status != 200 or payload.get("errors"):
        raise RuntimeError(f"{query.split('(')[0].strip()}: {answer.status} {payload}")
    return payload["data"]


async def mutate(
    http: httpx.AsyncClient, token: str, query: str, tally: Counter[str], what: str, **input_: Any
) -> dict[str, Any] | None:
    """Run a mutation with `input`; its payload when it succeeded, else None (tallied)."""
    data = await graphql(http, token, query, input=input_)
    payload = next(iter(data.values()))
    if payload["errors"]:
        tally[f"{what} refused ({payload['errors'][0]['code']})"] += 1
        return None
    tally[what] += 1
    return payload


async def team(http: httpx.AsyncClient, password: str) -> Team:
    """Sign in the site manager, the office, a coordinator and a supervisor."""
    site = await login(http, BUSY_SITE_MANAGER, password)
    coordinator = await login(http, COORDINATOR, password)
    return Team(
        site=site,
        office=await login(http, OFFICE_USER, password),
        coordinator=coordinator,
        supervisor=await login(http, SUPERVISOR, password),
        site_id=(await graphql(http, site, ME_ID))["me"]["id"],
        coordinator_id=(await graphql(http, coordinator, ME_ID))["me"]["id"],
    )


# --- 1. bytes of the home screen ----------------------------------------------------------------


async def home_sizes(http: httpx.AsyncClient, token: str) -> dict[str, Any]:
    """The home screen's answer, raw and gzipped, and its request with the text and the hash."""
    variables = {"first": HOME_FIRST}
    full = {"query": queries.HOME, "variables": variables}
    hashed = {"variables": variables, "extensions": persisted(queries.HOME)}
    raw = await fetch(http, post(http, token, full, gzipped=False))
    zipped = await fetch(http, post(http, token, full))
    if raw.status != 200 or raw.json().get("errors"):
        raise RuntimeError(f"home screen: {raw.status} {raw.body[:300]!r}")
    unknown = (await fetch(http, get(http, token, hashed))).json()
    learned = await fetch(http, get(http, token, {**full, **hashed}))
    by_hash = await fetch(http, get(http, token, hashed))
    if by_hash.status != 200 or by_hash.json().get("errors"):
        raise RuntimeError(f"home screen by hash: {by_hash.status} {by_hash.body[:300]!r}")
    projects = raw.json()["data"]["me"]["projects"]["edges"]
    return {
        "projects": len(projects),
        "milestones": sum(len(p["node"]["milestones"]["edges"]) for p in projects),
        "answer_json_bytes": raw.body_bytes,
        "answer_gzip_bytes": zipped.body_bytes,
        "answer_gzipped": zipped.headers.get("content-encoding") == "gzip",
        "answer_head_bytes": zipped.head_bytes,
        "same_answer_by_hash": _without_extensions(by_hash.json())
        == _without_extensions(raw.json()),
        "unknown_hash_answer": [e.get("message") for e in unknown.get("errors", [])],
        "learned_status": learned.status,
        "request_bytes": {
            "get_text": request_bytes(get(http, token, full)),
            "get_hash": request_bytes(get(http, token, hashed)),
            "post_text": request_bytes(post(http, token, full)),
            "post_hash": request_bytes(post(http, token, hashed)),
        },
        "document_chars": len(queries.HOME),
    }


def _without_extensions(answer: Any) -> Any:
    return {key: value for key, value in answer.items() if key != "extensions"}


# --- 2. a poll with nothing changed -------------------------------------------------------------


async def _timed(
    http: httpx.AsyncClient,
    build: Callable[[], httpx.Request],
    expect: int,
    cpu: Callable[[], float],
    seconds: float,
    concurrency: int,
) -> dict[str, Any]:
    """Send the request from `concurrency` workers for `seconds`: requests, unexpected
    answers, and the server CPU (`cpu`, seconds so far) per request."""
    sent = unexpected = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal sent, unexpected
        while time.perf_counter() < deadline:
            response = await http.send(build())
            sent += 1
            if response.status_code != expect:
                unexpected += 1

    before = cpu()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    spent = cpu() - before
    return {"requests": sent, "unexpected": unexpected, "cpu_ms": spent * 1000 / max(sent, 1)}


async def poll_cpu(
    http: httpx.AsyncClient,
    token: str,
    cpu: Callable[[], float],
    *,
    rounds: int,
    seconds: float,
    concurrency: int,
    floor: str | None = None,
) -> dict[str, Any]:
    """Server CPU per request of a home-screen poll answered 304 over the full home screen.

    Both are the hash-only GET of the home screen a phone sends; the poll carries the ETag of
    the previous answer in If-None-Match. Rounds alternate; the ratio is the median of theirs.
    `floor`, a bare route (`bench.baselines`), is timed too: what any request with a token
    lookup costs the server, below which no poll can go.
    """
    hashed = {"variables": {"first": HOME_FIRST}, "extensions": persisted(queries.HOME)}
    first = await fetch(http, get(http, token, hashed))
    etag = first.headers.get("etag")
    raw: dict[str, Any] = {
        "etag": etag,
        "cache_control": first.headers.get("cache-control"),
        "rounds": [],
    }
    if first.status != 200 or etag is None:
        raw["error"] = f"the home screen GET answered {first.status} without an ETag"
        return raw
    check = await fetch(http, get(http, token, hashed, etag=etag))
    raw["poll_status"] = check.status
    raw["poll_head_bytes"] = check.head_bytes
    raw["poll_body_bytes"] = check.body_bytes
    if check.status != 304:
        raw["error"] = f"the poll answered {check.status}, not 304"
        return raw
    auth = {"Authorization": f"Bearer {token}"}
    ratios = []
    for _ in range(rounds):
        full = await _timed(http, lambda: get(http, token, hashed), 200, cpu, seconds, concurrency)
        poll = await _timed(
            http, lambda: get(http, token, hashed, etag=etag), 304, cpu, seconds, concurrency
        )
        raw["rounds"].append({"full": full, "poll": poll})
        if floor is not None:
            raw["rounds"][-1]["floor"] = await _timed(
                http,
                lambda: http.build_request("GET", floor, headers=auth),
                200,
                cpu,
                seconds,
                concurrency,
            )
        if full["cpu_ms"] > 0:
            ratios.append(poll["cpu_ms"] / full["cpu_ms"])
    raw["unexpected"] = sum(
        r["full"]["unexpected"] + r["poll"]["unexpected"] for r in raw["rounds"]
    )
    raw["full_cpu_ms"] = statistics.median(r["full"]["cpu_ms"] for r in raw["rounds"])
    raw["poll_cpu_ms"] = statistics.median(r["poll"]["cpu_ms"] for r in raw["rounds"])
    raw["cpu_ratio"] = statistics.median(ratios) if ratios else None
    if floor is not None:
        raw["floor"] = floor
        raw["floor_cpu_ms"] = statistics.median(r["floor"]["cpu_ms"] for r in raw["rounds"])
    return raw


def poll_row(raw: dict[str, Any]) -> Row:
    """The table row of the poll: its CPU per request over the full home screen's."""
    ratio = raw.get("cpu_ratio")
    if ratio is None:
        note = f"not measured: {raw.get('error', 'no CPU time counted')}"
    else:
        note = (
            f"server CPU {raw['poll_cpu_ms']:.2f} ms (304) vs {raw['full_cpu_ms']:.2f} ms "
            f"(200); hash-only GET; {raw['unexpected']} unexpected answers"
        )
        if "floor_cpu_ms" in raw:
            note += f"; bare {raw['floor']} {raw['floor_cpu_ms']:.2f} ms"
    return Row(
        name="home-screen poll, nothing changed (304): CPU",
        ratio=ratio,
        goal=f"<= {GOAL}",
        met=None if ratio is None else ratio <= GOAL and raw["unexpected"] == 0,
        cpu_ratio=ratio,
        note=note,
        raw=raw,
    )


# --- 3. a day's catch-up ------------------------------------------------------------------------


async def sync(http: httpx.AsyncClient, token: str, since: str | None = None) -> SyncRun:
    """Page `changes` from `since` (none: the whole working set) until `hasMore` is false.

    Each page is asked twice, without and with gzip: the same page (a read), its raw and its
    gzipped bytes on the wire; the statements come from a counting server's header.
    """
    run = SyncRun(token=since)
    while True:
        body = {"query": queries.SYNC, "variables": {"since": run.token}}
        raw = await fetch(http, post(http, token, body, gzipped=False))
        zipped = await fetch(http, post(http, token, body))
        answer = raw.json()
        if raw.status != 200 or answer.get("errors"):
            raise RuntimeError(f"changes: {raw.status} {raw.body[:300]!r}")
        if _without_extensions(zipped.json()) != _without_extensions(answer):
            raise RuntimeError("changes answered two different pages for one token")
        page = answer["data"]["changes"]
        run.pages += 1
        run.upserts += page["upserts"]
        run.tombstones += page["tombstones"]
        run.raw_bytes += raw.body_bytes
        run.gzip_bytes += zipped.body_bytes
        run.statements.append(raw.statements)
        run.token = page["nextToken"]
        if not page["hasMore"]:
            return run
        if run.pages >= MAX_PAGES:
            raise RuntimeError(f"changes did not end after {MAX_PAGES} pages")


def small_jpeg(seed: int) -> bytes:
    """A small photo-like JPEG (640 x 480), the same bytes for the same seed."""
    radial = Image.radial_gradient("L").resize((640, 480))
    linear = Image.linear_gradient("L").rotate(seed * 41 % 360).resize((640, 480))
    image = Image.merge("RGB", (radial, linear, Image.blend(radial, linear, 0.5)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


async def upload(
    http: httpx.AsyncClient, token: str, project_id: str, caption: str, seed: int
) -> str | None:
    """Upload a photo with a caption as the phone does (multipart); its id."""
    operations = json.dumps(
        {
            "query": UPLOAD,
            "variables": {"input": {"projectId": project_id, "file": None, "caption": caption}},
        }
    )
    body = b"".join(
        [
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
            f"{operations}\r\n".encode(),
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
            '{"1": ["variables.input.file"]}\r\n'.encode(),
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="1"; '
            f'filename="IMG_{seed:04d}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode(),
            small_jpeg(seed),
            f"\r\n--{BOUNDARY}--\r\n".encode(),
        ]
    )
    headers = {
        "Authorization": f"Bearer {token}",
        "Apollo-Require-Preflight": "true",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    }
    response = await http.post("/graphql", content=body, headers=headers)
    payload = response.json()
    if response.status_code != 200 or payload.get("errors"):
        raise RuntimeError(f"uploadPhoto: {response.status_code} {payload}")
    result = payload["data"]["uploadPhoto"]
    return None if result["errors"] else result["photo"]["id"]


def _of(run: SyncRun, typename: str) -> list[dict[str, Any]]:
    return [u for u in run.upserts if u["__typename"] == typename]


async def day_of_writes(
    http: httpx.AsyncClient, people: Team, working_set: SyncRun, today: dt.date
) -> dict[str, int]:
    """A busy site manager's day on their projects, through the API; what was done, by kind.

    Chosen from what the phone's full sync holds, in its order (so the same on the same data):
    - the site manager files today's daily report for every project under construction;
    - uploads four photos with captions: three as proof of the three open milestones planned
      earliest (under construction), which they complete today, one with a new ticket;
    - files three tickets (labour, material, labour) on the first three projects under
      construction; the office accepts the first and assigns all three to a coordinator, who
      starts two and resolves the first; the site manager confirms it (closed);
    - a supervisor asks for two reviews of open milestones, the site manager answers one;
    - the site manager reads two of their unread notifications (the newest, which the
      day's steps sent them);
    - the office hands one project (the last of the working set) to its other managers: it
      must leave the phone as tombstones.
    """
    done: Counter[str] = Counter()
    projects = _of(working_set, "Project")
    building = [p for p in projects if p["projectStatus"] == "UNDER_CONSTRUCTION"]
    building_ids = {p["id"] for p in building}
    for number, project in enumerate(building):
        await mutate(
            http,
            people.site,
            FILE_REPORT,
            done,
            "daily reports filed",
            projectId=project["id"],
            date=today.isoformat(),
            weather="CLOUDY",
            workforce=[
                {"trade": "REBAR", "needed": 8, "onSite": 7 + number % 2},
                {"trade": "CONCRETE", "needed": 5, "onSite": 5},
            ],
            workDone=f"第{number + 1}段 钢筋绑扎、模板支设",
            problems=None,
            idempotencyKey=f"bench-report-{number}",
        )
    open_milestones = sorted(
        (
            m
            for m in _of(working_set, "Milestone")
            if m["milestoneStatus"] != "DONE"
            and m["project"]["id"] in building_ids
            and m["plannedDate"] <= today.isoformat()
        ),
        key=lambda m: m["plannedDate"],
    )
    completed: set[str] = set()
    for milestone in open_milestones:
        if len(completed) == MILESTONES_COMPLETED:
            break
        project_id = milestone["project"]["id"]
        photo = await upload(
            http, people.site, project_id, f"{milestone['title']} 完成", len(completed)
        )
        done["photos uploaded"] += photo is not None
        result = await mutate(
            http,
            people.site,
            COMPLETE,
            done,
            "milestones completed",
            milestoneId=milestone["id"],
            actualDate=today.isoformat(),
            photoIds=[photo] if photo else [],
            note="按计划完成",
        )
        if result is not None:
            completed.add(milestone["id"])
    tickets = []
    kinds = [
        {"kind": "LABOUR", "title": "钢筋工不足", "trade": "REBAR", "headcount": 6},
        {
            "kind": "MATERIAL",
            "title": "商品混凝土断供",
            "material": "C30 混凝土",
            "quantity": "40",
            "unit": "m³",
        },
        {"kind": "LABOUR", "title": "木工不足", "trade": "FORMWORK", "headcount": 4},
    ]
    for number, (project, kind) in enumerate(zip(building, kinds[:TICKETS_FILED], strict=False)):
        photos = []
        if number == 0:
            photo = await upload(http, people.site, project["id"], "缺工现场", 9)
            done["photos uploaded"] += photo is not None
            photos = [photo] if photo else []
        result = await mutate(
            http,
            people.site,
            CREATE_TICKET,
            done,
            "tickets filed",
            projectId=project["id"],
            severity="HIGH",
            neededBy=today.isoformat(),
            photoIds=photos,
            idempotencyKey=f"bench-ticket-{number}",
            **kind,
        )
        if result is not None:
            tickets.append(result["ticket"]["id"])
    steps = [
        (people.office, tickets[:1], {"action": "ACCEPT"}),
        (people.office, tickets, {"action": "ASSIGN", "assigneeId": people.coordinator_id}),
        (people.coordinator, tickets[:2], {"action": "START"}),
        (people.coordinator, tickets[:1], {"action": "RESOLVE", "note": "已调配班组到场"}),
        (people.site, tickets[:1], {"action": "CONFIRM", "satisfaction": 4}),
    ]
    for who, which, step in steps:
        for ticket in which:
            await mutate(http, who, TRANSITION, done, "ticket steps taken", ticketId=ticket, **step)
    reviewed = [m for m in open_milestones if m["id"] not in completed][:REVIEWS_ASKED]
    reviews = []
    for milestone in reviewed:
        result = await mutate(
            http,
            people.supervisor,
            REVIEW,
            done,
            "reviews asked",
            milestoneId=milestone["id"],
            instruction="请说明进度滞后原因及赶工措施",
            respondBy=(today + dt.timedelta(days=3)).isoformat(),
        )
        if result is not None:
            reviews.append(result["review"]["id"])
    for review in reviews[:1]:
        await mutate(
            http,
            people.site,
            RESPOND,
            done,
            "reviews answered",
            reviewId=review,
            response="已增加夜班，预计两周内追回",
        )
    edges = (await graphql(http, people.site, UNREAD))["notifications"]["edges"]
    unread = [edge["node"]["id"] for edge in edges]
    if unread[:NOTIFICATIONS_READ]:
        await mutate(
            http,
            people.site,
            MARK_READ,
            done,
            "notification reads",
            ids=unread[:NOTIFICATIONS_READ],
        )
    for project in projects[len(projects) - PROJECTS_HANDED_AWAY :]:
        others = [m["id"] for m in project["siteManagers"] if m["id"] != people.site_id]
        await mutate(
            http,
            people.office,
            HAND_AWAY,
            done,
            "projects handed away",
            projectId=project["id"],
            userIds=others,
        )
    return dict(done)


# --- the section --------------------------------------------------------------------------------


class Stopwatch:
    """Seconds of each part of a run, for results.json."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.started = time.perf_counter()

    def lap(self, name: str) -> None:
        """Note the seconds since the last lap under `name`."""
        now = time.perf_counter()
        self.laps[name] = round(now - self.started, 1)
        self.started = now


@dataclass(frozen=True)
class Plan:
    """How long the poll's timed rounds are."""

    rounds: int
    seconds: float
    concurrency: int


async def figures(
    http: httpx.AsyncClient,
    counter: httpx.AsyncClient,
    cpu: Callable[[], float],
    settings: Settings,
    plan: Plan,
    floor: str | None = None,
) -> dict[str, Any]:
    """Every figure of the section: `http` is the timed server (its CPU: `cpu`), `counter`
    the server counting statements (the same database)."""
    clock = Stopwatch()
    people = await team(http, settings.demo_password)
    found: dict[str, Any] = {"home": await home_sizes(http, people.site)}
    found["poll"] = await poll_cpu(
        http,
        people.site,
        cpu,
        rounds=plan.rounds,
        seconds=plan.seconds,
        concurrency=plan.concurrency,
        floor=floor,
    )
    clock.lap("sign-ins, home screen, poll")
    working_set = await sync(counter, people.site)
    found["full_sync"] = working_set.summary()
    clock.lap("full sync")
    found["writes"] = await day_of_writes(http, people, working_set, zone_today(settings.zone))
    clock.lap("writes")
    found["catch_up"] = (await sync(counter, people.site, working_set.token)).summary()
    clock.lap("catch-up")
    found["part_seconds"] = clock.laps
    return found


def _kb(count: int) -> str:
    return f"{count / 1024:.1f} kB"


def lines(found: dict[str, Any]) -> str:
    """The section's figures as text."""
    home, poll = found["home"], found["poll"]
    sent = home["request_bytes"]
    out = [
        f"home screen ({home['projects']} projects, {home['milestones']} milestones), busy site "
        f"manager: answer {_kb(home['answer_json_bytes'])} JSON, "
        f"{_kb(home['answer_gzip_bytes'])} gzipped on the wire"
        f"{'' if home['answer_gzipped'] else ' (NOT gzipped)'} "
        f"(+ {home['answer_head_bytes']} B of status line and headers)",
        f"home screen request, text vs persisted-query hash: GET {sent['get_text']} B -> "
        f"{sent['get_hash']} B (saves {sent['get_text'] - sent['get_hash']} B), POST "
        f"{sent['post_text']} B -> {sent['post_hash']} B; by hash same answer: "
        f"{'yes' if home['same_answer_by_hash'] else 'NO'}",
    ]
    if poll.get("cpu_ratio") is not None:
        out.append(
            f"home-screen poll with nothing changed (If-None-Match -> 304, "
            f"{poll['poll_head_bytes']} B head, {poll['poll_body_bytes']} B body): server CPU "
            f"{poll['poll_cpu_ms']:.2f} ms vs full home screen {poll['full_cpu_ms']:.2f} ms -> "
            f"ratio {poll['cpu_ratio']:.3f} (goal <= {GOAL})"
        )
        if "floor_cpu_ms" in poll:
            out[-1] += (
                f"; a bare route with a token lookup ({poll['floor']}): "
                f"{poll['floor_cpu_ms']:.2f} ms"
            )
    else:
        out.append(f"home-screen poll: not measured: {poll.get('error')}")
    for name, label in (("full_sync", "full sync (working set)"), ("catch_up", "day's catch-up")):
        run = found[name]
        median = run["statements_median"]
        out.append(
            f"{label}: {run['pages']} pages, {run['upserts']} upserts, {run['tombstones']} "
            f"tombstones, {_kb(run['raw_bytes'])} JSON, {_kb(run['gzip_bytes'])} gzipped; "
            f"SQL statements per page: median {median if median is not None else 'n/a'}, "
            f"max {run['statements_max'] if run['statements_max'] is not None else 'n/a'}"
        )
    writes = ", ".join(f"{count} {what}" for what, count in found["writes"].items())
    out.append(f"the day's writes: {writes}")
    catch_up = found["catch_up"]
    kinds = ", ".join(f"{n} {t}" for t, n in sorted(catch_up["upserts_by_type"].items()))
    gone = ", ".join(f"{n} {r}" for r, n in sorted(catch_up["tombstones_by_reason"].items()))
    out.append(f"catch-up upserts: {kinds}; tombstones: {gone or 'none'}")
    return "\n".join(out)


async def scratch_copy(url: str) -> str:
    """A fresh copy of the bench database for the day's writes; its URL."""
    if database.is_sqlite(url):
        source = Path(url.removeprefix("sqlite://"))
        target = source.with_name(source.stem + SCRATCH_SUFFIX + source.suffix)
        for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            stale.unlink(missing_ok=True)
        with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
            original.backup(copy)
        return f"sqlite://{target}"
    name = database.database_name(url)
    copy = name + SCRATCH_SUFFIX
    maintenance = database.connection_url(url).rsplit("/", 1)[0] + "/postgres"
    connection = await asyncpg.connect(maintenance)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}" STRATEGY FILE_COPY')
    finally:
        await connection.close()
    return url.rsplit("/", 1)[0] + "/" + copy + ("?" + url.split("?", 1)[1] if "?" in url else "")


async def drop_copy(url: str) -> None:
    """Remove the scratch copy."""
    if database.is_sqlite(url):
        path = Path(url.removeprefix("sqlite://"))
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        return
    maintenance = database.connection_url(url).rsplit("/", 1)[0] + "/postgres"
    connection = await asyncpg.connect(maintenance)
    try:
        name = database.database_name(url)
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def measure(cfg: Config, settings: Settings) -> tuple[Row, dict[str, Any]]:
    """Copy the bench database, serve the copy (timed and counting), measure, clean up."""
    print("weak-network figures: home screen bytes, a 304 poll, a day's catch-up ...", flush=True)
    started = time.perf_counter()
    url = await scratch_copy(cfg.database_url)
    copied = round(time.perf_counter() - started, 1)
    media = tempfile.mkdtemp(prefix="wallchart-weak-network-")
    env = {"WALLCHART_MEDIA_ROOT": media}
    try:
        main = servers.start("weak-network", url, {**env, BASELINES_ENV: "1"})
        counting = servers.start("weak-network-counting", url, {**env, COUNT_SQL_ENV: "1"})
        try:
            async with (
                httpx.AsyncClient(base_url=main.url, timeout=120) as http,
                httpx.AsyncClient(base_url=counting.url, timeout=120) as counter,
            ):
                plan = Plan(cfg.rounds, cfg.seconds / 2, min(cfg.concurrency, 4))
                found = await figures(
                    http, counter, main.cpu_seconds, settings, plan, floor="/bench/me"
                )
        finally:
            for server in (main, counting):
                server.stop()
    finally:
        await drop_copy(url)
        shutil.rmtree(media, ignore_errors=True)
    found["seconds"] = round(time.perf_counter() - started, 1)
    found["part_seconds"]["copy of the bench database"] = copied
    found["text"] = lines(found)
    return poll_row(found["poll"]), found
