"""GET /exports/projects.geojson: the five-colour map (五色图) as GeoJSON (RFC 7946).

The board's filters and roles (see server/api/exports.py): a FeatureCollection with one Point
per project that has a site, `[longitude, latitude]` in WGS-84 degrees, the project's board
facts and its colour as a hex value in the properties. Projects without a usable site are
listed in the foreign member `wallchart.withoutCoordinates` with the reason. QGIS, Leaflet
and other GeoJSON readers open the file as is; they ignore the foreign member.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schema.relay import global_id
from server.api.exports import prepare_export
from server.api.spreadsheets import download
from server.domain.clock import utc_now
from server.domain.map_features import HEALTH_HEX, MapPoint, Unplaced, project_map
from server.domain.overdue import OverdueFilter

GEOJSON = "application/geo+json"
COORDINATE_SYSTEM = (
    "WGS-84 (EPSG:4326) degrees, [longitude, latitude] as RFC 7946 requires; not GCJ-02: "
    "a map on a GCJ-02 base layer converts at the client."
)


def _feature(point: MapPoint) -> dict[str, Any]:
    """One project as a GeoJSON Point feature."""
    row = point.row
    gid = global_id("Project", point.project_id)
    return {
        "type": "Feature",
        "id": gid,
        "geometry": {"type": "Point", "coordinates": [point.longitude, point.latitude]},
        "properties": {
            "id": gid,
            "code": row.code,
            "name": row.name,
            "programmes": row.programmes,
            "town": row.town,
            "responsibleUnit": row.responsible_unit,
            "health": row.health.value,
            "colour": HEALTH_HEX[row.health],
            "nextMilestone": row.next_milestone,
            "nextMilestoneDate": (
                row.next_milestone_date.isoformat() if row.next_milestone_date else None
            ),
            "daysOverdue": row.days_overdue,
            "openTickets": row.open_tickets,
        },
    }


def _unplaced(project: Unplaced) -> dict[str, Any]:
    return {
        "id": global_id("Project", project.project_id),
        "code": project.code,
        "name": project.name,
        "reason": project.reason,
    }


def _filters(flt: OverdueFilter) -> dict[str, Any]:
    """The board filter the map was drawn with, in the query parameters' names."""
    given = {
        "asOf": flt.as_of.isoformat(),
        "programmeCodes": list(flt.programme_codes) if flt.programme_codes is not None else None,
        "year": flt.year,
        "responsibleUnit": flt.responsible_unit,
        "town": flt.town,
        "projectIds": (
            [global_id("Project", pk) for pk in flt.project_ids]
            if flt.project_ids is not None
            else None
        ),
    }
    return {name: value for name, value in given.items() if value is not None}


def feature_collection(
    points: list[MapPoint], unplaced: list[Unplaced], flt: OverdueFilter
) -> dict[str, Any]:
    """The map as a GeoJSON FeatureCollection with the `wallchart` foreign member."""
    return {
        "type": "FeatureCollection",
        "features": [_feature(point) for point in points],
        "wallchart": {
            "generatedAt": utc_now().isoformat(timespec="seconds"),
            "filters": _filters(flt),
            "coordinateSystem": COORDINATE_SYSTEM,
            "colours": {health.value: hex_value for health, hex_value in HEALTH_HEX.items()},
            "withoutCoordinates": [_unplaced(project) for project in unplaced],
        },
    }


async def projects_geojson(request: Request) -> Response:
    """GET /exports/projects.geojson: the board's projects on the map."""
    prepared = await prepare_export(request)
    if isinstance(prepared, Response):
        return prepared
    user, flt, settings = prepared
    drawn = await project_map(flt, user, settings)
    body = feature_collection(drawn.points, drawn.unplaced, flt)
    content = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    day = flt.as_of.isoformat()
    return download(
        content.encode(), GEOJSON, f"项目五色图-{day}.geojson", fallback=f"projects-{day}.geojson"
    )


ROUTES = [Route("/exports/projects.geojson", projects_geojson, methods=["GET"])]
