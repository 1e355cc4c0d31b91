"""The streaming SIP dialog tracker: SIP messages in, one at a time; call events out as they happen.

    tracker = DialogTracker(ctx)
    events = tracker.feed(timestamp, ("192.0.2.10", 5060), ("198.51.100.7", 5060), payload)
    events += tracker.expire(now)      # closes dialogs whose timers ran out
    events += tracker.flush(end)       # end of a capture: closes everything still open

Events: `call_start` (first INVITE of a leg), `call_answer` (first 2xx to it), `call_end` (BYE,
final failure, CANCEL + final response, or a timeout; carries the CallLeg) and `reject` (a
Rejected record: malformed SIP, a dialog whose INVITE is not in the capture, a dialog with
implausible timestamps). Every leg that was started ends as exactly one `call_end` or `reject`.
The rules are in docs/parsers/sip.md."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any, Literal

from callmeter.legs import CallLeg, Direction, Disposition, Rejected

from .capture import Endpoint
from .message import (
    SipMessage,
    SipParseError,
    looks_like_sip,
    parse_message,
    parse_name_addr,
    sdp_codec,
    uri_user_host,
)
from .rules import Parties, SiteRules

EventKind = Literal["call_start", "call_answer", "call_end", "reject"]
ClosedBy = Literal["bye", "final_response", "timeout", "capture_end"]

DIALOG_TIMEOUT_SECONDS = (
    4 * 3600
)  # an answered call with no BYE (capture loss) is closed after this
AUTH_RETRY_SECONDS = 300  # wait this long after a 401/407 for the authenticated retry
CANCEL_TIMEOUT_SECONDS = 32  # 64*T1: wait for the final response after a CANCEL
LINGER_SECONDS = 300  # keep closed dialogs to absorb late retransmissions and responses
B2BUA_WINDOW_SECONDS = 2.0
CORRELATION_HEADERS = ("session-id", "x-correlation-id", "x-original-call-id", "x-call-id")
_EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)  # before SIP existed: a broken capture clock
_BACKWARDS_TOLERANCE = timedelta(seconds=1)  # reordering between capture interfaces
_CALL_METHODS = frozenset({"INVITE", "ACK", "BYE", "CANCEL", "PRACK", "UPDATE"})
_BUSY = frozenset({486, 600, 603})
_NO_ANSWER = frozenset({408, 480, 487})
_AUTH = frozenset({401, 407})
_Q850 = re.compile(r"Q\.850\s*;.*?cause\s*=\s*(\d+)", re.IGNORECASE)
_MAX_LADDER = 100


@dataclass(frozen=True, slots=True)
class SipEvent:
    """Something that happened to a call, at capture time `at`."""

    kind: EventKind
    at: datetime
    source_record_id: str
    call_id: str = ""  # the correlated call (B2BUA legs share it)
    sip_call_id: str = ""
    direction: Direction = "unknown"
    calling_number: str | None = None
    called_number: str | None = None
    extension: str | None = None
    trunk: str | None = None
    leg: CallLeg | None = None  # call_end
    rejected: Rejected | None = None  # reject


@dataclass(slots=True, eq=False)  # identity semantics: dialogs are compared with `is`
class _Dialog:
    sip_call_id: str
    from_tag: str
    source_record_id: str
    call_id: str
    started_at: datetime
    caller: Endpoint
    callee: Endpoint
    transport: str
    invite: SipMessage
    parties: Parties
    direction: Direction
    extension: str | None
    trunk: str | None
    correlation_keys: set[str]
    invite_cseqs: set[int]
    last_at: datetime
    state: Literal["setup", "challenged", "cancelled", "answered"] = "setup"
    ringing_at: datetime | None = None
    early_media: bool = False
    answered_at: datetime | None = None
    to_tag: str | None = None
    cancel_at: datetime | None = None
    final: tuple[int, str, datetime] | None = None
    challenges: int = 0
    bye: tuple[datetime, str, str | None] | None = None  # when, who, Q.850 cause
    seen: set[tuple[Any, ...]] = field(default_factory=set)
    retransmissions: int = 0
    messages: int = 0
    ladder: list[str] = field(default_factory=list)
    time_problem: str | None = None
    linked: tuple[str, str] | None = None  # (source_record_id, rule)
    codec: str | None = None


@dataclass(slots=True)
class _Closed:
    dialog: _Dialog
    last_at: datetime


@dataclass(slots=True)
class _Orphan:
    first_frame: int | None
    first_at: datetime
    last_at: datetime
    lines: list[str]
    raw: str


class DialogTracker:
    """Consumes SIP messages one at a time and emits SipEvents as calls start, answer and end.

    Args:
        capture_point: the sensor id or capture file name; it prefixes every source_record_id so
            the same call seen at two capture points gives two records.
        rules: the site rules (direction, extension, trunk).
        options: the site's `formats.sip` options (timeouts, B2BUA window, correlation headers).
        latest_plausible: packets after this time are implausible (file parsing passes
            ctx.now + 1 day; live capture passes None).
        file_name: copied into rejected records.
        live: True for a long-running capture (forget Call-IDs after the linger time); False
            for a file, where every leg keeps a unique source_record_id.
    """

    def __init__(
        self,
        capture_point: str = "sip",
        rules: SiteRules | None = None,
        options: Mapping[str, Any] | None = None,
        latest_plausible: datetime | None = None,
        file_name: str | None = None,
        live: bool = True,
    ) -> None:
        options = options or {}
        self.live = live
        self.capture_point = capture_point
        self.rules = rules or SiteRules()
        self.file_name = file_name
        self.latest_plausible = latest_plausible
        self.dialog_timeout = timedelta(
            seconds=float(options.get("dialog_timeout_seconds", DIALOG_TIMEOUT_SECONDS))
        )
        self.auth_retry = timedelta(
            seconds=float(options.get("auth_retry_seconds", AUTH_RETRY_SECONDS))
        )
        self.cancel_timeout = timedelta(
            seconds=float(options.get("cancel_timeout_seconds", CANCEL_TIMEOUT_SECONDS))
        )
        self.linger = timedelta(seconds=float(options.get("linger_seconds", LINGER_SECONDS)))
        self.b2bua_window = timedelta(
            seconds=float(options.get("b2bua_window_seconds", B2BUA_WINDOW_SECONDS))
        )
        headers = options.get("correlation_headers", CORRELATION_HEADERS)
        self.correlation_headers = tuple(str(h).lower() for h in headers)
        self._open: dict[str, _Dialog] = {}
        self._closed: dict[str, _Closed] = {}
        self._orphans: dict[str, _Orphan] = {}
        self._correlation: dict[str, _Dialog] = {}  # correlation key -> a dialog of the call
        self._legs_per_call_id: dict[str, int] = {}
        self._next_expiry: datetime | None = None
        # Open dialogs by the last digits of the called number: B2BUA candidates, found fast.
        self._by_called: dict[str, list[_Dialog]] = {}
        self.stats: dict[str, int] = {
            "sip_messages": 0,
            "malformed": 0,
            "retransmissions": 0,
            "non_call_sip": 0,
            "orphan_dialogs": 0,
            "legs": 0,
        }

    @classmethod
    def from_context(cls, ctx: Any, *, live: bool = False) -> DialogTracker:
        """A tracker configured from a ParseContext (its options are the site's `formats.sip`)."""
        options = dict(ctx.options)
        capture_point = options.get("capture_point") or (
            PurePath(ctx.file_name).name if ctx.file_name else "sip"
        )
        return cls(
            capture_point=str(capture_point),
            rules=SiteRules.from_options(options, ctx.trunk_devices),
            options=options,
            latest_plausible=None if live else ctx.now + timedelta(days=1),
            file_name=ctx.file_name,
            live=live,
        )

    @property
    def open_dialogs(self) -> int:
        return len(self._open)

    # -- input ---------------------------------------------------------------------------------

    def feed(
        self,
        timestamp: datetime | float | Decimal,
        src: Endpoint,
        dst: Endpoint,
        payload: bytes,
        *,
        transport: str = "udp",
        frame: int | None = None,
    ) -> list[SipEvent]:
        """Process one SIP message (one UDP datagram or one framed stream message).

        Args:
            timestamp: capture time (UTC datetime, or epoch seconds).
            src: (IP, port) the message came from.
            dst: (IP, port) it went to.
            payload: the message bytes.
            transport: "udp" or "tcp", recorded on the leg.
            frame: the packet number in the capture, for reject line numbers.

        Returns:
            The events this message caused (often none).
        """
        at = to_utc(timestamp)
        events: list[SipEvent] = []
        if self._next_expiry is None or at >= self._next_expiry:
            # Timers are checked at most once a second of capture time: the outcome of a dialog
            # does not depend on it (_update checks that dialog's own timer first).
            events = self.expire(at)
            self._next_expiry = at + timedelta(seconds=1)
        try:
            message = parse_message(payload)
        except SipParseError as error:
            self.stats["malformed"] += 1
            what = "malformed SIP message" if looks_like_sip(payload) else "not a SIP message"
            events.append(
                self._reject(
                    at,
                    f"frame:{frame}" if frame else f"at:{at.isoformat()}",
                    f"{what}: {error}",
                    payload,
                    frame,
                )
            )
            return events
        self.stats["sip_messages"] += 1
        sip_call_id = message.call_id
        cseq_number, cseq_method = message.cseq
        dialog = self._open.get(sip_call_id)
        if dialog is not None:
            events.extend(self._update(dialog, message, at, src, dst, cseq_number, cseq_method))
            return events
        closed = self._closed.get(sip_call_id)
        if closed is not None and not self._starts_new_leg(closed.dialog, message, cseq_number):
            closed.last_at = max(closed.last_at, at)
            return events
        if message.method == "INVITE" and message.to_addr.tag is None:
            events.extend(self._start(message, at, src, dst, transport, cseq_number))
            return events
        if cseq_method in _CALL_METHODS:
            self._orphan(sip_call_id, message, at, frame)
        else:
            self.stats["non_call_sip"] += 1  # REGISTER, OPTIONS, SUBSCRIBE, ...: not calls
        return events

    def expire(self, now: datetime | float | Decimal) -> list[SipEvent]:
        """Close the dialogs whose timers ran out by `now`; forget lingering closed dialogs."""
        at = to_utc(now)
        events: list[SipEvent] = []
        for dialog in [d for d in self._open.values() if self._deadline(d) <= at]:
            events.append(self._close(dialog, "timeout"))
        for sip_call_id in [k for k, c in self._closed.items() if c.last_at + self.linger <= at]:
            self._forget(self._closed.pop(sip_call_id).dialog)
            if self.live and sip_call_id not in self._open:
                # Bounded memory for a long-running sidecar. The price: the same Call-ID and
                # From-tag seen again after the linger time gets the same source_record_id.
                self._legs_per_call_id.pop(sip_call_id, None)
        for sip_call_id in [k for k, o in self._orphans.items() if o.last_at + self.linger <= at]:
            events.append(self._orphan_reject(sip_call_id, self._orphans.pop(sip_call_id)))
        return events

    def flush(self, end: datetime | float | Decimal | None = None) -> list[SipEvent]:
        """The capture is over: close every open dialog and report every orphan.

        A dialog whose timer ran out by `end` is closed_by "timeout", the rest "capture_end".
        """
        events = self.expire(end) if end is not None else []
        for dialog in list(self._open.values()):
            events.append(self._close(dialog, "capture_end"))
        for sip_call_id, orphan in list(self._orphans.items()):
            events.append(self._orphan_reject(sip_call_id, orphan))
        self._orphans.clear()
        self._closed.clear()
        self._correlation.clear()
        self._legs_per_call_id.clear()
        return events

    # -- dialog life ---------------------------------------------------------------------------

    def _start(
        self,
        message: SipMessage,
        at: datetime,
        src: Endpoint,
        dst: Endpoint,
        transport: str,
        cseq_number: int,
    ) -> list[SipEvent]:
        sender = message.from_addr
        pai = message.header("p-asserted-identity")
        pai_user = parse_name_addr(pai.split(",", 1)[0]).user if pai else None
        ruri_user, ruri_host = uri_user_host(message.request_uri or "")
        parties = Parties(
            caller_ip=src[0],
            callee_ip=dst[0],
            from_user=sender.user,
            from_host=sender.host,
            calling_number=pai_user or sender.user,
            called_number=ruri_user or message.to_addr.user,
            request_host=ruri_host,
        )
        placement = self.rules.place(parties)
        sip_call_id = message.call_id
        count = self._legs_per_call_id.get(sip_call_id, 0) + 1
        self._legs_per_call_id[sip_call_id] = count
        record_id = f"{self.capture_point}:{sip_call_id}:{sender.tag or ''}"
        if count > 1:
            record_id += f":{count}"
        keys = {sip_call_id}
        for name in self.correlation_headers:
            for value in message.headers.get(name, []):
                token = value.split(";", 1)[0].strip()
                if token and set(token) != {"0"}:  # Session-ID's all-zero "unknown" value
                    keys.add(token)
        dialog = _Dialog(
            sip_call_id=sip_call_id,
            from_tag=sender.tag or "",
            source_record_id=record_id,
            call_id=sip_call_id,
            started_at=at,
            caller=src,
            callee=dst,
            transport=transport,
            invite=message,
            parties=parties,
            direction=placement.direction,
            extension=placement.extension,
            trunk=placement.trunk,
            correlation_keys=keys,
            invite_cseqs={cseq_number},
            last_at=at,
        )
        if at < _EARLIEST or (self.latest_plausible is not None and at > self.latest_plausible):
            dialog.time_problem = f"implausible capture time {at.isoformat()}"
        self._link(dialog)
        dialog.seen.add(_transaction_key(message, src))
        dialog.messages = 1
        dialog.ladder.append(f"+0.000 {_where(src)}>{_where(dst)} {message.first_line}")
        self._open[sip_call_id] = dialog
        self._by_called.setdefault(_number_key(parties.called_number), []).append(dialog)
        return [self._event("call_start", dialog, at)]

    def _link(self, dialog: _Dialog) -> None:
        """B2BUA correlation: join the call of an earlier leg (docs/parsers/sip.md)."""
        for key in dialog.correlation_keys:
            other = self._correlation.get(key)
            if other is not None and other.sip_call_id != dialog.sip_call_id:
                dialog.call_id = other.call_id
                dialog.linked = (other.source_record_id, "header")
                break
        else:
            best: _Dialog | None = None
            for other in self._by_called.get(_number_key(dialog.parties.called_number), ()):
                if (
                    other.sip_call_id != dialog.sip_call_id
                    and timedelta(0) <= dialog.started_at - other.started_at <= self.b2bua_window
                    and _same_number(other.parties.calling_number, dialog.parties.calling_number)
                    and _same_number(other.parties.called_number, dialog.parties.called_number)
                    and (best is None or _adjacent(other, dialog) >= _adjacent(best, dialog))
                ):
                    best = other
            if best is not None:
                dialog.call_id = best.call_id
                dialog.linked = (best.source_record_id, "numbers_and_time")
        for key in dialog.correlation_keys:
            self._correlation.setdefault(key, dialog)

    def _update(
        self,
        dialog: _Dialog,
        message: SipMessage,
        at: datetime,
        src: Endpoint,
        dst: Endpoint,
        cseq_number: int,
        cseq_method: str,
    ) -> list[SipEvent]:
        if self._deadline(dialog) <= at:  # its timer ran out before this message: deterministic
            events = [self._close(dialog, "timeout")]
            closed = self._closed.get(dialog.sip_call_id)
            if closed is not None and self._starts_new_leg(dialog, message, cseq_number):
                events.extend(self._start(message, at, src, dst, dialog.transport, cseq_number))
            return events
        key = _transaction_key(message, src)
        if key in dialog.seen:
            dialog.retransmissions += 1
            self.stats["retransmissions"] += 1
            return []
        dialog.seen.add(key)
        dialog.messages += 1
        if at < dialog.last_at - _BACKWARDS_TOLERANCE and dialog.time_problem is None:
            dialog.time_problem = (
                f"capture time goes backwards within the dialog ({at.isoformat()} after "
                f"{dialog.last_at.isoformat()})"
            )
        dialog.last_at = max(dialog.last_at, at)
        # Within the reordering tolerance a packet may predate the INVITE: the leg's times
        # never do.
        at = max(at, dialog.started_at)
        if len(dialog.ladder) < _MAX_LADDER:
            offset = (at - dialog.started_at).total_seconds()
            dialog.ladder.append(f"{offset:+.3f} {_where(src)}>{_where(dst)} {message.first_line}")
        if message.is_request:
            return self._request(dialog, message, at, cseq_number)
        if cseq_method == "INVITE":
            return self._invite_response(dialog, message, at, cseq_number)
        return []

    def _request(
        self, dialog: _Dialog, message: SipMessage, at: datetime, cseq_number: int
    ) -> list[SipEvent]:
        method = message.method
        if method == "INVITE":
            if dialog.state == "answered":
                return []  # a re-INVITE (hold, codec change) is not a new leg
            dialog.invite_cseqs.add(cseq_number)
            if dialog.state == "challenged":  # the authenticated retry: same attempt
                dialog.state = "setup"
                dialog.final = None
            return []
        if method == "CANCEL" and dialog.state != "answered":
            if dialog.cancel_at is None:
                dialog.cancel_at = at
            dialog.state = "cancelled"
            return []
        if method == "BYE":
            who = "caller" if message.from_addr.tag == dialog.from_tag else "callee"
            reason = message.header("reason") or ""
            cause = _Q850.search(reason)
            dialog.bye = (at, who, cause.group(1) if cause else None)
            return [self._close(dialog, "bye")]
        return []

    def _invite_response(
        self, dialog: _Dialog, message: SipMessage, at: datetime, cseq_number: int
    ) -> list[SipEvent]:
        status = message.status or 0
        if dialog.state == "answered" or cseq_number not in dialog.invite_cseqs:
            return []  # responses to re-INVITEs, or to INVITEs we never saw
        if status in (180, 181, 182, 183):
            if dialog.ringing_at is None:
                dialog.ringing_at = at
            dialog.early_media = dialog.early_media or status == 183
            return []
        if status < 200:
            return []
        if status < 300:
            dialog.state = "answered"
            dialog.answered_at = at
            dialog.to_tag = message.to_addr.tag
            dialog.codec = sdp_codec(message.body)  # the SDP answer's first audio codec
            dialog.final = (status, message.reason or "", at)
            return [self._event("call_answer", dialog, at)]
        dialog.final = (status, message.reason or "", at)
        if status in _AUTH:
            dialog.challenges += 1
            dialog.state = "challenged"
            return []
        return [self._close(dialog, "final_response")]

    def _deadline(self, dialog: _Dialog) -> datetime:
        if dialog.state == "challenged" and dialog.final is not None:
            return dialog.final[2] + self.auth_retry
        if dialog.state == "cancelled":
            return dialog.last_at + self.cancel_timeout
        return dialog.last_at + self.dialog_timeout

    def _starts_new_leg(self, previous: _Dialog, message: SipMessage, cseq_number: int) -> bool:
        return (
            message.method == "INVITE"
            and message.to_addr.tag is None
            and cseq_number > max(previous.invite_cseqs)
            and previous.answered_at is None
        )

    def _close(self, dialog: _Dialog, closed_by: ClosedBy) -> SipEvent:
        # Linger counts from the close (the timer's expiry for a timeout), not the last packet.
        closed_at = self._deadline(dialog) if closed_by == "timeout" else dialog.last_at
        del self._open[dialog.sip_call_id]
        key = _number_key(dialog.parties.called_number)
        same_number = self._by_called.get(key, [])
        if dialog in same_number:
            same_number.remove(dialog)
        if not same_number:
            self._by_called.pop(key, None)
        self._closed[dialog.sip_call_id] = _Closed(dialog, max(dialog.last_at, closed_at))
        disposition, ended_at, state = self._outcome(dialog)
        if dialog.time_problem is not None:
            reject = Rejected(
                source_format="sip",
                record_id=dialog.source_record_id,
                reason=f"SIP dialog {dialog.sip_call_id}: {dialog.time_problem}",
                raw=dialog.invite.text,
                file_name=self.file_name,
            )
            return SipEvent(
                kind="reject",
                at=ended_at,
                source_record_id=dialog.source_record_id,
                call_id=dialog.call_id,
                sip_call_id=dialog.sip_call_id,
                rejected=reject,
            )
        answered_at = dialog.answered_at
        ring_end = answered_at or ended_at
        final = dialog.final
        extra: dict[str, Any] = {
            "sip_call_id": dialog.sip_call_id,
            "from_tag": dialog.from_tag,
            "to_tag": dialog.to_tag,
            "capture_point": self.capture_point,
            "transport": dialog.transport,
            "caller_address": _where(dialog.caller),
            "callee_address": _where(dialog.callee),
            "closed_by": closed_by,
            "state_at_close": state,
            "sip_status": final[0] if final else None,
            "sip_reason": final[1] if final else None,
            "cancelled": dialog.cancel_at is not None,
            "ringing_at": dialog.ringing_at,
            "early_media": dialog.early_media,
            "auth_challenges": dialog.challenges,
            "invite_attempts": len(dialog.invite_cseqs),
            "retransmissions": dialog.retransmissions,
            "messages": dialog.messages,
            "hangup_by": dialog.bye[1] if dialog.bye else None,
            "q850_cause": dialog.bye[2] if dialog.bye else None,
            "linked_to": dialog.linked[0] if dialog.linked else None,
            "linked_by": dialog.linked[1] if dialog.linked else None,
            "user_agent": dialog.invite.header("user-agent"),
            "codec": dialog.codec,
            "ladder": dialog.ladder,
        }
        leg = CallLeg(
            source_format="sip",
            source_record_id=dialog.source_record_id,
            call_id=dialog.call_id,
            started_at=dialog.started_at,
            answered_at=answered_at,
            ended_at=ended_at,
            ring_seconds=_whole_seconds(ring_end - dialog.started_at),
            duration_seconds=_whole_seconds(ended_at - answered_at) if answered_at else 0,
            direction=dialog.direction,
            disposition=disposition,
            calling_number=dialog.parties.calling_number,
            called_number=dialog.parties.called_number,
            extension=dialog.extension,
            trunk=None if dialog.direction == "internal" else dialog.trunk,
            account_code=None,
            raw=dialog.invite.text,
            extra=extra,
        )
        self.stats["legs"] += 1
        return self._event("call_end", dialog, ended_at, leg=leg)

    def _outcome(self, dialog: _Dialog) -> tuple[Disposition, datetime, str]:
        """(disposition, ended_at, state description) of a dialog being closed."""
        if dialog.answered_at is not None:
            ended = dialog.bye[0] if dialog.bye else dialog.last_at
            return "answered", max(ended, dialog.answered_at), "answered"
        if dialog.bye is not None:  # BYE on an early dialog
            return "no_answer", dialog.bye[0], "early"
        candidates = [t for t in (dialog.cancel_at, dialog.final[2] if dialog.final else None) if t]
        ended = min(candidates) if candidates else dialog.last_at
        if dialog.cancel_at is not None:
            return "no_answer", ended, "cancelled"
        if dialog.final is not None:
            status = dialog.final[0]
            if status in _AUTH:
                return "failed", ended, "challenged"  # the retry never came
            if status in _BUSY:
                return "busy", ended, "final_response"
            if status in _NO_ANSWER:
                return "no_answer", ended, "final_response"
            return "failed", ended, "final_response"
        if dialog.ringing_at is not None:
            return "no_answer", ended, "ringing"
        return "failed", ended, "setup"

    def _forget(self, dialog: _Dialog) -> None:
        for key in dialog.correlation_keys:
            if self._correlation.get(key) is dialog:
                del self._correlation[key]

    # -- orphans and rejects -------------------------------------------------------------------

    def reject_wire(
        self, at: datetime | float | Decimal, reason: str, raw: bytes, frame: int | None = None
    ) -> SipEvent:
        """A reject event for bytes the capture layer could not turn into a SIP message."""
        self.stats["malformed"] += 1
        suffix = f"frame:{frame}" if frame else "capture"
        return self._reject(to_utc(at), suffix, reason, raw, frame)

    def _orphan(
        self, sip_call_id: str, message: SipMessage, at: datetime, frame: int | None
    ) -> None:
        orphan = self._orphans.get(sip_call_id)
        if orphan is None:
            orphan = _Orphan(frame, at, at, [], message.text)
            self._orphans[sip_call_id] = orphan
        orphan.last_at = max(orphan.last_at, at)
        if len(orphan.lines) < 20:
            orphan.lines.append(message.first_line)

    def _orphan_reject(self, sip_call_id: str, orphan: _Orphan) -> SipEvent:
        self.stats["orphan_dialogs"] += 1
        record_id = f"{self.capture_point}:{sip_call_id}:orphan"
        summary = "; ".join(orphan.lines[:5]) + (" …" if len(orphan.lines) > 5 else "")
        reason = (
            f"SIP dialog {sip_call_id}: its INVITE is not in the capture "
            f"(started before it?); {len(orphan.lines)} message(s): {summary}"
        )
        return SipEvent(
            kind="reject",
            at=orphan.first_at,
            source_record_id=record_id,
            sip_call_id=sip_call_id,
            rejected=Rejected(
                "sip", record_id, reason, orphan.raw, orphan.first_frame, self.file_name
            ),
        )

    def _reject(
        self, at: datetime, suffix: str, reason: str, payload: bytes, frame: int | None
    ) -> SipEvent:
        record_id = f"{self.capture_point}:{suffix}"
        rejected = Rejected(
            "sip", record_id, reason, payload.decode("latin-1"), frame, self.file_name
        )
        return SipEvent(kind="reject", at=at, source_record_id=record_id, rejected=rejected)

    def _event(
        self, kind: EventKind, dialog: _Dialog, at: datetime, leg: CallLeg | None = None
    ) -> SipEvent:
        return SipEvent(
            kind=kind,
            at=at,
            source_record_id=dialog.source_record_id,
            call_id=dialog.call_id,
            sip_call_id=dialog.sip_call_id,
            direction=dialog.direction,
            calling_number=dialog.parties.calling_number,
            called_number=dialog.parties.called_number,
            extension=dialog.extension,
            trunk=dialog.trunk,
            leg=leg,
        )


def to_utc(value: datetime | float | Decimal) -> datetime:
    """A capture timestamp as a tz-aware UTC datetime (epoch seconds are taken as UTC)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: capture timestamps must be tz-aware UTC")
        return value.astimezone(UTC)
    exact = Decimal(str(value))
    seconds = int(exact // 1)
    micros = int((exact - seconds) * 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


def _transaction_key(message: SipMessage, src: Endpoint) -> tuple[Any, ...]:
    """Retransmissions repeat the Via branch, CSeq and (responses) status."""
    number, method = message.cseq
    if message.is_request:
        return ("request", message.method, message.branch, number, method, message.from_addr.tag)
    return ("response", message.status, message.branch, number, method, message.to_addr.tag, src)


def _whole_seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 1))  # floor, as CUCM rounds (pbx-formats README)


def _digits(number: str | None) -> str:
    return "".join(ch for ch in number or "" if "0" <= ch <= "9")


def _number_key(number: str | None) -> str:
    """The last 6 digits: numbers that _same_number() matches share it."""
    return _digits(number)[-6:]


def _same_number(left: str | None, right: str | None) -> bool:
    """Equal, or one ends with the other (a prefix added or stripped by the B2BUA), >= 6 digits."""
    a, b = _digits(left), _digits(right)
    if not a or not b:
        return False
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 6 and long.endswith(short)


def _adjacent(first: _Dialog, second: _Dialog) -> int:
    """1 when the second leg leaves the host the first leg went to (a B2BUA hop)."""
    return int(first.callee[0] == second.caller[0])


def _where(endpoint: Endpoint) -> str:
    host, port = endpoint
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
