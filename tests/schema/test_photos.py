"""uploadPhoto, photo lists and signed photo URLs, through the HTTP endpoint."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from tortoise import connections

from schema.relay import global_id
from server.domain.clock import utc_now
from server.domain.models import (
    AuditEntry,
    DailyReport,
    IdempotencyRecord,
    Milestone,
    Photo,
    Project,
    Role,
    ShortageTicket,
)
from server.settings import Settings
from tests import factories
from tests.conftest import BACKEND
from tests.images import RED, exif_block, heic_bytes, jpeg_bytes, png_declaring
from tests.ticket_helpers import make_ticket
from tests.uploads import upload_photo

SITE = (31.2304, 121.4737)


@pytest.fixture
async def project(site_manager: Any) -> Project:
    """A project with a site location, managed by `site_manager`."""
    created = await Project.create(
        code="P-1",
        name="Riverside school",
        responsible_unit="Education bureau",
        latitude=SITE[0],
        longitude=SITE[1],
        site_radius_meters=300,
    )
    await created.site_managers.add(site_manager.user)
    return created


def gid(type_name: str, pk: int) -> str:
    from schema.relay import global_id

    return global_id(type_name, pk)


def stored_files(media_root: Path) -> set[Path]:
    return {p for p in media_root.rglob("*") if p.is_file()}


async def fetch(client: httpx.AsyncClient, url: str, **headers: str) -> httpx.Response:
    parts = urlsplit(url)
    return await client.get(f"{parts.path}?{parts.query}", headers=headers)


async def test_site_manager_uploads_a_phone_photo(
    client: httpx.AsyncClient, site_manager: Any, project: Project, media_root: Path
) -> None:
    exif = exif_block(
        orientation=6, taken="2020:02:20 09:15:00", offset="+08:00", gps=(31.2310, 121.4740)
    )
    data = jpeg_bytes((2400, 1200), exif)
    payload = await upload_photo(
        client,
        site_manager,
        data,
        filename="evil.php",
        content_type="application/x-php",
        projectId=gid("Project", project.id),
        caption="Foundation poured",
    )
    assert payload["errors"] == []
    photo = payload["photo"]
    assert (photo["width"], photo["height"]) == (1200, 2400)
    assert photo["contentType"] == "image/jpeg"
    assert photo["byteSize"] == len(data)
    assert photo["takenAt"] == "2020-02-20T09:15:00+08:00"
    assert photo["onSite"] is True
    assert photo["location"]["latitude"] == pytest.approx(31.2310, abs=1e-4)
    assert photo["caption"] == "Foundation poured"
    row = await Photo.get(sha256=photo["sha256"])
    assert await AuditEntry.filter(action="uploadPhoto", object_id=str(row.id)).exists()

    large = await fetch(client, photo["url"])
    assert large.status_code == 200
    assert large.headers["content-type"] == "image/jpeg"
    assert large.headers["etag"] == f'"{photo["sha256"]}-large"'
    assert "max-age" in large.headers["cache-control"]
    assert large.headers["x-content-type-options"] == "nosniff"
    image = Image.open(io.BytesIO(large.content))
    assert image.size == (800, 1600)
    assert len(image.getexif()) == 0
    red = image.getpixel((400, 200))
    assert all(abs(a - b) < 40 for a, b in zip(red, RED, strict=True))
    thumbnail = Image.open(io.BytesIO((await fetch(client, photo["thumbnail"])).content))
    assert thumbnail.size == (160, 320)
    again = await fetch(client, photo["url"], **{"If-None-Match": large.headers["etag"]})
    assert again.status_code == 304


async def test_heic_upload_and_off_site_position(
    client: httpx.AsyncClient, office: Any, project: Project
) -> None:
    data = heic_bytes((640, 480), exif_block(gps=(31.30, 121.50)))
    payload = await upload_photo(
        client, office, data, filename="IMG_1.HEIC", projectId=gid("Project", project.id)
    )
    assert payload["errors"] == []
    assert payload["photo"]["contentType"] in {"image/heic", "image/heif"}
    assert payload["photo"]["onSite"] is False
    assert payload["photo"]["takenAt"] is None


async def test_original_is_byte_for_byte_and_only_for_staff_and_site_managers(
    client: httpx.AsyncClient,
    graphql: Any,
    site_manager: Any,
    coordinator: Any,
    supervisor: Any,
    project: Project,
) -> None:
    data = jpeg_bytes((300, 200), exif_block(taken="2020:02:20 09:15:00"))
    payload = await upload_photo(client, site_manager, data, projectId=gid("Project", project.id))
    photo_id = payload["photo"]["id"]
    query = "query($id: ID!) { node(id: $id) { ... on Photo { url(variant: ORIGINAL) } } }"
    for account in (supervisor, site_manager):
        body = await graphql(query, {"id": photo_id}, account=account)
        assert body["data"]["node"], (body, photo_id, await Photo.all().values("id"))
        original = await fetch(client, body["data"]["node"]["url"])
        assert original.status_code == 200
        assert original.content == data
        assert original.headers["etag"] == f'"{payload["photo"]["sha256"]}"'
    refused = await graphql(query, {"id": photo_id}, account=coordinator)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    explicit_null = "query($id: ID!) { node(id: $id) { ... on Photo { url(variant: null) } } }"
    default = await graphql(explicit_null, {"id": photo_id}, account=coordinator)
    assert "/large" in default["data"]["node"]["url"]


async def test_bad_or_expired_signatures_get_403(
    client: httpx.AsyncClient, office: Any, project: Project
) -> None:
    payload = await upload_photo(client, office, jpeg_bytes(), projectId=gid("Project", project.id))
    url = payload["photo"]["url"]
    parts = urlsplit(url)
    tampered = url.replace("signature=", "signature=0")
    assert (await fetch(client, tampered)).status_code == 403
    other_variant = url.replace("/large?", "/original?")
    assert (await fetch(client, other_variant)).status_code == 403
    query = dict(part.split("=") for part in parts.query.split("&"))
    expired = f"{parts.path}?expires=1000&signature={query['signature']}"
    assert (await client.get(expired)).status_code == 403


async def test_same_bytes_and_same_idempotency_key_return_the_first_photo(
    client: httpx.AsyncClient, site_manager: Any, office: Any, project: Project
) -> None:
    data = jpeg_bytes((200, 100))
    project_id = gid("Project", project.id)
    first = await upload_photo(client, site_manager, data, projectId=project_id)
    second = await upload_photo(client, office, data, projectId=project_id)
    assert second["photo"]["id"] == first["photo"]["id"]
    keyed_bytes = jpeg_bytes((210, 100))
    keyed = await upload_photo(
        client, site_manager, keyed_bytes, projectId=project_id, idempotencyKey="k-1"
    )
    retried = await upload_photo(
        client, site_manager, keyed_bytes, projectId=project_id, idempotencyKey="k-1"
    )
    assert retried["errors"] == []
    assert retried["photo"]["id"] == keyed["photo"]["id"]
    assert await Photo.all().count() == 2
    assert await IdempotencyRecord.filter(key="k-1").count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"data": jpeg_bytes((220, 100))},
        {"caption": "another caption"},
        {"project": "other"},
        {"milestone": True},
    ],
    ids=["other-file", "other-caption", "other-project", "with-milestone"],
)
async def test_a_key_reused_for_another_upload_is_a_conflict(
    client: httpx.AsyncClient, office: Any, project: Project, change: dict[str, Any]
) -> None:
    """The key is bound to the file's bytes, the project, milestone, ticket and caption."""
    other = await Project.create(code="P-2", name="Bridge", responsible_unit="Roads")
    milestone = await Milestone.create(
        project=project, title="Roof", baseline_date="2020-05-01", planned_date="2020-05-01"
    )
    data = jpeg_bytes((210, 100))
    first = await upload_photo(
        client, office, data, projectId=gid("Project", project.id), idempotencyKey="k-1"
    )
    fields: dict[str, Any] = {
        "projectId": gid("Project", other.id if change.get("project") else project.id),
        "idempotencyKey": "k-1",
    }
    if "caption" in change:
        fields["caption"] = change["caption"]
    if change.get("milestone"):
        fields["milestoneId"] = gid("Milestone", milestone.id)
    payload = await upload_photo(client, office, change.get("data", data), **fields)
    assert payload["photo"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("CONFLICT", ["input", "idempotencyKey"])
    assert "different request" in error["message"]
    assert [p.id for p in await Photo.all()] == [int_id(first["photo"]["id"])]
    assert await IdempotencyRecord.all().count() == 1


def int_id(global_id: str) -> int:
    from schema.relay import decode_id

    pk = decode_id(global_id, "Photo")
    assert pk is not None
    return pk


async def test_hostile_and_empty_keys(
    client: httpx.AsyncClient, office: Any, project: Project, media_root: Path
) -> None:
    before = stored_files(media_root)
    project_id = gid("Project", project.id)
    payload = await upload_photo(
        client, office, jpeg_bytes(), projectId=project_id, idempotencyKey="k" * 10_000
    )
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID", ["input", "idempotencyKey"])
    ]
    assert await Photo.all().count() == 0
    assert stored_files(media_root) == before
    empty = await upload_photo(
        client, office, jpeg_bytes(), projectId=project_id, idempotencyKey=""
    )
    assert empty["errors"] == []
    assert await IdempotencyRecord.all().count() == 0


