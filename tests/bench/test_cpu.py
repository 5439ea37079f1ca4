"""CPU arithmetic of the peer rows: /proc/<pid>/stat, snapshots, milliseconds per request."""

from __future__ import annotations

import os

from bench.cpu import Snapshot, per_request, process_seconds, spent, stat_ticks

# Field 2, the command name, may contain spaces and parentheses.
STAT = (
    "4242 (postgres: postgres wallchart_bench (idle)) S 1 4242 4242 0 -1 4194560 "
    "900 0 0 0 1234 56 7 8 20 0 1 0 100 1000000 500 18446744073709551615"
)


def test_user_and_system_ticks_come_after_the_command_name() -> None:
    assert stat_ticks(STAT) == 1234 + 56


def test_this_process_has_used_some_cpu() -> None:
    seconds = process_seconds(os.getpid())
    assert seconds is not None and seconds >= 0


def test_a_missing_process_has_no_cpu() -> None:
    assert process_seconds(2**22 + 12345) is None


def test_spent_counts_new_backends_whole_and_old_ones_by_difference() -> None:
    before = Snapshot(10.0, {1: 2.0, 2: 3.0})
    after = Snapshot(12.5, {1: 2.5, 2: 3.0, 3: 0.25})
    app, database = spent(before, after)
    assert app == 2.5
    assert database == 0.75


def test_spent_has_no_database_figure_when_backends_are_out_of_sight() -> None:
    before = Snapshot(1.0, {}, backends_visible=False)
    after = Snapshot(2.0, {}, backends_visible=False)
    assert spent(before, after) == (1.0, None)


def test_per_request_is_in_milliseconds() -> None:
    assert per_request(0.5, 250) == 2.0
    assert per_request(None, 10) is None
    assert per_request(1.0, 0) is None
