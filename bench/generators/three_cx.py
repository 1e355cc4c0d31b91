"""Synthetic 3CX CDR files in the default "all fields" order (docs/pbx-formats/3cx.md).

`generate(n, seed)` returns a BOM plus n CDR lines: outbound calls via the trunk DN, inbound
calls answered by a queue, internal calls, unanswered and busy calls, with `Call ` prefixes and
quoted `chain` fields holding commas. Times are local wall-clock times (as 3CX writes them).
Numbers are from the Ofcom drama ranges. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

TRUNK_DN = "10001"
_START = datetime(2024, 3, 11, 8, 0, 0)
_KINDS = (("outbound", 35), ("inbound", 30), ("internal", 20), ("unanswered", 10), ("busy", 5))


def _time(value: datetime) -> str:
    return value.strftime("%Y/%m/%d %H:%M:%S")


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _line(i: int, rng: random.Random) -> str:
    kind = rng.choices([k for k, _ in _KINDS], weights=[w for _, w in _KINDS])[0]
    start = _START + timedelta(seconds=i * 4 + rng.randint(0, 3))
    ring = rng.randint(0, 20)
    talk = rng.randint(1, 900)
    ext, other = str(rng.randint(200, 299)), str(rng.randint(200, 299))
    external = "0" + rng.choice(("1632960", "7700900", "20794600")) + f"{rng.randint(0, 999):03d}"
    answered: datetime | None = start + timedelta(seconds=ring)
    reason, changed, bill_code = "TerminatedBySrc", "", ""
    if kind == "outbound":
        from_no, to_no, from_dn, to_dn, dial = f"Ext.{ext}", external, ext, TRUNK_DN, external
        final_no, final_dn, types = external, TRUNK_DN, ("Internal", "External", "External")
        names = (f"Staff {ext}", "", "")
        bill_code = rng.choice(("", "", "PROJ42"))
    elif kind == "inbound":
        answered = start + timedelta(seconds=rng.randint(0, 1))  # a queue answers at once
        from_no, to_no, from_dn, to_dn, dial = external, "Ext.800", "10000", "800", "800"
        final_no, final_dn, types = f"Ext.{ext}", ext, ("External", "Internal", "Internal")
        names, changed = ("EXAMPLE LTD", "Sales queue", f"Staff {ext}"), "QFwdToDNA"
    else:
        from_no, to_no, from_dn, to_dn, dial = f"Ext.{ext}", f"Ext.{other}", ext, other, other
        final_no, final_dn, types = f"Ext.{other}", other, ("Internal", "Internal", "Internal")
        names = (f"Staff {ext}", f"Staff {other}", f"Staff {other}")
        if kind != "internal":
            answered, reason = None, "RouteBusy" if kind == "busy" else "Failed_Cancelled"
    end = (answered + timedelta(seconds=talk)) if answered else start + timedelta(seconds=ring)
    hops = [from_no, to_no] + ([final_no] if final_no != to_no else [])
    chain = '"Chain: ' + ",".join(hops) + ',"'
    values = [
        f"Call {1000 + i}",
        f"00000{rng.getrandbits(44):011X}_{i % 10000:04d}",
        _hms(talk) if answered else "",
        _time(start),
        _time(answered) if answered else "",
        _time(end),
        reason if answered is None or reason != "Failed_Cancelled" else "TerminatedByDst",
        from_no,
        to_no,
        from_dn,
        to_dn,
        dial,
        changed,
        final_no,
        final_dn,
        bill_code,
        "1" if kind == "outbound" else "",
        f"{talk * 0.0125:.2f}" if kind == "outbound" else "",
        "default" if kind == "outbound" else "",
        chain,
        *types,
        *names,
        "",
    ]
    return ",".join(values)


def generate(n: int, seed: int = 0) -> bytes:
    """Return n synthetic 3CX CDR lines (default field order), with a UTF-8 BOM.

    Args:
        n: How many records.
        seed: Seed of the random mix; the same (n, seed) gives the same bytes.

    Returns:
        The bytes: BOM, then one record per line, CRLF line ends (as the 3CX docs describe).
    """
    rng = random.Random(seed)
    return b"\xef\xbb\xbf" + "".join(_line(i, rng) + "\r\n" for i in range(n)).encode()
