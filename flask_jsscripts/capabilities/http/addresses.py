"""Which addresses a script may reach: public unicast only, never a cloud metadata service
and none of this machine's own (unless an allow-listed private host: ``EXEMPTABLE``)."""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Collection, Iterable

log = logging.getLogger("flask_jsscripts.capabilities.http")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses the name resolves to, as text; may raise OSError.
Resolver = Callable[[str, int], Iterable[str]]

# Reasons an allow-listed private host (JSSCRIPTS_HTTP_ALLOW_PRIVATE_HOSTS) is exempt from;
# metadata, unspecified, broadcast, multicast and reserved addresses are refused always.
EXEMPTABLE = frozenset(
    {"loopback", "private", "link_local", "unique_local", "shared", "benchmark", "own_address"}
)

_V4 = ipaddress.ip_network
# Cloud metadata services and host agents: they hand out credentials, user data or the host's
# own configuration to whatever runs on the machine. Never reachable, not even for allow-listed
# private hosts; most lie in link-local or unique-local ranges, Azure's WireServer does not.
METADATA_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "169.254.169.254/32",  # AWS, GCP, Azure, Oracle, OpenStack, DigitalOcean, Hetzner, ...
        "169.254.169.253/32",  # AWS VPC DNS resolver
        "169.254.169.123/32",  # AWS Time Sync
        "169.254.170.2/32",  # AWS ECS task metadata and credentials
        "169.254.170.23/32",  # AWS EKS Pod Identity Agent (credentials)
        "fd00:ec2::/32",  # AWS over IPv6: IMDS ::254, Pod Identity ::23, DNS ::253, NTP ::123
        "168.63.129.16/32",  # Azure WireServer: host agent, DNS, health probes (a public range)
        "fd20:ce::254/128",  # Google Cloud metadata over IPv6
        "192.0.0.192/32",  # Oracle Cloud (legacy metadata)
        "fd00:c1::a9fe:a9fe/128",  # Oracle Cloud metadata over IPv6
        "100.100.100.200/32",  # Alibaba Cloud
        "169.254.0.23/32",  # Tencent Cloud (metadata.tencentyun.com)
        "169.254.42.42/32",  # Scaleway
        "fd00:42::42/128",  # Scaleway over IPv6
        "fd00:a9fe:a9fe::1/128",  # Akamai / Linode over IPv6
        "fe80::a9fe:a9fe/128",  # OpenStack metadata over IPv6
    )
)
V4_RULES: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (_V4(net), reason)
    for net, reason in (
        ("255.255.255.255/32", "broadcast"),
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared"),  # carrier-grade NAT
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link_local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),  # IETF protocol assignments
        ("192.0.2.0/24", "reserved"),  # documentation
        ("192.88.99.0/24", "reserved"),  # 6to4 relay anycast (deprecated)
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmark"),
        ("198.51.100.0/24", "reserved"),  # documentation
        ("203.0.113.0/24", "reserved"),  # documentation
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    )
)
V6_RULES: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.IPv6Network(net), reason)
    for net, reason in (
        ("64:ff9b:1::/48", "private"),  # local-use NAT64
        ("100::/64", "reserved"),  # discard-only
        ("2001:2::/48", "benchmark"),
        ("2001::/23", "reserved"),  # IETF protocol assignments, Teredo (2001::/32) included
        ("2001:db8::/32", "reserved"),  # documentation
        ("3fff::/20", "reserved"),  # documentation
        ("fc00::/7", "unique_local"),
        ("fe80::/10", "link_local"),
        ("fec0::/10", "private"),  # deprecated site-local
        ("ff00::/8", "multicast"),
    )
)
GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")


def address_block_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be reached by a script, or None for a public unicast address.

    IPv6 forms that carry an IPv4 address (mapped ``::ffff:a.b.c.d``, compatible ``::a.b.c.d``,
    translated, NAT64 ``64:ff9b::/96`` and 6to4 ``2002::/16``) are judged by that address, so
    ``::ffff:127.0.0.1`` is loopback. Outside 2000::/3 nothing is global unicast in IPv6."""
    if is_metadata(ip):
        return "metadata"
    if isinstance(ip, ipaddress.IPv4Address):
        for net, reason in V4_RULES:
            if ip in net:
                return reason
        return None
    if ip == ipaddress.IPv6Address("::"):
        return "unspecified"
    if ip == ipaddress.IPv6Address("::1"):
        return "loopback"
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        reason = address_block_reason(embedded)
        if reason is not None or ip in NAT64 or ip.sixtofour is not None:
            return reason
        return "reserved"  # mapped/compatible/translated forms of a public address: no use
    for net, reason in V6_RULES:
        if ip in net:
            return reason
    if ip not in GLOBAL_UNICAST_V6:
        return "reserved"
    return None


def is_metadata(ip: IPAddress) -> bool:
    return any(ip.version == net.version and ip in net for net in METADATA_NETWORKS)


def own_address_reason(ip: IPAddress, own: Callable[[], Collection[IPAddress]]) -> str | None:
    """``own_address`` when ``ip`` (or the IPv4 address an IPv6 form carries: NAT64, 6to4)
    is an address of this machine's interfaces; ``own_address_unknown`` when they cannot be
    read (refused: the guard fails closed); else None."""
    try:
        addresses = own()
    except OSError as exc:
        log.error("sdk.http: cannot read this machine's own addresses (%s): refusing", exc)
        return "own_address_unknown"
    embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if ip in addresses or (embedded is not None and embedded in addresses):
        return "own_address"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64 or ip in IPV4_COMPATIBLE or ip in IPV4_TRANSLATED:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def port_allowed(port: int) -> bool:
    """80, 443 and the unprivileged ports: the well-known ports below 1024 belong to mail,
    SSH, DNS and the like, which a script has no business speaking HTTP to."""
    return port in (80, 443) or 1024 <= port <= 65535


def system_resolver(host: str, port: int) -> list[str]:
    """The default resolver: the C library's getaddrinfo (TCP addresses only)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [info[4][0] for info in infos]
