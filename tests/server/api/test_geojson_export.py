"""The five-colour map over HTTP: GeoJSON by RFC 7946's rules, properties, filters, refusals."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
from graphql_relay import to_global_id

from server.domain.map_features import HEALTH_HEX, NO_COORDINATES
from server.domain.models import ProjectStatus, Role, Severity
from tests import factories
from tests.conftest import Account, MakeAccount

AS_OF = dt.date(2020, 3, 1)
PATH = "/exports/projects.geojson"


async def _zone() -> dict[str, Any]:
    p1090 = await factories.programme("1090", 2020)
    p1050 = await factories.programme("1050", 2020, name="重点城建项目")
    # Changsha: 28.23 N, 112.94 E.
    plant = await factories.project(
        "A-01",
        name="徐工高端装备产业园",
        programmes=(p1090,),
        responsible_unit="徐工集团",
        latitude=28.2312345678,
        longitude=112.9387654321,
    )
    road = await factories.project(
        "B-01",
        name="东环路改造",
        programmes=(p1050, p1090),
        town="东环街道",
        latitude=-33.8688,
        longitude=-0.00000001,
    )
    done = await factories.project("C-01", name="已竣工项目", status=ProjectStatus.COMPLETED)
    wrong = await factories.project("D-01", name="坐标错误项目", latitude=95.0, longitude=112.9)
    await factories.milestone(plant, AS_OF - dt.timedelta(days=40), title="主体封顶")
    await factories.milestone(plant, AS_OF + dt.timedelta(days=9), title="设备安装")
    await factories.milestone(road, AS_OF + dt.timedelta(days=5), title="管网迁改")
    await factories.milestone(done, AS_OF - dt.timedelta(days=90), title="竣工", done_on=AS_OF)
    return {"plant": plant, "road": road, "done": done, "wrong": wrong}


async def _get(client: httpx.AsyncClient, account: Account | None, **params: str) -> httpx.Response:
    return await client.get(PATH, params=params, headers=account.headers if account else {})


def _map(response: httpx.Response) -> dict[str, Any]:
    """The body, checked against RFC 7946's rules for a FeatureCollection of Points."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and ".geojson" in disposition
    body = json.loads(
        response.content, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name))
    )
    assert body["type"] == "FeatureCollection" and isinstance(body["features"], list)
    assert "crs" not in body  # removed by RFC 7946; readers would take it as a CRS
    for feature in body["features"]:
        assert feature["type"] == "Feature" and isinstance(feature["properties"], dict)
        assert isinstance(feature["id"], str)
        geometry = feature["geometry"]
        assert geometry["type"] == "Point" and len(geometry["coordinates"]) == 2
        lon, lat = geometry["coordinates"]
        assert all(isinstance(c, float | int) and math.isfinite(c) for c in (lon, lat))
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert round(lon, 6) == lon and round(lat, 6) == lat
    return body


