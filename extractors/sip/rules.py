"""Site rules for SIP legs: which party is inside, the leg's direction, extension and trunk.

Configuration comes from the site's `formats.sip` options (ParseContext.options) and the site's
trunk devices (ParseContext.trunk_devices); docs/parsers/sip.md explains the rule."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from callmeter.legs import Direction

DEFAULT_EXTENSION_DIGITS = 5


@dataclass(frozen=True, slots=True)
class Parties:
    """What the first INVITE says about the two parties of a leg."""

    caller_ip: str
    callee_ip: str
    from_user: str | None
    from_host: str | None
    calling_number: str | None  # P-Asserted-Identity user, else From user
    called_number: str | None  # Request-URI user, else To user
    request_host: str | None


@dataclass(frozen=True, slots=True)
class Placement:
    direction: Direction
    extension: str | None
    trunk: str | None


class SiteRules:
    """Direction from trunk peers first, then from numbers.

    1. The callee (INVITE destination IP or Request-URI host) is a trunk peer and the caller is
       not: outbound. The caller (source IP or From host) is a trunk peer and the callee is not:
       inbound.
    2. Otherwise by numbers: callee and caller both match an extension pattern: internal;
       the callee does: inbound.
    3. If internal networks are configured and the caller's IP is outside them: inbound.
    4. Otherwise outbound (the callee is not a site extension).
    """

    def __init__(
        self,
        extension_patterns: Iterable[str] = (),
        internal_networks: Iterable[str] = (),
        trunk_peers: Iterable[str] = (),
        extension_digits: int = DEFAULT_EXTENSION_DIGITS,
    ) -> None:
        patterns = list(extension_patterns) or [rf"\d{{1,{extension_digits}}}"]
        self._extensions = [re.compile(pattern) for pattern in patterns]
        self._networks = [ipaddress.ip_network(net, strict=False) for net in internal_networks]
        self._peers = {peer.lower(): peer for peer in trunk_peers}

    @classmethod
    def from_options(cls, options: Mapping[str, Any], trunk_devices: Iterable[str]) -> SiteRules:
        """Build from `formats.sip` options: extension_patterns (regexes, full match),
        extension_digits (default 5, used when no pattern is given), internal_networks (CIDRs
        of the PBX and phones), trunk_addresses (IPs or host names of trunk peers, added to the
        site's trunk devices)."""
        return cls(
            extension_patterns=_strings(options.get("extension_patterns", ())),
            internal_networks=_strings(options.get("internal_networks", ())),
            trunk_peers=[*trunk_devices, *_strings(options.get("trunk_addresses", ()))],
            extension_digits=int(options.get("extension_digits", DEFAULT_EXTENSION_DIGITS)),
        )

    def is_extension(self, number: str | None) -> bool:
        return number is not None and any(p.fullmatch(number) for p in self._extensions)

    def inside(self, ip: str) -> bool | None:
        """True/False when internal networks are configured, else None (cannot tell)."""
        if not self._networks:
            return None
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        return any(address in net for net in self._networks)

    def trunk_peer(self, *names: str | None) -> str | None:
        """The configured trunk name matching any of the given IPs / hosts."""
        for name in names:
            if name and name.lower() in self._peers:
                return self._peers[name.lower()]
        return None

    def place(self, parties: Parties) -> Placement:
        """Direction, extension (the inside party) and trunk of a leg."""
        caller_trunk = self.trunk_peer(parties.caller_ip, parties.from_host)
        callee_trunk = self.trunk_peer(parties.callee_ip, parties.request_host)
        inbound_trunk = caller_trunk or parties.from_host or parties.caller_ip
        outbound_trunk = callee_trunk or parties.request_host or parties.callee_ip
        if callee_trunk and not caller_trunk:
            return Placement("outbound", parties.from_user, outbound_trunk)
        if caller_trunk and not callee_trunk:
            return Placement("inbound", parties.called_number, inbound_trunk)
        callee_ext = self.is_extension(parties.called_number)
        if callee_ext and self.is_extension(parties.from_user):
            return Placement("internal", parties.from_user, None)
        if callee_ext or self.inside(parties.caller_ip) is False:
            return Placement("inbound", parties.called_number, inbound_trunk)
        return Placement("outbound", parties.from_user, outbound_trunk)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]
