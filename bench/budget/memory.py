"""A server process's memory, from /proc: resident set, its peak, and a sampler of it."""

from __future__ import annotations

import threading
from pathlib import Path


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
