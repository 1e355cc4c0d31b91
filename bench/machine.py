"""The machine a benchmark ran on, with a CPU speed reference, so figures from different machines
can be told apart: the same code measured 2.3x slower on one 2-core machine than on another, and
`reference_loop_seconds` (a fixed single-threaded Python loop, best of three) showed why."""

from __future__ import annotations

import os
import platform
import time
from typing import Any


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def reference_loop_seconds() -> float:
    """Seconds for sum(range(50,000,000)) on one core, best of three (lower is faster)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        sum(range(50_000_000))
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def describe() -> dict[str, Any]:
    """Cores, CPU, Python, load and the reference loop time of this machine, for a JSON line."""
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "reference_loop_seconds": reference_loop_seconds(),
    }
