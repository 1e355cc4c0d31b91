"""Synthetic MiVoice Business SMDR lines (standard 88-column layout, CR LF terminated)."""

from __future__ import annotations

import random


def _clock(hour: int, minute: int) -> str:
    suffix = "p" if hour >= 12 else " "
    return f"{(hour % 12) or 12:02d}:{minute:02d}{suffix}"


def record(rng: random.Random) -> str:
    """One realistic record: outbound via trunk, inbound, internal, unanswered or busy."""
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    hour, minute = rng.randint(0, 23), rng.randint(0, 59)
    extension = str(rng.randint(200, 299))
    trunk = f"T{rng.randint(1, 120):03d}"
    kind = rng.choices(
        ("outbound", "inbound", "internal", "unanswered", "busy"), (45, 30, 10, 10, 5)
    )[0]
    seconds = rng.randint(5, 1800)
    attendant, tta, completion, third, account = " ", "   ", " ", "", ""
    if kind == "outbound":
        calling, called = extension, trunk
        digits = rng.choice(("9", "90", "9001")) + str(rng.randint(10**9, 10**10 - 1))
        completion = rng.choice("AA ")
        account = rng.choice(("", "", "4711", "PROJ42"))
    elif kind == "internal":
        calling, called, digits = extension, str(rng.randint(200, 299)), ""
    else:
        calling, called, digits = trunk, extension, extension
        tta = f"{rng.randint(1, 40):03d}"
        if kind == "unanswered":
            tta, seconds = "***", rng.randint(5, 60)
        elif kind == "busy":
            completion, seconds = "B", 0
        elif rng.random() < 0.1:
            third = str(rng.randint(200, 299))
    hours, rest = divmod(seconds, 3600)
    duration = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    flag = " " if seconds < 300 else "-" if seconds < 600 else "%"
    line = (
        f"{flag}{month:02d}/{day:02d} {_clock(hour, minute)} {duration} {calling:<4} "
        f"{attendant}{tta} {digits:<26}{completion} {called:<4}  {third:<4} {account:<12} 000"
    )
    assert len(line) == 88, line
    return line


def generate(n: int, seed: int = 0) -> bytes:
    """n records, reproducible for a seed."""
    rng = random.Random(seed)
    return "".join(record(rng) + "\r\n" for _ in range(n)).encode("ascii")
