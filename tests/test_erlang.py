"""Erlang-B against published table values, and the `callmeter erlang` command."""

from __future__ import annotations

import math

import pytest

from callmeter import erlang
from callmeter.cli import main

# Offered traffic (erlangs) for N channels at blocking P, from the standard Erlang-B tables.
PUBLISHED = [
    (1, 0.01, 0.0101),
    (5, 0.01, 1.36),
    (10, 0.001, 3.09),
    (10, 0.01, 4.46),
    (10, 0.05, 6.22),
    (20, 0.01, 12.03),
    (30, 0.001, 16.68),
    (30, 0.01, 20.34),
    (30, 0.05, 24.80),
    (50, 0.01, 37.90),
    (100, 0.001, 75.24),
    (100, 0.01, 84.06),
    (100, 0.05, 95.24),
]


@pytest.mark.parametrize(("channels", "target", "traffic"), PUBLISHED)
def test_offered_traffic_matches_the_published_erlang_b_table(
    channels: int, target: float, traffic: float
) -> None:
    places = 4 if traffic < 0.1 else 2
    assert round(erlang.offered_traffic(channels, target), places) == pytest.approx(traffic)


@pytest.mark.parametrize(("channels", "target", "traffic"), PUBLISHED)
def test_channels_needed_is_the_table_row_for_the_tabled_traffic(
    channels: int, target: float, traffic: float
) -> None:
    # Slightly below the tabled capacity the table's N suffices and N - 1 does not.
    assert erlang.channels_needed(traffic * 0.999, target) == channels


def test_blocking_of_one_channel_is_traffic_over_one_plus_traffic() -> None:
    assert erlang.blocking(3.0, 1) == pytest.approx(3.0 / 4.0)


def test_blocking_matches_the_factorial_formula_for_small_groups() -> None:
    traffic, channels = 7.5, 12
    terms = [traffic**k / math.factorial(k) for k in range(channels + 1)]
    assert erlang.blocking(traffic, channels) == pytest.approx(terms[-1] / sum(terms), rel=1e-12)


def test_blocking_falls_as_channels_are_added() -> None:
    values = [erlang.blocking(20.0, n) for n in range(1, 60)]
    assert all(later < earlier for earlier, later in zip(values, values[1:], strict=False))


def test_five_thousand_channels_run_without_overflow() -> None:
    result = erlang.blocking(4900.0, 5000)
    assert 0 < result < 0.05
    assert math.isfinite(result)
    needed = erlang.channels_needed(4900.0, 0.01)
    assert 4900 < needed <= 5100
    assert erlang.blocking(4900.0, needed) <= 0.01 < erlang.blocking(4900.0, needed - 1)
    assert erlang.offered_traffic(5000, 0.01) == pytest.approx(4950, rel=0.01)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang.blocking(0, 10), "traffic"),
        (lambda: erlang.blocking(-1.0, 10), "traffic"),
        (lambda: erlang.blocking(5.0, 0), "channels"),
        (lambda: erlang.blocking(5.0, -3), "channels"),
        (lambda: erlang.channels_needed(5.0, 0), "blocking"),
        (lambda: erlang.channels_needed(5.0, 1.5), "blocking"),
        (lambda: erlang.offered_traffic(0, 0.01), "channels"),
    ],
)
def test_out_of_range_inputs_are_refused_with_a_clear_error(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_the_cli_prints_blocking_for_traffic_and_channels(capsys) -> None:
    assert main(["erlang", "--traffic", "20.34", "--channels", "30"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("blocking 0.0100")


def test_the_cli_prints_channels_needed_for_traffic_and_blocking(capsys) -> None:
    assert main(["erlang", "--traffic", "84", "--blocking", "0.01"]) == 0
    assert capsys.readouterr().out.startswith("100 channels")


def test_the_cli_prints_capacity_for_channels_and_blocking(capsys) -> None:
    assert main(["erlang", "--channels", "10", "--blocking", "0.01"]) == 0
    assert capsys.readouterr().out.startswith("4.46 E")


@pytest.mark.parametrize(
    "argv",
    [
        ["erlang", "--traffic", "-2", "--channels", "10"],
        ["erlang", "--traffic", "0", "--blocking", "0.01"],
        ["erlang", "--traffic", "5"],
        ["erlang", "--traffic", "5", "--channels", "10", "--blocking", "0.01"],
    ],
)
def test_the_cli_refuses_bad_input_with_exit_2_and_no_traceback(argv: list[str], capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("callmeter erlang: error:")
    assert "Traceback" not in err