async def test_an_expired_key_is_used_afresh_and_a_legacy_one_replays(
    client: httpx.AsyncClient, office: Any, project: Project
) -> None:
    project_id = gid("Project", project.id)
    first = await upload_photo(
        client, office, jpeg_bytes((210, 100)), projectId=project_id, idempotencyKey="k"
    )
    week_ago = utc_now() - dt.timedelta(hours=169)
    await IdempotencyRecord.filter(key="k").update(created_at=week_ago)
    fresh = await upload_photo(
        client, office, jpeg_bytes((220, 100)), projectId=project_id, idempotencyKey="k"
    )
    assert fresh["errors"] == []
    assert fresh["photo"]["id"] != first["photo"]["id"]
    [record] = await IdempotencyRecord.all()
    assert record.object_id == int_id(fresh["photo"]["id"])

    await IdempotencyRecord.filter(key="k").update(fingerprint=None)
    replayed = await upload_photo(
        client, office, jpeg_bytes((230, 100)), projectId=project_id, idempotencyKey="k"
    )
    assert replayed["photo"]["id"] == fresh["photo"]["id"]
    assert await Photo.all().count() == 2


async def test_simultaneous_retries_under_one_key_make_one_photo(
    client: httpx.AsyncClient, site_manager: Any, project: Project, settings: Settings
) -> None:
    data = jpeg_bytes((310, 200))
    project_id = gid("Project", project.id)
    results = await asyncio.gather(
        *(
            upload_photo(client, site_manager, data, projectId=project_id, idempotencyKey="net")
            for _ in range(settings.max_uploads_per_user)
        )
    )
    assert {e["code"] for r in results for e in r["errors"]} <= {"CONFLICT"}
    assert len({r["photo"]["id"] for r in results if r["photo"]}) == 1
    assert await Photo.all().count() == 1
    assert await IdempotencyRecord.all().count() == 1


