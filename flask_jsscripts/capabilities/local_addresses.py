"""Every IP address of this machine's own network interfaces, IPv4 and IPv6.

The SSRF guard refuses them: a service bound to ``0.0.0.0`` or ``::`` (a database admin, a
metrics port, the app itself) also answers on the machine's public address, which no range
check can tell from any other public address.

Read from the kernel over rtnetlink (an ``RTM_GETADDR`` dump on an ``AF_NETLINK`` socket,
standard library only): unlike ``ioctl(SIOCGIFADDR)`` it lists secondary addresses and IPv6,
and unlike ``ip -j addr`` it needs no binary in the image. Linux only: elsewhere, or when the
kernel does not answer, :func:`local_addresses` raises OSError and the guard refuses the
request (fail closed). Answers are kept for :data:`CACHE_SECONDS`, so an address added to an
interface is refused at the latest that long after.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
import threading
import time
from collections.abc import Callable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# () -> this machine's addresses; raises OSError when they cannot be known.
LocalAddresses = Callable[[], frozenset[IPAddress]]

CACHE_SECONDS = 1.0
RECEIVE_TIMEOUT = 2.0  # seconds the kernel gets to finish its answer

_NLMSG_HEADER = struct.Struct("=IHHII")  # length, type, flags, sequence, port id
_IFADDRMSG = struct.Struct("=BBBBI")  # family, prefix length, flags, scope, interface index
_RTATTR = struct.Struct("=HH")  # length, type
_NLMSG_ERROR = 2
_NLMSG_DONE = 3
_RTM_NEWADDR = 20
_RTM_GETADDR = 22
_NLM_F_REQUEST = 0x1
_NLM_F_DUMP = 0x300
_IFA_ADDRESS = 1  # IPv6: the address; IPv4: the peer of a point-to-point link, else the same
_IFA_LOCAL = 2  # IPv4: the interface's own address
_FAMILIES = {socket.AF_INET: 4, socket.AF_INET6: 16}


def _align(length: int) -> int:
    return (length + 3) & ~3


def read_local_addresses() -> frozenset[IPAddress]:
    """Ask the kernel now. Raises OSError when it cannot be asked or its answer is broken."""
    if not hasattr(socket, "AF_NETLINK"):
        raise OSError("the machine's own addresses can only be read on Linux (rtnetlink)")
    sequence = int.from_bytes(os.urandom(4), "little")
    request = _NLMSG_HEADER.pack(
        _NLMSG_HEADER.size + _IFADDRMSG.size,
        _RTM_GETADDR,
        _NLM_F_REQUEST | _NLM_F_DUMP,
        sequence,
        0,
    ) + _IFADDRMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
        sock.settimeout(RECEIVE_TIMEOUT)
        sock.bind((0, 0))
        sock.sendto(request, (0, 0))
        found: set[IPAddress] = set()
        while True:
            data, (sender, _groups) = sock.recvfrom(1 << 16)
            if sender != 0:  # only the kernel answers a dump; ignore anyone else
                continue
            if _parse(data, sequence, found):
                return frozenset(found)


def _parse(data: bytes, sequence: int, found: set[IPAddress]) -> bool:
    """Add the addresses of one datagram of the dump to ``found``; True at its end."""
    offset = 0
    while offset + _NLMSG_HEADER.size <= len(data):
        length, kind, _flags, seq, _port = _NLMSG_HEADER.unpack_from(data, offset)
        if length < _NLMSG_HEADER.size or offset + length > len(data):
            raise OSError("malformed rtnetlink answer")
        body = data[offset + _NLMSG_HEADER.size : offset + length]
        offset += _align(length)
        if seq != sequence:
            continue
        if kind == _NLMSG_DONE:
            return True
        if kind == _NLMSG_ERROR:
            code = struct.unpack_from("=i", body)[0] if len(body) >= 4 else -1
            raise OSError(-code, "rtnetlink refused the address dump")
        if kind == _RTM_NEWADDR and len(body) >= _IFADDRMSG.size:
            family = _IFADDRMSG.unpack_from(body)[0]
            size = _FAMILIES.get(family)
            if size is not None:
                _attributes(body[_IFADDRMSG.size :], size, found)
    return False


def _attributes(data: bytes, size: int, found: set[IPAddress]) -> None:
    offset = 0
    while offset + _RTATTR.size <= len(data):
        length, kind = _RTATTR.unpack_from(data, offset)
        if length < _RTATTR.size:
            raise OSError("malformed rtnetlink attribute")
        value = data[offset + _RTATTR.size : offset + length]
        if kind in (_IFA_ADDRESS, _IFA_LOCAL) and len(value) == size:
            found.add(ipaddress.ip_address(value))
        offset += _align(length)


class _Cache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0
        self._addresses: frozenset[IPAddress] = frozenset()

    def __call__(self) -> frozenset[IPAddress]:
        with self._lock:
            now = time.monotonic()
            if now >= self._until:
                self._addresses = read_local_addresses()  # a failure is not cached
                self._until = now + CACHE_SECONDS
            return self._addresses


local_addresses: LocalAddresses = _Cache()
"""This machine's addresses, read at most once per :data:`CACHE_SECONDS` (thread-safe)."""
