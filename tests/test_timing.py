"""Phase timings that `callmeter ingest` and `callmeter build` print after their summary."""

from __future__ import annotations

import time

from callmeter.timing import Phases, read_phases


def test_phases_print_in_the_order_they_ran_and_read_back() -> None:
    phases = Phases()
    with phases.phase("dbt parse"):
        time.sleep(0.01)
    with phases.phase("dagster run"):
        pass
    line = f"45 assets materialized in 12.3 s ({phases})"
    assert list(phases.seconds) == ["dbt parse", "dagster run"]
    assert read_phases(line) == {
        "dbt parse": round(phases.seconds["dbt parse"], 1),
        "dagster run": 0.0,
    }


def test_a_phase_entered_twice_adds_up_even_when_it_raises() -> None:
    phases = Phases()
    for _ in range(2):
        try:
            with phases.phase("land"):
                time.sleep(0.01)
                raise RuntimeError
        except RuntimeError:
            pass
    assert phases.seconds["land"] >= 0.02


def test_a_line_without_phases_reads_as_none() -> None:
    assert read_phases("landed 3 legs and 0 rejected records from 1 files") == {}
