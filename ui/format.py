"""Small display helpers shared by the pages (no I/O)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd


def clock(seconds: float | None) -> str:
    """93 -> "1:33", 3725 -> "1:02:05"; blank when unknown."""
    if seconds is None or pd.isna(seconds):
        return ""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def money(value: str | None) -> Decimal | None:
    """The API's Decimal strings as Decimal: exact, for tables."""
    return (
        None if value is None or (isinstance(value, float) and pd.isna(value)) else Decimal(value)
    )


def chart_number(value: str | None) -> float:
    """For a chart's bar length only; tables keep the exact Decimal."""
    return float(value) if value is not None and not pd.isna(value) else 0.0


def local_time(value: str | None) -> str:
    """ "2026-01-05T10:00:00Z" -> "2026-01-05 10:00:00 UTC" for people."""
    if not value:
        return ""
    return str(value).replace("T", " ").replace("Z", " UTC")
