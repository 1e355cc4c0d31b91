"""SIP message text: headers, compact forms, folding, URIs, stream framing."""

from __future__ import annotations

import pytest

from extractors.sip.message import (
    SipParseError,
    looks_like_sip,
    parse_message,
    parse_name_addr,
    sdp_codec,
    split_stream,
    uri_user_host,
)

COMPACT = (
    b"INVITE sip:%2B447700900461@sbc.example.net;user=phone SIP/2.0\r\n"
    b"v: SIP/2.0/TCP 192.0.2.10;branch=z9hG4bK-c1, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-old\r\n"
    b'f: "Sales <2>" <sip:205@pbx.example.com>;tag=abc\r\n'
    b"T: <tel:+447700900461;phone-context=example.com>\r\n"
    b"i: compact@192.0.2.10\r\n"
    b"cseq: 7 invite\r\n"
    b"Subject: a folded\r\n"
    b"  header line\r\n"
    b"l: 4\r\n\r\nbodyEXTRA"
)


def test_compact_and_lower_case_headers_and_folded_lines_are_read() -> None:
    message = parse_message(COMPACT)
    assert message.method == "INVITE"
    assert message.call_id == "compact@192.0.2.10"
    assert message.cseq == (7, "INVITE")
    assert message.branch == "z9hG4bK-c1"
    assert message.header("subject") == "a folded header line"
    assert message.body == b"body"  # Content-Length frames the body


def test_from_with_a_quoted_display_name_containing_angle_brackets() -> None:
    sender = parse_message(COMPACT).from_addr
    assert (sender.user, sender.host, sender.tag) == ("205", "pbx.example.com", "abc")


@pytest.mark.parametrize(
    ("uri", "user", "host"),
    [
        ("sip:%2B447700900461@sbc.example.net;user=phone", "+447700900461", "sbc.example.net"),
        ("sips:alice:secret@[2001:db8::1]:5061", "alice", "2001:db8::1"),
        ("tel:+441632960205;phone-context=x", "+441632960205", None),
        ("sip:pbx.example.com", None, "pbx.example.com"),
        ("mailto:someone@example.com", None, None),
        ("garbage", None, None),
    ],
)
def test_uri_user_and_host_lose_the_uri_syntax(
    uri: str, user: str | None, host: str | None
) -> None:
    assert uri_user_host(uri) == (user, host)


def test_a_name_addr_without_angle_brackets_keeps_its_tag() -> None:
    addr = parse_name_addr("sip:205@pbx.example.com;tag=xyz")
    assert (addr.user, addr.tag) == ("205", "xyz")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"INVITE sip:x@y SIP/2.0\r\nCall-ID: 1\r\n", "no blank line"),
        (b"HELLO\r\n\r\n", "not a SIP request or status line"),
        (b"SIP/2.0 200 OK\r\nCall-ID: 1\r\nFrom: a\r\nTo: b\r\n\r\n", "cseq"),
        (b"SIP/2.0 200 OK\r\nCall-ID: 1\r\nCSeq: x INVITE\r\nFrom: a\r\nTo: b\r\n\r\n", "bad CSeq"),
        (
            b"SIP/2.0 200 OK\r\nCall-ID: 1\r\nCSeq: 1 BYE\r\nFrom: a\r\nTo: b\r\nl: 99\r\n\r\nab",
            "truncated",
        ),
        (b"SIP/2.0 200 OK\r\n folded-first\r\n\r\n", "continuation line"),
        # a superscript digit (latin-1 0xb3) passes str.isdigit() but not int()
        (
            b"SIP/2.0 200 OK\r\nCall-ID: 1\r\nCSeq: 1 BYE\r\nFrom: a\r\nTo: b\r\nl: 0\xb3\r\n\r\n",
            "bad Content-Length",
        ),
        (b"SIP/2.0 200 OK\r\nCall-ID: 1\r\nCSeq: \xb3 BYE\r\nFrom: a\r\nTo: b\r\n\r\n", "bad CSeq"),
    ],
)
def test_broken_messages_raise_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(SipParseError, match=reason):
        parse_message(payload)


def test_split_stream_cuts_complete_messages_and_keeps_the_rest() -> None:
    one = b"SIP/2.0 100 Trying\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n"
    two = b"SIP/2.0 200 OK\r\nCall-ID: 1\r\nl: 3\r\n\r\nabc"
    messages, rest = split_stream(b"\r\n\r\n" + one + two + two[:20])
    assert messages == [one, two]
    assert rest == two[:20]


def test_looks_like_sip_recognises_requests_and_responses_only() -> None:
    assert looks_like_sip(b"OPTIONS sip:x SIP/2.0\r\n")
    assert looks_like_sip(b"SIP/2.0 486 Busy Here\r\n")
    assert not looks_like_sip(b"GET / HTTP/1.1\r\n")
    assert not looks_like_sip(b"\x80\x08\x00\x01")


def test_sdp_codec_names_the_first_audio_format() -> None:
    assert (
        sdp_codec(b"v=0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n")
        == "PCMU/8000"
    )
    assert sdp_codec(b"m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n") == "opus/48000/2"
    assert sdp_codec(b"m=video 5000 RTP/AVP 97\r\n") is None