def _by_code(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {feature["properties"]["code"]: feature for feature in body["features"]}


async def test_the_map_is_a_feature_collection_of_points(
    client: httpx.AsyncClient, supervisor: Account, make_account: MakeAccount
) -> None:
    zone = await _zone()
    reporter = await make_account(Role.SITE_MANAGER, "reporter")
    await factories.ticket(zone["plant"], reporter.user, Severity.LOW)
    await factories.ticket(zone["plant"], reporter.user, Severity.LOW)
    body = _map(await _get(client, supervisor, asOf="2020-03-01"))
    features = _by_code(body)
    assert [f["properties"]["code"] for f in body["features"]] == ["A-01", "B-01"]
    plant = features["A-01"]
    plant_id = to_global_id("Project", str(zone["plant"].id))
    assert plant["geometry"]["coordinates"] == [112.938765, 28.231235]  # longitude first
    assert plant["id"] == plant_id
    assert plant["properties"] == {
        "id": plant_id,
        "code": "A-01",
        "name": "徐工高端装备产业园",
        "programmes": "1090(2020)",
        "town": "金山桥街道",
        "responsibleUnit": "徐工集团",
        "health": "RED",
        "colour": "#d93025",
        "nextMilestone": "主体封顶",
        "nextMilestoneDate": "2020-01-21",
        "daysOverdue": 40,
        "openTickets": 2,
    }
    road = features["B-01"]["properties"]
    assert features["B-01"]["geometry"]["coordinates"] == [0.0, -33.8688]
    assert road["health"] == "GREEN" and road["colour"] == "#2e9d47"
    assert road["programmes"] == "1050(2020), 1090(2020)" and road["openTickets"] == 0
    assert road["nextMilestone"] == "管网迁改" and road["nextMilestoneDate"] == "2020-03-06"

    meta = body["wallchart"]
    assert meta["withoutCoordinates"] == [
        {
            "id": to_global_id("Project", str(zone["done"].id)),
            "code": "C-01",
            "name": "已竣工项目",
            "reason": NO_COORDINATES,
        },
        {
            "id": to_global_id("Project", str(zone["wrong"].id)),
            "code": "D-01",
            "name": "坐标错误项目",
            "reason": "latitude 95.0 is outside -90 to 90",
        },
    ]
    assert meta["filters"] == {"asOf": "2020-03-01"}
    assert "WGS-84" in meta["coordinateSystem"] and "GCJ-02" in meta["coordinateSystem"]
    assert dt.datetime.fromisoformat(meta["generatedAt"]).tzinfo is not None
    assert meta["colours"] == {health.value: value for health, value in HEALTH_HEX.items()}


async def test_the_board_filters_apply(client: httpx.AsyncClient, office: Account) -> None:
    zone = await _zone()
    only = _map(await _get(client, office, programmeCodes="1050", year="2020"))
    assert list(_by_code(only)) == ["B-01"] and only["wallchart"]["withoutCoordinates"] == []
    assert only["wallchart"]["filters"]["programmeCodes"] == ["1050"]
    assert only["wallchart"]["filters"]["year"] == 2020

    town = _map(await _get(client, office, town="东环街道"))
    assert list(_by_code(town)) == ["B-01"]

    unit = _map(await _get(client, office, responsibleUnit="徐工集团"))
    assert list(_by_code(unit)) == ["A-01"]

    done_id = to_global_id("Project", str(zone["done"].id))
    picked = _map(await _get(client, office, projectIds=done_id))
    assert picked["features"] == []
    assert [p["code"] for p in picked["wallchart"]["withoutCoordinates"]] == ["C-01"]
    assert picked["wallchart"]["filters"]["projectIds"] == [done_id]

    none = _map(await _get(client, office, programmeCodes="9999"))
    assert none["features"] == [] and none["wallchart"]["withoutCoordinates"] == []


async def test_an_empty_zone_is_an_empty_collection(
    client: httpx.AsyncClient, admin: Account
) -> None:
    body = _map(await _get(client, admin, asOf="2020-03-01"))
    assert body["features"] == [] and body["wallchart"]["withoutCoordinates"] == []
    disposition = (await _get(client, admin, asOf="2020-03-01")).headers["content-disposition"]
    assert 'filename="projects-2020-03-01.geojson"' in disposition
    assert f"filename*=UTF-8''{quote('项目五色图-2020-03-01.geojson')}" in disposition


async def test_the_map_needs_an_office_role(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    response = await _get(client, None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    assert "WWW-Authenticate" in response.headers
    bad_token = await client.get(PATH, headers={"Authorization": "Bearer not-a-token"})
    assert bad_token.status_code == 401
    for role in (Role.SITE_MANAGER, Role.COORDINATOR):
        response = await _get(client, await make_account(role))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "FORBIDDEN"
    for role in (Role.SUPERVISOR, Role.OFFICE, Role.ADMIN):
        assert (await _get(client, await make_account(role))).status_code == 200


async def test_bad_parameters_answer_400(client: httpx.AsyncClient, supervisor: Account) -> None:
    zone = await _zone()
    cases = [
        ({"asOf": "yesterday"}, "asOf"),
        ({"asOf": "0001-01-01"}, "asOf"),
        ({"year": "二〇二〇"}, "year"),
        ({"year": "-5"}, "year"),
        ({"projectIds": to_global_id("Milestone", "1")}, "not a Project ID"),
        ({"projectIds": to_global_id("Project", str(zone["wrong"].id + 100))}, "no such project"),
        ({"projectIds": "%%%"}, "not a Project ID"),
        ({"town": "镇" * 1000}, "town"),
        ({"colour": "red"}, "Unknown parameter"),
        ({"bbox": "0,0,1,1"}, "Unknown parameter"),
    ]
    for params, message in cases:
        response = await _get(client, supervisor, **params)
        assert response.status_code == 400, (params, response.text)
        assert response.headers["content-type"] == "application/json"
        assert message in response.json()["error"]["message"], params
    twice = await client.get(
        PATH, params=[("town", "东环街道"), ("town", "大庙街道")], headers=supervisor.headers
    )
    assert twice.status_code == 400 and "once" in twice.json()["error"]["message"]


async def test_the_statement_count_does_not_grow_with_the_projects(
    client: httpx.AsyncClient, office: Account, count_statements: Callable[[], Any]
) -> None:
    await _zone()
    with count_statements() as few:
        assert len(_map(await _get(client, office))["features"]) == 2
    for number in range(12):
        await factories.project(f"E-{number:02d}", latitude=28.0 + number / 100, longitude=113.0)
    with count_statements() as many:
        assert len(_map(await _get(client, office))["features"]) == 14
    assert len(many.statements) == len(few.statements)


async def test_stored_nan_and_infinity_never_reach_the_body(
    client: httpx.AsyncClient, office: Account
) -> None:
    # PostgreSQL keeps NaN and Infinity in a float column; SQLite reads NaN back as NULL.
    await factories.project("N-01", latitude=math.nan, longitude=112.94)
    await factories.project("N-02", latitude=28.23, longitude=math.inf)
    response = await _get(client, office)
    body = _map(response)
    assert b"NaN" not in response.content and b"Infinity" not in response.content
    assert body["features"] == []
    reasons = {p["code"]: p["reason"] for p in body["wallchart"]["withoutCoordinates"]}
    assert reasons["N-01"] in ("coordinates are not finite numbers", "longitude without latitude")
    assert reasons["N-02"] == "coordinates are not finite numbers"
