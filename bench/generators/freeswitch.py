"""Synthetic FreeSWITCH mod_cdr_csv rows in the vanilla `example` template (15 fields)."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

_BASE = datetime(2024, 3, 1, 8, 0, 0)
_FMT = "%Y-%m-%d %H:%M:%S"


def record(rng: random.Random) -> str:
    """One leg: outbound via gateway context, inbound, internal, unanswered or busy."""
    start = _BASE + timedelta(seconds=rng.randint(0, 27 * 86400))  # before the DST change
    ext = str(rng.randint(1000, 1099))
    kind = rng.choices(
        ("outbound", "inbound", "internal", "unanswered", "busy"), (40, 30, 15, 10, 5)
    )[0]
    ring, talk = rng.randint(0, 20), rng.randint(1, 1500)
    caller, dest, context, name = ext, str(rng.randint(1000, 1099)), "default", "Extension " + ext
    if kind == "outbound":
        dest = "00" + str(rng.randint(10**10, 10**11 - 1))
    elif kind == "inbound":
        caller, dest, context, name = (
            "+4420" + str(rng.randint(10**7, 10**8 - 1)),
            ext,
            "public",
            "",
        )
    answered = kind in ("outbound", "inbound", "internal")
    cause = "NORMAL_CLEARING" if answered else ("USER_BUSY" if kind == "busy" else "NO_ANSWER")
    end = start + timedelta(seconds=ring + (talk if answered else 0))
    answer = (start + timedelta(seconds=ring)).strftime(_FMT) if answered else ""
    leg = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    bleg = str(uuid.UUID(int=rng.getrandbits(128), version=4)) if answered else ""
    fields = [
        name,
        caller,
        dest,
        context,
        start.strftime(_FMT),
        answer,
        end.strftime(_FMT),
        str(int((end - start).total_seconds())),
        str(talk if answered else 0),
        cause,
        leg,
        bleg,
        rng.choice(("", "", "PROJ42")),
        "PCMA",
        "PCMA",
    ]
    return ",".join(f'"{f}"' for f in fields)


def generate(n: int, seed: int = 0) -> bytes:
    """n rows, reproducible for a seed."""
    rng = random.Random(seed)
    return "".join(record(rng) + "\n" for _ in range(n)).encode()
