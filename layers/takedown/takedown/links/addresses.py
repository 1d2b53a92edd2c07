"""Which addresses the link fetcher may connect to: public ones only, checked after DNS.

The fetcher runs inside the cloud account, so a link must never become a way to reach the
instance metadata service (169.254.169.254, fd00:ec2::254), the VPC, or the machine itself. Every
hop's host is resolved here, every address it resolves to is vetted, and the connection is made to
the vetted address (not to the name again), so a DNS answer that changes between the check and the
connection (rebinding) cannot reach a private network.

Example:
    address = vet_host("bit.ly", 443, SystemResolver())  # raises AddressRefusedError for 10.0.0.7
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import Protocol

from takedown.links.exceptions import AddressRefusedError, UnresolvableError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix: the IPv4 address sits in the last 32 bits


class HostResolver(Protocol):
    """Names to addresses. Production uses the system resolver; tests pass a stub (DNS is offline there)."""

    def addresses(self, host: str, port: int) -> Sequence[str]: ...


class SystemResolver:
    """getaddrinfo, TCP only: every address the name has, IPv4 and IPv6."""

    def addresses(self, host: str, port: int) -> Sequence[str]:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise UnresolvableError(f"{host}: {error}") from error
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_class(address: IPAddress) -> str | None:
    """Why `address` may not be connected to, or None when it is public.

    IPv4 addresses embedded in IPv6 ones (::ffff:10.0.0.1, 6to4, NAT64) are judged as the IPv4
    address they reach.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            found = address_class(embedded)
            return f"{found} (in IPv6)" if found else None
    if address in _METADATA:
        return "instance metadata"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    )
    for name, matched in checks:
        if matched:
            return name
    if not address.is_global:  # shared address space (100.64/10), benchmarking, documentation...
        return "not global"
    return None


def vet_host(host: str, port: int, resolver: HostResolver, allow_loopback: bool = False) -> str:
    """The address to connect to for `host`: refused if ANY of its addresses is not public
    (a name with one public and one private record is refused: the connection could go either way).

    `allow_loopback` lets 127.0.0.0/8 and ::1 through, for tests and the local stack only.
    """
    literal = _literal(host)
    candidates = [str(literal)] if literal is not None else list(resolver.addresses(host, port))
    if not candidates:
        raise UnresolvableError(f"{host}: no address")
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(candidate.split("%", 1)[0])
        except ValueError as error:
            raise UnresolvableError(f"{host}: resolver gave {candidate!r}") from error
        refused = address_class(address)
        if refused == "loopback" and allow_loopback:
            continue
        if refused is not None:
            raise AddressRefusedError(host, str(address), refused)
    return candidates[0]


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
