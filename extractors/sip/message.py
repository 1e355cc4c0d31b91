"""SIP message text: start line, headers (compact forms, case-insensitive, folded lines) and the
Content-Length framing that stream transports need (RFC 3261 sections 7 and 18.3).

scapy has no SIP layer, so this parses the UDP/TCP payload bytes itself. Everything here is pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

# RFC 3261 section 7.3.3 compact forms, plus the common extensions' ones.
_COMPACT: dict[str, str] = {
    "i": "call-id",
    "f": "from",
    "t": "to",
    "v": "via",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "e": "content-encoding",
    "k": "supported",
    "s": "subject",
    "o": "event",
    "r": "refer-to",
    "b": "referred-by",
    "x": "session-expires",
    "u": "allow-events",
    "y": "identity",
}
_REQUEST_LINE = re.compile(rb"^([A-Za-z][A-Za-z0-9.!%*_+`'~-]*) (\S+) SIP/2\.0\r?$")
_STATUS_LINE = re.compile(rb"^SIP/2\.0 ([1-6]\d\d)(?: (.*))?\r?$")
# A first line that claims to be SIP, even if the rest turns out to be broken.
_SIP_START = re.compile(rb"^(?:SIP/2\.0 |[A-Z]{3,12} \S+ SIP/2\.0\r?\n)")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_REQUIRED = ("call-id", "cseq", "from", "to")


class SipParseError(ValueError):
    """A payload that starts like SIP but cannot be read; the message says why."""


@dataclass(frozen=True, slots=True)
class NameAddr:
    """A From/To/P-Asserted-Identity value: the URI's user and host, and the header's tag."""

    user: str | None
    host: str | None
    tag: str | None
    uri: str


@dataclass(frozen=True, slots=True)
class SipMessage:
    """One parsed SIP request or response."""

    method: str | None  # requests only
    request_uri: str | None
    status: int | None  # responses only
    reason: str | None
    headers: dict[str, list[str]]  # lower-case full names; values in message order
    body: bytes
    text: str  # the whole message as text (latin-1 never fails; SIP is mostly ASCII)

    @property
    def is_request(self) -> bool:
        return self.method is not None

    @property
    def first_line(self) -> str:
        return self.text.split("\n", 1)[0].rstrip("\r")

    def header(self, name: str) -> str | None:
        """The first value of a header (full lower-case name), or None."""
        values = self.headers.get(name)
        return values[0] if values else None

    @property
    def call_id(self) -> str:
        return self.header("call-id") or ""

    @property
    def cseq(self) -> tuple[int, str]:
        """(sequence number, method) of the CSeq header."""
        value = self.header("cseq") or ""
        parts = value.split()
        if len(parts) != 2 or not _is_number(parts[0]):
            raise SipParseError(f"bad CSeq header {value!r}")
        return int(parts[0]), parts[1].upper()

    @property
    def from_addr(self) -> NameAddr:
        return parse_name_addr(self.header("from") or "")

    @property
    def to_addr(self) -> NameAddr:
        return parse_name_addr(self.header("to") or "")

    @property
    def branch(self) -> str:
        """The top Via's branch parameter ('' when absent)."""
        via = self.header("via") or ""
        top = via.split(",", 1)[0]
        for param in top.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "branch":
                return value.strip()
        return ""


def looks_like_sip(payload: bytes) -> bool:
    """True when the payload's first line is a SIP request or status line."""
    return bool(_SIP_START.match(payload[:256]))


def parse_message(payload: bytes) -> SipMessage:
    """Parse one complete SIP message.

    Args:
        payload: the message bytes (one UDP datagram, or one framed message from a stream).

    Returns:
        The parsed message.

    Raises:
        SipParseError: with the reason, for anything that is not a usable SIP message.
    """
    match = _HEADER_END.search(payload)
    if match is None:
        raise SipParseError("truncated SIP message: no blank line after the headers")
    head, body = payload[: match.start()], payload[match.end() :]
    lines = head.split(b"\n")
    first = lines[0].rstrip(b"\r")
    method = request_uri = reason = None
    status = None
    if request := _REQUEST_LINE.match(first):
        method = request.group(1).decode("ascii").upper()
        request_uri = request.group(2).decode("latin-1")
    elif response := _STATUS_LINE.match(first):
        status = int(response.group(1))
        reason = (response.group(2) or b"").decode("latin-1").strip()
    else:
        raise SipParseError(f"not a SIP request or status line: {_show(first)}")
    headers = _parse_headers(lines[1:])
    missing = [name for name in _REQUIRED if name not in headers]
    if missing:
        raise SipParseError(f"missing required header(s): {', '.join(missing)}")
    declared = headers.get("content-length")
    if declared:
        text_length = declared[0].strip()
        if not _is_number(text_length):
            raise SipParseError(f"bad Content-Length {text_length!r}")
        length = int(text_length)
        if length > len(body):
            raise SipParseError(
                f"truncated SIP message: Content-Length {length} but only {len(body)} body bytes"
            )
        body = body[:length]  # bytes after the declared body are not part of this message
    message = SipMessage(
        method=method,
        request_uri=request_uri,
        status=status,
        reason=reason,
        headers=headers,
        body=body,
        text=(head + b"\r\n\r\n" + body).decode("latin-1"),
    )
    message.cseq  # noqa: B018 -- validate now, so later code can rely on it
    return message


