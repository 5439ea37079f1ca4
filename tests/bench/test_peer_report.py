"""The peer table's arithmetic: ratios over rounds, CPU per request, goals."""

from __future__ import annotations

import pytest

from bench.peer_report import (
    GOALS,
    Figures,
    Goal,
    PeerRow,
    cpu_ratio,
    requests,
    summary,
    table,
    throughput_ratio,
)
from bench.versus import MAX_SECONDS, MIN_SECONDS, heading, run_seconds, unavailable


def figures(rounds: list[tuple[int, float, float, float | None]]) -> Figures:
    result = Figures()
    for count, seconds, app, pg in rounds:
        result.add(count, seconds, app, pg)
    return result


OURS = figures([(100, 2.0, 2.0, 0.2), (120, 2.0, 2.2, 0.2)])
THEIRS = figures([(400, 2.0, 1.0, 0.4), (400, 2.0, 1.0, 0.4)])


def test_cpu_per_request_sums_the_rounds() -> None:
    assert OURS.app_ms() == pytest.approx(4.2 * 1000 / 220)
    assert OURS.pg_ms() == pytest.approx(0.4 * 1000 / 220)
    assert THEIRS.total_ms() == pytest.approx(2.8 * 1000 / 800)


def test_a_round_without_database_figures_leaves_the_server_alone() -> None:
    blind = figures([(10, 1.0, 0.1, None)])
    assert blind.pg_ms() is None
    assert blind.total_ms() == pytest.approx(10.0)
    assert Figures().app_ms() is None


def test_ratios_are_wallchart_over_the_peer() -> None:
    assert throughput_ratio(OURS, THEIRS) == pytest.approx((0.25 + 0.3) / 2)
    expected = (4.6 * 1000 / 220) / (2.8 * 1000 / 800)
    assert cpu_ratio(OURS, THEIRS) == pytest.approx(expected)
    assert cpu_ratio(OURS, Figures()) is None


def test_goals_bound_the_right_ratio() -> None:
    assert Goal("cpu", 1.5).met(0.1, 1.4) is True
    assert Goal("cpu", 1.5).met(5.0, 1.6) is False
    assert Goal("throughput", 0.9).met(0.95, 9.0) is True
    assert Goal("throughput", 0.9).met(None, 1.0) is None
    assert GOALS["me"].text == "throughput >= 0.9x"
    assert GOALS["home_full"].text == "total CPU <= 2x"


def test_the_table_shows_every_figure() -> None:
    row = PeerRow("home_data", "home data", OURS, THEIRS, True, objects=221)
    text = table([row, PeerRow("me", "me", Figures(), None, None, note="not measured: x")])
    lines = text.splitlines()
    assert lines[0].startswith("query (wallchart vs PostGraphile)")
    assert "0.28" in lines[2] and "NO" in lines[2] and "yes" in lines[2]
    assert "not measured: x" in lines[3]
    assert row.per_object_us(OURS) == pytest.approx(OURS.app_ms() * 1000 / 221)
    assert summary(row)["same_rows"] is True


def test_runs_last_long_enough_for_slow_queries() -> None:
    assert run_seconds(0.001) == MIN_SECONDS
    assert run_seconds(0.1) == 6
    assert run_seconds(60.0) == MAX_SECONDS


def test_the_heading_names_the_peer_and_the_missing_indexes() -> None:
    meta = {"postgraphile": "4.14.1", "connections": 4, "rounds": 3}
    assert heading(meta).startswith("wallchart vs PostGraphile 4.14.1: wrk at 4")
    assert "\n" not in heading(meta)
    unindexed = {**meta, "unindexed_foreign_keys": ["phase.project_id", "milestone.phase_id"]}
    assert heading(unindexed).splitlines()[1].endswith("phase.project_id, milestone.phase_id")


def test_the_peer_rows_wait_for_postgresql_wrk_and_node() -> None:
    assert "PostgreSQL" in (unavailable("sqlite://var/bench/x.sqlite3") or "")


def test_the_totals_add_every_run() -> None:
    theirs = figures([(10, 1.0, 0.1, 0.0)])
    theirs.failures = 2
    rows = [
        PeerRow("home_data", "a", figures([(5, 1.0, 0.1, 0.0)]), theirs, True),
        PeerRow("me", "b", figures([(7, 1.0, 0.1, 0.0)]), None, None),
    ]
    assert requests(rows) == (22, 2)