async def test_who_may_upload_where(
    client: httpx.AsyncClient, make_account: Any, supervisor: Any, project: Project
) -> None:
    other_manager = await make_account(Role.SITE_MANAGER, "site2")
    project_id = gid("Project", project.id)
    payload = await upload_photo(client, other_manager, jpeg_bytes(), projectId=project_id)
    assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert payload["errors"][0]["field"] == ["input", "projectId"]
    payload = await upload_photo(client, supervisor, jpeg_bytes(), projectId=project_id)
    assert payload["errors"][0]["code"] == "FORBIDDEN"
    assert await Photo.all().count() == 0


@pytest.mark.parametrize("kind", ["Milestone", "ShortageTicket"])
async def test_another_projects_milestone_or_ticket_answers_like_a_missing_one(
    client: httpx.AsyncClient,
    site_manager: Any,
    office: Any,
    make_account: Any,
    project: Project,
    kind: str,
) -> None:
    """Whether the other project is visible or not, its objects answer as if they did not
    exist: same code, message and field."""
    stranger = await make_account(Role.SITE_MANAGER, "site2")
    visible = await Project.create(code="P-2", name="Bridge", responsible_unit="Roads")
    await visible.site_managers.add(site_manager.user)
    hidden = await Project.create(code="P-3", name="Depot", responsible_unit="Transport")
    await hidden.site_managers.add(stranger.user)
    field = {"Milestone": "milestoneId", "ShortageTicket": "ticketId"}[kind]
    ids = {
        "missing": gid(kind, 999_999),
        "malformed": "not-an-id",
        "visible project": gid(kind, (await make_child(kind, visible, stranger)).id),
        "hidden project": gid(kind, (await make_child(kind, hidden, stranger)).id),
    }
    answers = {}
    for account in (site_manager, office):
        for case, child_id in ids.items():
            payload = await upload_photo(
                client,
                account,
                jpeg_bytes(),
                projectId=gid("Project", project.id),
                **{field: child_id},
            )
            assert payload["photo"] is None
            answers[(account.user.username, case)] = payload["errors"]
    assert len({repr(errors) for errors in answers.values()}) == 1, answers
    [error] = answers[("site1", "missing")]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", field])
    assert await Photo.all().count() == 0