def _parse_headers(lines: list[bytes]) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    last: str | None = None
    for number, raw in enumerate(lines, start=2):
        line = raw.rstrip(b"\r").decode("latin-1")
        if not line:
            continue
        if line[0] in " \t":  # folded continuation of the previous header (RFC 3261 7.3.1)
            if last is None:
                raise SipParseError(f"line {number}: continuation line before any header")
            headers[last][-1] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        name = name.strip().lower()
        if not colon or not name or " " in name:
            raise SipParseError(f"line {number}: not a header: {_show(raw)}")
        name = _COMPACT.get(name, name)
        headers.setdefault(name, []).append(value.strip())
        last = name
    return headers


def split_stream(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Cut complete messages off the front of a stream buffer (TCP), by Content-Length.

    Leading CRLF keep-alives are skipped. A message without Content-Length is taken to have no
    body (RFC 3261 18.3 makes the header mandatory on streams).

    Returns:
        (complete messages, the remaining bytes that do not yet form a whole message).
    """
    messages: list[bytes] = []
    position = 0
    while True:
        while buffer.startswith(b"\r\n", position) or buffer.startswith(b"\n", position):
            position += 2 if buffer.startswith(b"\r\n", position) else 1
        match = _HEADER_END.search(buffer, position)
        if match is None:
            break
        length = _content_length(buffer[position : match.start()])
        end = match.end() + length
        if end > len(buffer):
            break
        messages.append(buffer[position:end])
        position = end
    return messages, buffer[position:]


def _content_length(head: bytes) -> int:
    for raw in head.split(b"\n")[1:]:
        name, colon, value = raw.partition(b":")
        if colon and name.strip().lower() in (b"content-length", b"l"):
            digits = value.strip()
            return int(digits) if digits.isdigit() else 0
    return 0


def parse_name_addr(value: str) -> NameAddr:
    """Split a From/To-style value (`"Name" <sip:user@host;p>;tag=x` or `sip:user@host;tag=x`)."""
    value = value.strip()
    params = ""
    if "<" in value:
        # Skip a quoted display name, which may itself contain '<'.
        start = 0
        if value.startswith('"'):
            close = value.find('"', 1)
            while close > 0 and value[close - 1] == "\\":
                close = value.find('"', close + 1)
            start = close + 1 if close > 0 else 0
        left = value.find("<", start)
        right = value.find(">", left)
        if left >= 0 and right > left:
            uri, params = value[left + 1 : right], value[right + 1 :]
        else:
            uri = value[left + 1 :] if left >= 0 else value
    else:
        uri, _, params = value.partition(";")
        params = ";" + params if params else ""
    tag = None
    for param in params.split(";"):
        name, _, param_value = param.partition("=")
        if name.strip().lower() == "tag":
            tag = param_value.strip() or None
    user, host = uri_user_host(uri)
    return NameAddr(user=user, host=host, tag=tag, uri=uri.strip())


def uri_user_host(uri: str) -> tuple[str | None, str | None]:
    """The user part (URI syntax and percent-escapes removed) and the host of a sip/sips/tel URI."""
    uri = uri.strip()
    scheme, colon, rest = uri.partition(":")
    if not colon:
        return None, None
    scheme = scheme.lower()
    if scheme == "tel":
        number = rest.split(";", 1)[0].strip()
        return (unquote(number) or None), None
    if scheme not in ("sip", "sips"):
        return None, None
    rest = rest.split("?", 1)[0]  # URI headers
    if "@" in rest:
        userinfo, _, hostport = rest.rpartition("@")
        user = userinfo.split(";", 1)[0].split(":", 1)[0]  # drop user params and password
    else:
        user, hostport = "", rest
    host = hostport.split(";", 1)[0]
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    else:
        host = host.split(":", 1)[0]
    return (unquote(user) or None), (host.lower() or None)


def _show(raw: bytes, limit: int = 80) -> str:
    text = raw.decode("latin-1")
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _is_number(text: str) -> bool:
    # str.isdigit() also accepts '³' and other digits int() refuses: ASCII only.
    return text.isascii() and text.isdigit()


_STATIC_PAYLOAD_TYPES = {
    0: "PCMU/8000",
    3: "GSM/8000",
    8: "PCMA/8000",
    9: "G722/8000",
    18: "G729/8000",
}


def sdp_codec(body: bytes) -> str | None:
    """The first audio codec of an SDP body (`m=audio` format list, named by `a=rtpmap` or the
    static payload types of RFC 3551), e.g. "PCMA/8000"; None without audio SDP."""
    text = body.decode("latin-1")
    first: int | None = None
    names: dict[int, str] = {}
    for line in text.splitlines():
        if line.startswith("m=audio ") and first is None:
            formats = line.split()[3:]
            if formats and _is_number(formats[0]):
                first = int(formats[0])
        elif line.startswith("a=rtpmap:"):
            number, _, name = line[len("a=rtpmap:") :].partition(" ")
            if _is_number(number):
                names[int(number)] = name.strip()
    if first is None:
        return None
    return names.get(first) or _STATIC_PAYLOAD_TYPES.get(first) or f"PT{first}"
