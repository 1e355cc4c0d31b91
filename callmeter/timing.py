"""Where a long command spent its time: named phases, in the order they ran.

`callmeter ingest` and `callmeter build` print them after their summary ("(parse 4.1 s, land
9.4 s)"), so a user sees which part of a slow run to look at, and bench/foundation.py reads the
same line to report its breakdown.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_PHASE = re.compile(r"(?P<name>[^,()]+?) (?P<seconds>\d+(?:\.\d+)?) s")


@dataclass
class Phases:
    """Seconds per phase; a phase entered twice adds up."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.monotonic() - started

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items())


def read_phases(line: str) -> dict[str, float]:
    """The phases of a summary line ending in "(name 1.2 s, other 3.4 s)"; {} when it has none."""
    found = re.search(r"\(([^()]*)\)\s*$", line)
    if not found:
        return {}
    return {match["name"].strip(): float(match["seconds"]) for match in _PHASE.finditer(found[1])}
