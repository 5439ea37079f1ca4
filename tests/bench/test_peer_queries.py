"""The same-rows check of the peer rows: wallchart's Relay answers against PostGraphile's."""

from __future__ import annotations

import base64
import datetime as dt

from bench.peer_queries import decode_id, difference, objects, pairs, rows, same_rows


def gid(kind: str, key: int) -> str:
    return base64.b64encode(f"{kind}:{key}".encode()).decode()


OURS = {
    "data": {
        "me": {
            "id": gid("User", 56),
            "projects": {
                "edges": [
                    {
                        "node": {
                            "id": gid("Project", 7),
                            "code": "P-0007",
                            "milestones": {
                                "edges": [
                                    {
                                        "node": {
                                            "id": gid("Milestone", 70),
                                            "plannedDate": "2024-01-02",
                                        }
                                    },
                                    {
                                        "node": {
                                            "id": gid("Milestone", 71),
                                            "plannedDate": "2024-02-03",
                                        }
                                    },
                                ]
                            },
                        }
                    }
                ]
            },
        }
    },
    "extensions": {"cost": 12},
}

THEIRS = {
    "data": {
        "user": {"id": 56},
        "projects": {
            "nodes": [
                {
                    "id": 7,
                    "code": "P-0007",
                    "milestones": {
                        "nodes": [
                            {"id": 71, "plannedDate": "2024-02-03"},
                            {"id": 70, "plannedDate": "2024-01-02"},
                        ]
                    },
                }
            ]
        },
    }
}


def test_global_ids_decode_to_their_keys() -> None:
    assert decode_id(gid("Milestone", 123)) == 123
    assert decode_id(123) == 123
    assert decode_id("not base64!") == "not base64!"
    assert (
        decode_id(base64.b64encode(b"no colon").decode()) == base64.b64encode(b"no colon").decode()
    )


def test_objects_are_found_under_edges_and_nodes() -> None:
    kinds = [kind for kind, _ in objects(OURS)]
    assert kinds == ["user", "project", "milestone", "milestone"]
    assert [kind for kind, _ in objects(THEIRS)] == ["user", "project", "milestone", "milestone"]


def test_the_same_rows_in_another_shape_and_order_are_the_same() -> None:
    assert ("milestone", 70, (("plannedDate", "2024-01-02"),)) in rows(OURS)
    assert same_rows(OURS, THEIRS)


def test_a_different_value_or_a_missing_row_is_not_the_same() -> None:
    moved = {
        "data": {
            "user": {"id": 56},
            "projects": {
                "nodes": [
                    {
                        "id": 7,
                        "code": "P-0007",
                        "milestones": {"nodes": [{"id": 70, "plannedDate": "2024-01-09"}]},
                    }
                ]
            },
        }
    }
    assert not same_rows(OURS, moved)
    assert "4 vs 3 rows" in difference(OURS, moved)


def test_empty_answers_are_never_the_same_rows() -> None:
    assert not same_rows({"data": None}, {"data": None})
    assert not same_rows({"errors": [{"message": "x"}]}, THEIRS)


def test_rows_without_values_compare_which_rows_only() -> None:
    richer = {"data": {"user": {"id": 56, "displayName": "x"}}}
    plain = {"data": {"user": {"id": 56}}}
    assert not same_rows(richer, plain)
    assert same_rows(richer, plain, values=False)
    assert rows(richer, values=False) == {("user", 56, ())}


def test_every_pair_has_a_peer_document() -> None:
    found = pairs(56, dt.date(2026, 12, 5))
    assert [pair.key for pair in found] == ["home_data", "home_full", "overdue", "office", "me"]
    assert all(pair.peer_document for pair in found)
    assert [pair.key for pair in found if not pair.same_fields] == ["home_full"]
    overdue = next(pair for pair in found if pair.key == "overdue")
    assert overdue.peer_variables["today"] == "2026-12-05"
