"""Synthetic Zoom Phone call history pages for the Zoom parser benchmark.

`generate(n, seed)` returns one JSON document shaped like `GET /phone/call_history`
(`call_history[]` plus paging fields) with n rows: outbound, inbound and internal calls,
answered, unanswered, busy and failed. Deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(rng: random.Random, start: datetime, number: int) -> dict[str, Any]:
    kind = rng.choice(("outbound", "inbound", "internal"))
    result = rng.choices(
        ("answered", "no_answer", "busy", "call_failed", "voicemail"), (70, 15, 7, 3, 5)
    )[0]
    answered = result in ("answered", "voicemail")
    answer = start + timedelta(seconds=rng.randint(0, 25))
    end = answer + timedelta(seconds=rng.randint(3, 1800)) if answered else answer
    ext_a, ext_b = str(rng.randint(1000, 1999)), str(rng.randint(1000, 1999))
    external = f"+1415{rng.randint(10**6, 10**7 - 1)}"
    return {
        "call_history_uuid": f"{start:%Y%m%d}-{number:08x}-{rng.getrandbits(48):012x}",
        "call_id": str(rng.getrandbits(62)),
        "direction": "inbound" if kind == "inbound" else "outbound",
        "connect_type": "internal" if kind == "internal" else "external",
        "call_type": "general",
        "international": False,
        "caller_ext_number": ext_a if kind != "inbound" else None,
        "caller_did_number": external if kind == "inbound" else "+14155550100",
        "caller_number_type": "external_pstn" if kind == "inbound" else "zoom_pstn",
        "callee_ext_number": ext_b if kind != "outbound" else None,
        "callee_did_number": external if kind == "outbound" else None,
        "callee_number_type": "external_pstn" if kind == "outbound" else "zoom_pstn",
        "start_time": _ts(start),
        "answer_time": _ts(answer) if answered else "",
        "end_time": _ts(end),
        "duration": int((end - answer).total_seconds()) if answered else 0,
        "call_result": result,
        "client_code": rng.choice(("", "", "4711", "0815")),
        "department": rng.choice(("Sales", "Support")),
        "site_name": "Main Site",
    }


def generate(n: int, seed: int = 0) -> bytes:
    """n call history rows in one `GET /phone/call_history` page."""
    rng = random.Random(seed)
    at = datetime(2024, 3, 1, tzinfo=UTC)
    rows = []
    for number in range(n):
        at += timedelta(seconds=rng.randint(1, 90))
        rows.append(_row(rng, at, number))
    page = {"page_size": n, "total_records": n, "next_page_token": "", "call_history": rows}
    return json.dumps(page).encode()
