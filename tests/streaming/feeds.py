"""Helpers for sidecar tests: Mitel SMDR lines, a callmeter.yaml with a streaming section, and a
TCP sender."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import yaml

from tests.paths import FIXTURES


def mitel_line(
    extension: str = "214",
    digits: str = "909091234567",
    *,
    date: str = "03/04",
    clock: str = "10:15P",
    duration: str = "00:02:10",
    trunk: str = "T054",
) -> bytes:
    """An 88-column MiVB SMDR record of an outgoing call (docs/pbx-formats/mitel.md)."""
    line = (
        f" {date} {clock} {duration} {extension:<4}  {'':3} {digits:<26}A {trunk:<4}  "
        f"{'':4} {'':12} 000"
    )
    assert len(line) == 88, len(line)
    return line.encode() + b"\r\n"


def write_config(path: Path, streaming: dict[str, Any]) -> Path:
    """The test suite's callmeter.yaml plus a `streaming` section."""
    document = yaml.safe_load((FIXTURES / "callmeter.yaml").read_text(encoding="utf-8"))
    document["streaming"] = streaming
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def send(port: int, data: bytes, *, close: bool = True) -> socket.socket:
    """Connect to 127.0.0.1:port and send `data`; optionally keep the socket open."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(data)
    if close:
        sock.close()
    return sock
