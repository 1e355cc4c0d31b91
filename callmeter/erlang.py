"""Erlang-B: blocking probability of a trunk group, and sizing from it (pure standard library).

Erlang-B assumes blocked calls are lost (no queueing, no retries) and Poisson arrivals: the
usual model for sizing trunks and SIP channels from the busy-hour traffic in erlangs
(fct_trunk_hourly). Floats are fine here: this is traffic engineering, not money.

The blocking probability uses the recurrence

    B(E, 0) = 1,    B(E, n) = E * B(E, n - 1) / (n + E * B(E, n - 1))

which needs no factorials or powers, so it neither overflows nor loses precision for
thousands of channels (the textbook formula E^N / N! / sum(E^k / k!) overflows past N of
about 170)."""

from __future__ import annotations

import math

__all__ = ["blocking", "channels_needed", "offered_traffic"]

# Above this many channels a sizing question is almost certainly a unit mistake (minutes for
# erlangs); it also bounds the loop in channels_needed.
MAX_CHANNELS = 1_000_000


def _check_traffic(traffic: float) -> None:
    if not math.isfinite(traffic) or traffic <= 0:
        raise ValueError(f"traffic must be a positive number of erlangs, got {traffic!r}")


def _check_channels(channels: int) -> None:
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"channels must be a whole number of at least 1, got {channels!r}")
    if channels > MAX_CHANNELS:
        raise ValueError(f"channels must be at most {MAX_CHANNELS}, got {channels}")


def _check_blocking(target: float) -> None:
    if not math.isfinite(target) or not 0 < target < 1:
        raise ValueError(
            f"blocking must be a probability between 0 and 1 (e.g. 0.01 for 1 %), got {target!r}"
        )


def blocking(traffic: float, channels: int) -> float:
    """Probability that a call is blocked when `traffic` erlangs are offered to `channels`.

    Args:
        traffic: offered traffic in erlangs (busy-hour call-hours per hour), > 0.
        channels: number of trunks or channels, >= 1.

    Returns:
        The Erlang-B blocking probability, between 0 and 1.

    Raises:
        ValueError: traffic is not positive or channels is not a whole number >= 1.
    """
    _check_traffic(traffic)
    _check_channels(channels)
    b = 1.0
    for n in range(1, channels + 1):
        eb = traffic * b
        b = eb / (n + eb)
    return b


def channels_needed(traffic: float, target: float) -> int:
    """Smallest number of channels whose blocking is at most `target` for `traffic` erlangs.

    Args:
        traffic: offered traffic in erlangs, > 0.
        target: the grade of service, a blocking probability strictly between 0 and 1.

    Returns:
        The number of channels N (>= 1) with blocking(traffic, N) <= target.

    Raises:
        ValueError: an input is out of range, or more than MAX_CHANNELS would be needed.
    """
    _check_traffic(traffic)
    _check_blocking(target)
    b = 1.0
    for n in range(1, MAX_CHANNELS + 1):
        eb = traffic * b
        b = eb / (n + eb)
        if b <= target:
            return n
    raise ValueError(f"{traffic} erlangs need more than {MAX_CHANNELS} channels")


def offered_traffic(channels: int, target: float, *, tolerance: float = 1e-9) -> float:
    """Largest traffic in erlangs that `channels` carry with blocking at most `target`.

    Blocking grows monotonically with traffic for a fixed number of channels, so the answer
    is found by bisection.

    Args:
        channels: number of channels, >= 1.
        target: the grade of service, a blocking probability strictly between 0 and 1.
        tolerance: relative precision of the result.

    Returns:
        The offered traffic A in erlangs with blocking(A, channels) == target (to tolerance).

    Raises:
        ValueError: an input is out of range.
    """
    _check_channels(channels)
    _check_blocking(target)
    low, high = 0.0, float(channels)
    while blocking(high, channels) < target:  # blocking -> 1 as traffic grows: this ends
        low, high = high, high * 2
    while high - low > tolerance * high:
        middle = (low + high) / 2
        if blocking(middle, channels) <= target:
            low = middle
        else:
            high = middle
    return low
