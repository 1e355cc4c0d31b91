"""Synthetic Asterisk cdr_csv Master.csv rows (21 columns: loguniqueid, loguserfield, newcdrcolumns)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

_BASE = datetime(2024, 3, 1, 8, 0, 0)


def _q(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def rows(rng: random.Random, call: int) -> list[str]:
    """The rows of one call: outbound via trunk, inbound ring group, internal, busy."""
    start = _BASE + timedelta(seconds=rng.randint(0, 27 * 86400))  # before the DST change
    uid = f"{int(start.timestamp())}.{call}"
    ext = str(rng.randint(200, 299))
    kind = rng.choices(("outbound", "inbound", "internal", "busy"), (45, 30, 15, 10))[0]
    ring = rng.randint(0, 25)
    talk = rng.randint(1, 1200)
    fmt = "%Y-%m-%d %H:%M:%S"
    out = []

    def row(src, dst, ctx, clid, chan, dchan, app, data, disp, answered, seq, acct=""):
        end = start + timedelta(seconds=ring + (talk if answered else 0))
        answer = (start + timedelta(seconds=ring)).strftime(fmt) if answered else ""
        fields = [
            _q(acct),
            _q(src),
            _q(dst),
            _q(ctx),
            _q(clid),
            _q(chan),
            _q(dchan),
            _q(app),
            _q(data),
            _q(start.strftime(fmt)),
            _q(answer) if answer else "",
            _q(end.strftime(fmt)),
            str(int((end - start).total_seconds())),
            str(talk if answered else 0),
            _q(disp),
            _q("DOCUMENTATION"),
            _q(uid),
            _q(""),
            _q(""),
            _q(uid),
            str(seq),
        ]
        out.append(",".join(fields))

    if kind == "outbound":
        number = "0" + str(rng.randint(10**9, 10**10 - 1))
        answered = rng.random() < 0.8
        row(
            ext,
            "9" + number,
            "from-internal",
            f'"Sales" <{ext}>',
            f"PJSIP/{ext}-{call:08x}",
            f"PJSIP/carrier-{call + 1:08x}",
            "Dial",
            f"PJSIP/{number}@carrier,60",
            "ANSWERED" if answered else "NO ANSWER",
            answered,
            call,
            rng.choice(("", "PROJ42")),
        )
    elif kind == "inbound":
        caller = "01632" + str(rng.randint(100000, 999999))
        row(
            caller,
            "200",
            "from-trunk",
            f'"EXAMPLE LTD" <{caller}>',
            f"PJSIP/carrier-{call:08x}",
            f"PJSIP/{ext}-{call + 1:08x}",
            "Dial",
            f"PJSIP/{ext}&PJSIP/202,30,t",
            "ANSWERED",
            True,
            call,
        )
        row(
            caller,
            "200",
            "from-trunk",
            f'"EXAMPLE LTD" <{caller}>',
            f"PJSIP/carrier-{call:08x}",
            f"PJSIP/202-{call + 2:08x}",
            "Dial",
            f"PJSIP/{ext}&PJSIP/202,30,t",
            "NO ANSWER",
            False,
            call + 1,
        )
    elif kind == "internal":
        other = str(rng.randint(200, 299))
        row(
            ext,
            other,
            "from-internal",
            f'"Desk" <{ext}>',
            f"PJSIP/{ext}-{call:08x}",
            f"PJSIP/{other}-{call + 1:08x}",
            "Dial",
            f"PJSIP/{other},30",
            "ANSWERED",
            True,
            call,
        )
    else:
        other = str(rng.randint(200, 299))
        row(
            ext,
            other,
            "from-internal",
            f'"Desk" <{ext}>',
            f"PJSIP/{ext}-{call:08x}",
            f"PJSIP/{other}-{call + 1:08x}",
            "Dial",
            f"PJSIP/{other},30",
            "BUSY",
            False,
            call,
        )
        row(
            ext,
            "h",
            "from-internal",
            f'"Desk" <{ext}>',
            f"PJSIP/{ext}-{call:08x}",
            "",
            "Hangup",
            "",
            "BUSY",
            False,
            call + 1,
        )
    return out


def generate(n: int, seed: int = 0) -> bytes:
    """n rows (a call may give several), reproducible for a seed."""
    rng = random.Random(seed)
    lines: list[str] = []
    call = 0
    while len(lines) < n:
        lines.extend(rows(rng, call))
        call += 3
    return "".join(line + "\n" for line in lines[:n]).encode()
