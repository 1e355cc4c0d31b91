"""Synthetic Microsoft Graph call-record pages for the Teams parser benchmark.

`generate(n, seed)` returns one JSON document, `{"value": [...]}`, with n rows: a mix of Direct
Routing rows (answered, busy, unanswered, with 7-digit fractions and the 0001-01-01 sentinel) and
PSTN rows with charges. Deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

_SENTINEL = "0001-01-01T00:00:00Z"


def _fraction(rng: random.Random) -> str:
    """0, 3, 6 or 7 fractional digits, as Graph writes them."""
    digits = rng.choice((0, 3, 6, 7))
    return ("." + "".join(rng.choice("0123456789") for _ in range(digits))) if digits else ""


def _ts(value: datetime, fraction: str) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _direct_routing(rng: random.Random, invite: datetime) -> dict[str, Any]:
    answered = rng.random() < 0.7
    start = invite + timedelta(seconds=rng.randint(1, 20))
    duration = rng.randint(5, 1800) if answered else 0
    user = rng.randint(100, 999)
    fraction = _fraction(rng)  # one per row, so the end never precedes the start
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "correlationId": str(uuid.UUID(int=rng.getrandbits(128))),
        "userPrincipalName": f"user{user}@contoso.com",
        "userDisplayName": f"User {user}",
        "inviteDateTime": _ts(invite, _fraction(rng)),
        "startDateTime": _ts(start, fraction),
        "failureDateTime": _SENTINEL if answered else _ts(start, fraction),
        "endDateTime": _ts(start + timedelta(seconds=duration), fraction)
        if answered
        else _SENTINEL,
        "duration": duration,
        "callType": rng.choice(("dr_out", "dr_in", "ByotIn", "dr_out_user_forwarding")),
        "successfulCall": answered,
        "callerNumber": f"+4420{rng.randint(10**7, 10**8 - 1)}",
        "calleeNumber": f"+44{rng.randint(10**9, 10**10 - 1)}",
        "finalSipCode": 0 if answered else rng.choice((486, 487, 480, 503)),
        "finalSipCodePhrase": "BYE" if answered else "Busy Here",
        "callEndSubReason": 540000,
        "trunkFullyQualifiedDomainName": rng.choice(("sbc1.contoso.com", "sbc2.contoso.com")),
        "mediaBypassEnabled": False,
    }


def _pstn(rng: random.Random, start: datetime) -> dict[str, Any]:
    duration = rng.choice((0, rng.randint(1, 3600)))
    fraction = _fraction(rng)
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "callId": f"{rng.randint(10**9, 10**10)}_{rng.randint(10**8, 10**9)}@10.0.0.1",
        "userPrincipalName": f"user{rng.randint(100, 999)}@contoso.com",
        "startDateTime": _ts(start, fraction),
        "endDateTime": _ts(start + timedelta(seconds=duration), fraction),
        "duration": duration,
        "charge": round(duration * 0.0004, 4),
        "connectionCharge": 0.01,
        "currency": "GBP",
        "callType": rng.choice(("user_out", "user_in", "user_out_conf")),
        "calleeNumber": f"+33{rng.randint(10**8, 10**9 - 1)}",
        "callerNumber": f"+4420{rng.randint(10**7, 10**8 - 1)}",
        "destinationName": "France",
        "licenseCapability": "MCOPSTN1",
        "operator": "Microsoft",
    }


def generate(n: int, seed: int = 0) -> bytes:
    """n Graph rows (about two thirds Direct Routing, one third PSTN) in one JSON page."""
    rng = random.Random(seed)
    at = datetime(2024, 3, 1, tzinfo=UTC)
    rows = []
    for _ in range(n):
        at += timedelta(seconds=rng.randint(1, 90))
        rows.append(_direct_routing(rng, at) if rng.random() < 0.67 else _pstn(rng, at))
    return json.dumps({"value": rows}).encode()
