"""The bench's server processes: how busy the machine is."""

from __future__ import annotations

from bench.servers import cpu_jiffies


def test_busy_share_comes_from_proc_stat() -> None:
    stat = "cpu  100 5 50 800 45 0 0 0 0 0\ncpu0 50 2 25 400 22 0 0 0 0 0\n"
    assert cpu_jiffies(stat) == (155, 1000)