async def make_child(kind: str, project: Project, account: Any) -> Any:
    """A milestone or a shortage ticket of `project`."""
    if kind == "Milestone":
        return await Milestone.create(
            project=project, title="Deck", baseline_date="2020-05-01", planned_date="2020-05-01"
        )
    return await make_ticket(project, account.user)


async def test_own_projects_milestone_and_ticket_are_linked(
    client: httpx.AsyncClient, site_manager: Any, project: Project
) -> None:
    milestone = await make_child("Milestone", project, site_manager)
    ticket = await make_child("ShortageTicket", project, site_manager)
    payload = await upload_photo(
        client,
        site_manager,
        jpeg_bytes(),
        projectId=gid("Project", project.id),
        milestoneId=gid("Milestone", milestone.id),
        ticketId=gid("ShortageTicket", ticket.id),
    )
    assert payload["errors"] == []
    row = await Photo.get()
    assert (row.milestone_id, row.ticket_id) == (milestone.id, ticket.id)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"hello, I am plain text", "UNSUPPORTED_MEDIA_TYPE"),
        (b"<?php system($_GET['c']); ?>", "UNSUPPORTED_MEDIA_TYPE"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "UNSUPPORTED_MEDIA_TYPE"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 60, "UNSUPPORTED_MEDIA_TYPE"),
        (jpeg_bytes((1200, 900))[:3000], "INVALID"),
        (png_declaring(100_000, 100_000), "TOO_LARGE"),
    ],
    ids=["text", "php", "svg", "zip", "truncated-jpeg", "png-bomb"],
)
async def test_bad_files_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    office: Any,
    project: Project,
    media_root: Path,
    data: bytes,
    code: str,
) -> None:
    before = stored_files(media_root)
    payload = await upload_photo(
        client, office, data, projectId=gid("Project", project.id), content_type="image/jpeg"
    )
    assert payload["photo"] is None
    assert payload["errors"][0]["code"] == code
    assert payload["errors"][0]["field"] == ["input", "file"]
    assert await Photo.all().count() == 0
    assert stored_files(media_root) == before


