"""A process's memory, read from /proc."""

from __future__ import annotations

from bench.budget.memory import proc_status


def test_the_memory_lines_of_proc_status() -> None:
    text = (
        "Name:\tpython\nVmPeak:\t  300000 kB\nVmHWM:\t   91000 kB\nVmRSS:\t   88000 kB\n"
        "Threads:\t3\n"
    )
    assert proc_status(text) == {"VmPeak": 300000, "VmHWM": 91000, "VmRSS": 88000}
