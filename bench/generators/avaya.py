"""Synthetic Avaya Communication Manager CDR lines in the `printer` layout (the default)."""

from __future__ import annotations

import random


def record(rng: random.Random) -> str:
    """One record: outbound via ARS (7/A), inbound (9), internal (0), abandoned (H), busy (I)."""
    hour, minute = rng.randint(0, 23), rng.randint(0, 59)
    extension = str(rng.randint(20000, 29999))
    code = rng.choices("7A90HI", (25, 20, 30, 10, 10, 5))[0]
    tenths = rng.randint(1, 9999 // 10) if code not in "I" else 0
    hours, rest = divmod(tenths * 6, 3600)
    duration = f"{min(hours, 9)}{rest // 60:02d}{(rest % 60) // 6}"
    code_dial = code_used = dialled = calling = account = ""
    circuit = f"{rng.randint(1, 30):03d}"
    if code in "7A":
        code_dial, code_used = "9", f"{rng.randint(101, 120)}"
        dialled = "9" + rng.choice(("0", "00")) + str(rng.randint(10**9, 10**10 - 1))
        calling = extension
        account = rng.choice(("", "", "4711"))
    elif code == "0":
        dialled, calling = str(rng.randint(20000, 29999)), extension
    else:
        dialled, calling = extension, f"{rng.randint(101, 120)}"
    line = (
        f"{hour:02d}{minute:02d} {duration} {code} {code_dial:>3} {code_used:>3} {dialled:>15} "
        f"{calling:>5} {account:>15} {'':>7}    0 0 {circuit}"
    )
    assert len(line) == 76, line
    return line


def generate(n: int, seed: int = 0) -> bytes:
    """n records, reproducible for a seed."""
    rng = random.Random(seed)
    return "".join(record(rng) + "\r\n" for _ in range(n)).encode("ascii")