async def test_unwritable_media_folder_leaves_no_row_and_no_file(
    client: httpx.AsyncClient, office: Any, project: Project, media_root: Path
) -> None:
    before = stored_files(media_root)
    large = media_root / "large"
    parked = media_root / "large.parked"
    if large.exists():
        large.rename(parked)
    large.write_text("a file where the folder should be: writes beneath it fail")
    try:
        response = await _raw_upload(client, office, jpeg_bytes((500, 300)), project)
    finally:
        large.unlink()
        if parked.exists():
            parked.rename(large)
    payload = response["data"]["uploadPhoto"]
    assert payload["photo"] is None
    assert payload["errors"][0]["code"] == "UNAVAILABLE"
    assert payload["errors"][0]["field"] == ["input", "file"]
    assert "nothing was stored" in payload["errors"][0]["message"]
    assert await Photo.all().count() == 0
    assert stored_files(media_root) == before


async def test_failed_insert_leaves_no_file(
    client: httpx.AsyncClient, office: Any, project: Project, media_root: Path
) -> None:
    connection = connections.get("default")
    if BACKEND == "sqlite":
        create = (
            "CREATE TRIGGER refuse_photo BEFORE INSERT ON photo "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        drop = "DROP TRIGGER refuse_photo"
    else:
        create = (
            "CREATE FUNCTION refuse_photo() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql; "
            "CREATE TRIGGER refuse_photo BEFORE INSERT ON photo "
            "FOR EACH ROW EXECUTE FUNCTION refuse_photo()"
        )
        drop = "DROP TRIGGER refuse_photo ON photo; DROP FUNCTION refuse_photo()"
    before = stored_files(media_root)
    await connection.execute_script(create)
    try:
        response = await _raw_upload(client, office, jpeg_bytes((510, 300)), project)
    finally:
        await connection.execute_script(drop)
    if BACKEND == "sqlite":
        # SQLite reports a trigger's ABORT as a constraint failure: retried once, then CONFLICT.
        assert response["data"]["uploadPhoto"]["errors"][0]["code"] == "CONFLICT"
    else:
        assert response["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert await Photo.all().count() == 0
    assert stored_files(media_root) == before


async def _raw_upload(
    client: httpx.AsyncClient, account: Any, data: bytes, project: Project
) -> dict[str, Any]:
    from tests.uploads import UPLOAD_PHOTO, post_multipart

    operations = {
        "query": UPLOAD_PHOTO,
        "variables": {"input": {"projectId": gid("Project", project.id), "file": None}},
    }
    response = await post_multipart(
        client,
        operations,
        {"0": ["variables.input.file"]},
        {"0": ("a.jpg", data, "image/jpeg")},
        account=account,
    )
    return response.json()


async def test_project_and_milestone_photos_newest_first_in_batches(
    client: httpx.AsyncClient,
    graphql: Any,
    office: Any,
    project: Project,
    count_statements: Any,
) -> None:
    milestone = await Milestone.create(
        project=project, title="Roof", baseline_date="2020-05-01", planned_date="2020-05-01"
    )
    project_id = gid("Project", project.id)
    ids = []
    for width in (100, 110, 120):
        payload = await upload_photo(
            client,
            office,
            jpeg_bytes((width, 80)),
            projectId=project_id,
            milestoneId=gid("Milestone", milestone.id),
        )
        ids.append(payload["photo"]["id"])
    await upload_photo(client, office, jpeg_bytes((130, 80)), projectId=project_id)
    query = """
    query($ids: [ID!]!, $m: ID!) {
      nodes(ids: $ids) { ... on Project { photos(first: 10) { totalCount edges { node {
        id url project { id } uploadedBy { username } } } } } }
      milestone: node(id: $m) { ... on Milestone { photos { edges { node { id } } } } }
    }"""
    others = [await Project.create(code=f"X-{n}", name="x", responsible_unit="u") for n in range(3)]
    all_ids = [project_id, *(gid("Project", p.id) for p in others)]
    with count_statements() as counter:
        body = await graphql(
            query, {"ids": all_ids, "m": gid("Milestone", milestone.id)}, account=office
        )
    photos = body["data"]["nodes"][0]["photos"]
    assert photos["totalCount"] == 4
    listed = [edge["node"]["id"] for edge in photos["edges"]]
    assert listed[1:] == list(reversed(ids))
    assert body["data"]["nodes"][1]["photos"]["edges"] == []
    milestone_ids = [e["node"]["id"] for e in body["data"]["milestone"]["photos"]["edges"]]
    assert milestone_ids == list(reversed(ids))
    assert len(counter.statements) <= 10


COMPLETE = """
mutation($input: CompleteMilestoneInput!) {
  completeMilestone(input: $input) {
    milestone { status photos { totalCount edges { node { id } } } }
    errors { field code message }
  }
}"""


async def test_complete_milestone_links_photos_of_its_project_only(
    client: httpx.AsyncClient, graphql: Any, site_manager: Any, project: Project
) -> None:
    milestone = await Milestone.create(
        project=project, title="Topping out", baseline_date="2020-05-01", planned_date="2020-05-01"
    )
    elsewhere = await Project.create(code="P-3", name="Park", responsible_unit="Parks")
    await elsewhere.site_managers.add(site_manager.user)
    ours = await upload_photo(
        client, site_manager, jpeg_bytes((90, 60)), projectId=gid("Project", project.id)
    )
    theirs = await upload_photo(
        client, site_manager, jpeg_bytes((95, 60)), projectId=gid("Project", elsewhere.id)
    )
    variables = {
        "input": {
            "milestoneId": gid("Milestone", milestone.id),
            "actualDate": "2020-05-03",
            "photoIds": [theirs["photo"]["id"]],
        }
    }
    refused = (await graphql(COMPLETE, variables, account=site_manager))["data"]
    assert refused["completeMilestone"]["errors"][0]["field"] == ["input", "photoIds", "0"]
    assert (await Milestone.get(id=milestone.id)).status == "PENDING"
    assert await Photo.filter(milestone_id=milestone.id).count() == 0

    variables["input"]["photoIds"] = [ours["photo"]["id"]]
    done = (await graphql(COMPLETE, variables, account=site_manager))["data"]["completeMilestone"]
    assert done["errors"] == []
    assert done["milestone"]["status"] == "DONE"
    assert [e["node"]["id"] for e in done["milestone"]["photos"]["edges"]] == [ours["photo"]["id"]]
    entry = await AuditEntry.filter(action="milestone.complete").first()
    assert entry is not None and entry.after["photo_ids"] == [
        (await Photo.get(sha256=ours["photo"]["sha256"])).id
    ]


async def test_simultaneous_uploads_of_the_same_bytes_make_one_photo(
    client: httpx.AsyncClient, site_manager: Any, project: Project, settings: Settings
) -> None:
    """As many at once as one user may run."""
    data = jpeg_bytes((300, 200))
    project_id = gid("Project", project.id)
    results = await asyncio.gather(
        *(
            upload_photo(client, site_manager, data, projectId=project_id)
            for _ in range(settings.max_uploads_per_user)
        )
    )
    assert all(r["errors"] == [] for r in results), results
    assert len({r["photo"]["id"] for r in results}) == 1
    assert await Photo.all().count() == 1


async def test_photo_pages_follow_cursors_to_the_end(
    graphql: Any, office: Any, project: Project
) -> None:
    """Pages chosen by the database: cursors, hasNextPage and totalCount, also past the end."""
    for n in range(5):
        await Photo.create(
            project=project,
            uploaded_by=office.user,
            width=100 + n,
            height=80,
            content_type="image/jpeg",
            byte_size=1000,
            sha256=f"{n:064x}",
        )
    newest_first = [
        gid("Photo", p.id) for p in await Photo.filter(project=project).order_by("-uploaded_at")
    ]
    query = """
    query($id: ID!, $after: String) { node(id: $id) { ... on Project {
      photos(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } } }"""
    seen: list[str] = []
    after = None
    for expected_next in (True, True, False):
        body = await graphql(
            query, {"id": gid("Project", project.id), "after": after}, account=office
        )
        photos = body["data"]["node"]["photos"]
        assert photos["totalCount"] == 5
        assert photos["pageInfo"]["hasNextPage"] is expected_next
        seen += [edge["node"]["id"] for edge in photos["edges"]]
        after = photos["pageInfo"]["endCursor"]
    assert seen == newest_first
    body = await graphql(query, {"id": gid("Project", project.id), "after": after}, account=office)
    past = body["data"]["node"]["photos"]
    assert (past["totalCount"], past["pageInfo"]["hasNextPage"], past["edges"]) == (5, False, [])


async def test_photo_uploaders_are_one_batch(
    graphql: Any, office: Any, site_manager: Any, project: Project, count_statements: Any
) -> None:
    """Uploaders are the next relation level: one batched statement, the viewer's row known."""
    for n, uploader in enumerate((office.user, site_manager.user, office.user)):
        await Photo.create(
            project=project,
            uploaded_by=uploader,
            width=100,
            height=80,
            content_type="image/jpeg",
            byte_size=1000,
            sha256=f"{n:064x}",
        )
    query = """
    query($id: ID!) { node(id: $id) { ... on Project {
      photos { edges { node { uploadedBy { username } } } } } } }"""
    with count_statements() as counter:
        body = await graphql(query, {"id": gid("Project", project.id)}, account=site_manager)
    names = [e["node"]["uploadedBy"]["username"] for e in body["data"]["node"]["photos"]["edges"]]
    assert sorted(names) == sorted(["office", site_manager.user.username, "office"])
    # One statement loads the other uploaders (the one that reads the token is the sign-in).
    by_id = [s for s in counter.statements if 'FROM "user"' in s and "auth_token" not in s]
    assert len(by_id) == 1


async def test_a_nullable_variable_cannot_fill_the_file(
    graphql: Any, office: Any, project: Project
) -> None:
    """`$f: Upload` (nullable) in the non-null `file` of an input literal fails validation."""
    query = """mutation($project: ID!, $f: Upload) {
      uploadPhoto(input: {projectId: $project, file: $f}) { photo { id } errors { code field } }
    }"""
    variables = {"project": gid("Project", project.id)}
    body = await graphql(query, variables, account=office, status=400)
    assert "used in position expecting type 'Upload!'" in body["errors"][0]["message"]
    assert await Photo.all().count() == 0


@pytest.mark.parametrize("count", [101, 40_000])
async def test_every_mutation_linking_photos_refuses_too_many_ids(
    graphql: Any, make_account: Any, count: int
) -> None:
    """Past MAX_ITEMS photo ids the list is refused as a whole, before the database is asked
    (40 000 ids passed PostgreSQL's parameter cap and answered INTERNAL), and nothing is
    stored."""
    office = await make_account(Role.OFFICE, "office-many")
    project = await factories.project("MANY")
    milestone = await factories.milestone(project, dt.date(2020, 3, 1))
    ids = [global_id("Photo", n) for n in range(1, count + 1)]
    inputs = {
        "fileDailyReport": (
            "FileDailyReportInput",
            {"projectId": global_id("Project", project.id), "date": "2020-03-01", "workforce": []},
        ),
        "createShortageTicket": (
            "CreateShortageTicketInput",
            {
                "projectId": global_id("Project", project.id),
                "kind": "LABOUR",
                "title": "缺员",
                "trade": "钢筋工",
                "headcount": 3,
            },
        ),
        "completeMilestone": (
            "CompleteMilestoneInput",
            {"milestoneId": global_id("Milestone", milestone.id), "actualDate": "2020-03-02"},
        ),
    }
    for name, (input_type, values) in inputs.items():
        body = await graphql(
            f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ errors {{ code field }} }} }}",
            {"i": {**values, "photoIds": ids}},
            account=office,
        )
        assert body["data"][name]["errors"] == [
            {"code": "INVALID", "field": ["input", "photoIds"]}
        ], name
    assert await DailyReport.all().count() == 0
    assert await ShortageTicket.all().count() == 0
    assert (await Milestone.get(id=milestone.id)).actual_date is None
