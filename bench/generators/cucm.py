"""Synthetic CUCM CDR files: the fixture's 133-column header and a realistic mix of calls.

`generate(n, seed)` returns the bytes of one CDR flat file (header line, types line, n records)
with outbound calls via a SIP trunk or gateway, inbound calls, internal calls, unanswered and busy
calls, transfer splits and recording forks. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import uuid

# The column set of a CUCM 12.x-15 CDR file (tests/fixtures/pbx/cucm/cdr.txt), in file order.
COLUMNS: tuple[str, ...] = tuple(
    """
cdrRecordType globalCallID_callManagerId globalCallID_callId origLegCallIdentifier
dateTimeOrigination origNodeId origSpan origIpAddr callingPartyNumber
callingPartyUnicodeLoginUserID origCause_location origCause_value origPrecedenceLevel
origMediaTransportAddress_IP origMediaTransportAddress_Port origMediaCap_payloadCapability
origMediaCap_maxFramesPerPacket origMediaCap_g723BitRate origVideoCap_Codec
origVideoCap_Bandwidth origVideoCap_Resolution origVideoTransportAddress_IP
origVideoTransportAddress_Port origRSVPAudioStat origRSVPVideoStat destLegIdentifier destNodeId
destSpan destIpAddr originalCalledPartyNumber finalCalledPartyNumber
finalCalledPartyUnicodeLoginUserID destCause_location destCause_value destPrecedenceLevel
destMediaTransportAddress_IP destMediaTransportAddress_Port destMediaCap_payloadCapability
destMediaCap_maxFramesPerPacket destMediaCap_g723BitRate destVideoCap_Codec
destVideoCap_Bandwidth destVideoCap_Resolution destVideoTransportAddress_IP
destVideoTransportAddress_Port destRSVPAudioStat destRSVPVideoStat dateTimeConnect
dateTimeDisconnect lastRedirectDn pkid originalCalledPartyNumberPartition
callingPartyNumberPartition finalCalledPartyNumberPartition lastRedirectDnPartition duration
origDeviceName destDeviceName origCallTerminationOnBehalfOf destCallTerminationOnBehalfOf
origCalledPartyRedirectOnBehalfOf lastRedirectRedirectOnBehalfOf origCalledPartyRedirectReason
lastRedirectRedirectReason destConversationId globalCallId_ClusterID joinOnBehalfOf comment
authCodeDescription authorizationLevel clientMatterCode origDTMFMethod destDTMFMethod
callSecuredStatus origConversationId origMediaCap_Bandwidth destMediaCap_Bandwidth
authorizationCodeValue outpulsedCallingPartyNumber outpulsedCalledPartyNumber origIpv4v6Addr
destIpv4v6Addr origVideoCap_Codec_Channel2 origVideoCap_Bandwidth_Channel2
origVideoCap_Resolution_Channel2 origVideoTransportAddress_IP_Channel2
origVideoTransportAddress_Port_Channel2 origVideoChannel_Role_Channel2
destVideoCap_Codec_Channel2 destVideoCap_Bandwidth_Channel2 destVideoCap_Resolution_Channel2
destVideoTransportAddress_IP_Channel2 destVideoTransportAddress_Port_Channel2
destVideoChannel_Role_Channel2 IncomingProtocolID IncomingProtocolCallRef OutgoingProtocolID
OutgoingProtocolCallRef currentRoutingReason origRoutingReason lastRedirectingRoutingReason
huntPilotPartition huntPilotDN calledPartyPatternUsage IncomingICID IncomingOrigIOI
IncomingTermIOI OutgoingICID OutgoingOrigIOI OutgoingTermIOI outpulsedOriginalCalledPartyNumber
outpulsedLastRedirectingNumber wasCallQueued totalWaitTimeInQueue callingPartyNumber_uri
originalCalledPartyNumber_uri finalCalledPartyNumber_uri lastRedirectDn_uri
mobileCallingPartyNumber finalMobileCalledPartyNumber origMobileDeviceName destMobileDeviceName
origMobileCallDuration destMobileCallDuration mobileCallType originalCalledPartyPattern
finalCalledPartyPattern lastRedirectingPartyPattern huntPilotPattern origDeviceType
destDeviceType origDeviceSessionID destDeviceSessionID
    """.split()  # noqa: SIM905
)
TYPES = "INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,VARCHAR(50),VARCHAR(128),INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,VARCHAR(64),VARCHAR(64),INTEGER,INTEGER,INTEGER,INTEGER,VARCHAR(50),VARCHAR(50),VARCHAR(128),INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,VARCHAR(64),VARCHAR(64),INTEGER,INTEGER,VARCHAR(50),UNIQUEIDENTIFIER,VARCHAR(50),VARCHAR(50),VARCHAR(50),VARCHAR(50),INTEGER,VARCHAR(129),VARCHAR(129),INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,VARCHAR(50),INTEGER,VARCHAR(2048),VARCHAR(50),INTEGER,VARCHAR(32),INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,VARCHAR(32),VARCHAR(50),VARCHAR(50),VARCHAR(64),VARCHAR(64),INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,INTEGER,VARCHAR(32),INTEGER,VARCHAR(32),INTEGER,INTEGER,INTEGER,VARCHAR(50),VARCHAR(50),INTEGER,VARCHAR(50),VARCHAR(50),VARCHAR(50),VARCHAR(50),VARCHAR(50),VARCHAR(50),VARCHAR(50),VARCHAR(50),INTEGER,INTEGER,VARCHAR(255),VARCHAR(255),VARCHAR(255),VARCHAR(255),VARCHAR(50),VARCHAR(50),VARCHAR(129),VARCHAR(129),INTEGER,INTEGER,INTEGER,VARCHAR(50),VARCHAR(50),VARCHAR(50),VARCHAR(50),VARCHAR(100),VARCHAR(100),VARCHAR(128),VARCHAR(128)"
_TYPES = TYPES.split(",")
_STRING = frozenset(name for name, kind in zip(COLUMNS, _TYPES, strict=True) if kind != "INTEGER")
_INDEX = {name: i for i, name in enumerate(COLUMNS)}
_DEFAULTS = {name: ("" if name in _STRING else "0") for name in COLUMNS}
_QUOTED = [(name, name in _STRING) for name in COLUMNS]

_TRUNKS = ("CUBE-SIP-LON", "SIP-GAMMA", "MGCP-GW1")
_START = 1_744_000_000  # 2025-04-07 UTC
_KINDS = (
    ("outbound", 35),
    ("inbound", 28),
    ("internal", 20),
    ("unanswered", 8),
    ("busy", 4),
    ("transfer_split", 3),
    ("recording_fork", 2),
)


def _phone(rng: random.Random) -> str:
    return f"SEP{rng.getrandbits(48):012X}"


def _extension(rng: random.Random) -> str:
    return str(rng.randint(5_033_460_000, 5_033_469_999))


def _external(rng: random.Random) -> str:
    return (
        rng.choice(("9", ""))
        + rng.choice(("01632960", "07700900", "0044207946", "001202555"))[:10]
        + str(rng.randint(100, 999))
    )


def _record(i: int, rng: random.Random) -> list[str]:
    values = dict(_DEFAULTS)
    kind = rng.choices([k for k, _ in _KINDS], weights=[w for _, w in _KINDS])[0]
    start = _START + i * 3 + rng.randint(0, 2)
    ring = rng.randint(0, 25)
    talk = rng.randint(1, 1800)
    leg = 40_000_000 + 2 * i
    values.update(
        cdrRecordType="1",
        globalCallID_callManagerId=str(rng.randint(1, 4)),
        globalCallID_callId=str(20_000 + i),
        origLegCallIdentifier=str(leg),
        destLegIdentifier=str(leg + 1),
        dateTimeOrigination=str(start),
        globalCallId_ClusterID="StandAloneCluster",
        pkid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        origNodeId="1",
        destNodeId="1",
        origIpAddr=str(rng.randint(-(2**31), 2**31 - 1)),
        origPrecedenceLevel="4",
        destPrecedenceLevel="4",
        origMediaCap_payloadCapability="4",
        destMediaCap_payloadCapability="4",
        origDeviceSessionID=uuid.UUID(int=rng.getrandbits(128)).hex,
    )
    caller, called = _extension(rng), _extension(rng)
    orig_device, dest_device = _phone(rng), _phone(rng)
    connect, cause = start + ring, 16
    if kind == "outbound":
        called, dest_device = _external(rng), rng.choice(_TRUNKS)
        values["outpulsedCalledPartyNumber"] = called.removeprefix("9")
        values["clientMatterCode"] = rng.choice(("", "", "", "4711"))
    elif kind == "inbound":
        caller, orig_device = _external(rng), rng.choice(_TRUNKS)
        values["huntPilotDN"] = rng.choice(("", "", "5033460000"))
    elif kind in ("unanswered", "busy"):
        connect, talk = 0, 0
        cause = 17 if kind == "busy" else rng.choice((16, 19, 0))
        if rng.random() < 0.5:
            called, dest_device = _external(rng), rng.choice(_TRUNKS)
    elif kind == "transfer_split":
        cause = 393_216
        values["origCallTerminationOnBehalfOf"] = "10"
    elif kind == "recording_fork":
        caller = f"b00{rng.randint(10**12, 10**13 - 1)}"
        called, dest_device, connect, talk, cause = "5030079981", "", 0, 0, 1_459_617_833
        for name in ("origCalledPartyRedirectOnBehalfOf", "lastRedirectRedirectOnBehalfOf"):
            values[name] = "27"
        for name in ("origCalledPartyRedirectReason", "lastRedirectRedirectReason"):
            values[name] = "354"
        values["origConversationId"] = str(leg - 2)
    end = (connect + talk) if connect else start + ring
    values.update(
        callingPartyNumber=caller,
        originalCalledPartyNumber=called,
        finalCalledPartyNumber=called,
        origDeviceName=orig_device,
        destDeviceName=dest_device,
        dateTimeConnect=str(connect),
        dateTimeDisconnect=str(end),
        duration=str(talk),
        origCause_value="16" if connect else "0",
        destCause_value="0" if connect and cause == 16 else str(cause),
        callingPartyNumberPartition="OnNet",
        finalCalledPartyNumberPartition="PSTN" if dest_device in _TRUNKS else "OnNet",
    )
    if rng.random() < 0.05:  # a comment with commas inside the quotes
        values["comment"] = 'CallFlag=MALICIOUS,ConfRequestorDN=5033460001,note=""x""'
    return [f'"{values[name]}"' if quoted else values[name] for name, quoted in _QUOTED]


def generate(n: int, seed: int = 0) -> bytes:
    """Return one synthetic CUCM CDR file.

    Args:
        n: How many CDR records (lines after the header and types lines).
        seed: Seed of the random mix; the same (n, seed) gives the same bytes.

    Returns:
        The file's bytes, UTF-8, LF line ends, no newline after the last record (as CUCM).
    """
    rng = random.Random(seed)
    lines = [",".join(f'"{name}"' for name in COLUMNS), TYPES]
    lines.extend(",".join(_record(i, rng)) for i in range(n))
    return "\n".join(lines).encode()
