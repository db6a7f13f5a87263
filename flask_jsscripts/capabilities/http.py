"""``sdk.http``: outbound HTTP for scripts, behind an SSRF guard.

A script runs with the server's network position, so every request is checked before a byte
leaves: only ``http``/``https``; the URL is parsed here (not by a library whose idea of "the
host" may differ from the resolver's), numeric hosts in any spelling the C library accepts
(``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``) are normalised to the address they
mean; *every* address the name resolves to must be public, no cloud metadata service and none
of this machine's own; the socket then connects to one of those checked addresses itself (no
second lookup, so no DNS-rebinding window) while TLS still verifies the certificate for the
host name. Redirects are followed here, each hop checked the same way. Responses are capped in
size and the whole request, redirects included, in time; a body is decoded from its charset
(only those of :mod:`flask_jsscripts.charsets`) as it arrives, within the same deadline.

No Flask, no database: the broker builds a :class:`GuardedHttpClient` from plain settings and
may inject the resolver and the machine's own addresses (tests choose both).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import ipaddress
import json
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urljoin

from .. import charsets, jsonvalues, metrics
from ..runtime import HostCallError
from ..runtime.protocol import json_values
from .local_addresses import LocalAddresses, local_addresses

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses the name resolves to, as text; may raise OSError.
Resolver = Callable[[str, int], Iterable[str]]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_URL_LENGTH = 8192
MAX_REQUEST_BYTES = 10 * 1024 * 1024
MAX_HEADERS = 100
READ_CHUNK = 64 * 1024
USER_AGENT = "flask-jsscripts"

# Headers the client owns: framing, routing and connection management are not the script's.
FORBIDDEN_HEADERS = frozenset(
    {
        "host",
        "connection",
        "content-length",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "keep-alive",
        "expect",
        "accept-encoding",  # the body is handed back as read: no compressed bodies
        "proxy-authorization",
        "proxy-connection",
    }
)
# Dropped when a redirect leaves the origin the script addressed.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie"})
HEADER_NAME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
HOST_RE = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", re.S)
PATH_SAFE = "!#$%&'()*+,-./:;=?@[]_~"

# -- address policy --------------------------------------------------------------------------
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


# -- errors ----------------------------------------------------------------------------------
_MESSAGES = {
    "scheme": "only http and https URLs are allowed",
    "userinfo": "credentials in the URL are not allowed (send an Authorization header)",
    "bad_url": "the URL contains characters that are not allowed (whitespace, '\\')",
    "bad_host": "the URL's host is not a valid host name or IP address",
    "port": "the port is not allowed (80, 443 and 1024-65535 are)",
    "host_not_allowed": "the host is not in the allowed hosts",
}
_ADDRESS_MESSAGE = "the destination is not a public address"


class SSRFBlocked(HostCallError):
    """A request the guard refused. ``reason`` is a short label (for the metric and the log);
    the message the script sees never names the address a host resolved to."""

    def __init__(self, reason: str, target: str):
        super().__init__(
            "SSRF_BLOCKED", f"sdk.http refused: {_MESSAGES.get(reason, _ADDRESS_MESSAGE)}"
        )
        self.reason = reason
        self.target = target


def _bad_request(message: str) -> HostCallError:
    return HostCallError("BAD_REQUEST", f"sdk.http: {message}")


# -- settings ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HttpSettings:
    """The guard's configuration (the broker fills it from ``JSSCRIPTS_HTTP_*``).

    Host patterns are exact names (``api.example.com``, ``127.0.0.1``, ``::1``) or
    ``*.example.com`` for every name below example.com."""

    timeout: float = 10.0
    max_response_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    # JSON values a response body may hold to arrive parsed (more arrive as text, which the
    # script parses inside the sandbox, under its memory limit): what the parent builds
    max_json_values: int = 100_000
    allowed_hosts: tuple[str, ...] = ()
    allow_private_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("allowed_hosts", "allow_private_hosts"):
            object.__setattr__(self, name, tuple(_pattern(h) for h in getattr(self, name)))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> HttpSettings:
        return cls(
            timeout=float(config["JSSCRIPTS_HTTP_TIMEOUT"]),
            max_response_bytes=int(config["JSSCRIPTS_HTTP_MAX_RESPONSE_BYTES"]),
            max_redirects=int(config["JSSCRIPTS_HTTP_MAX_REDIRECTS"]),
            max_json_values=int(config["JSSCRIPTS_MAX_OUTPUT_ELEMENTS"]),
            allowed_hosts=tuple(config["JSSCRIPTS_HTTP_ALLOWED_HOSTS"]),
            allow_private_hosts=tuple(config["JSSCRIPTS_HTTP_ALLOW_PRIVATE_HOSTS"]),
        )


def _pattern(entry: str) -> str:
    entry = entry.strip().lower().rstrip(".")
    if entry.startswith("[") and entry.endswith("]"):
        entry = entry[1:-1]
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        pass
    try:
        return entry.encode("idna").decode("ascii")
    except UnicodeError:
        return entry


def host_matches(host: str, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


# -- URL parsing -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """One parsed, normalised URL. ``host`` is ASCII, lower-case, without a trailing dot and
    without brackets; ``ip`` is set when the host is an address literal; ``plain`` tells
    whether that literal was written in its standard form (only then can it match an
    allow-list entry: ``0x7f.1`` never matches ``127.0.0.1``)."""

    scheme: str
    host: str
    port: int
    target: str  # request target: path and query, percent-encoded ASCII
    ip: IPAddress | None
    plain: bool

    @property
    def default_port(self) -> int:
        return 443 if self.scheme == "https" else 80

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == self.default_port else f"{host}:{self.port}"

    @property
    def label(self) -> str:
        """What logs and error messages name: scheme, host and port (never path or query)."""
        return f"{self.scheme}://{self.host_header}"


def parse_url(url: Any) -> Target:
    """Parse an absolute http(s) URL the strict way; raises SSRFBlocked or BAD_REQUEST."""
    if not isinstance(url, str) or not url:
        raise _bad_request("the URL must be a non-empty string")
    if len(url) > MAX_URL_LENGTH:
        raise _bad_request(f"the URL is longer than {MAX_URL_LENGTH} characters")
    label = _safe_label(url)
    # Whitespace, controls and backslashes are what parsers disagree on (WHATWG strips tabs
    # and newlines and reads '\' as '/'); a real URL needs none of them.
    if "\\" in url or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise SSRFBlocked("bad_url", label)
    match = SCHEME_RE.fullmatch(url)
    if match is None:
        raise _bad_request("the URL must be absolute (http://… or https://…)")
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme not in ("http", "https"):
        raise SSRFBlocked("scheme", label)
    if not rest.startswith("//"):
        raise _bad_request("the URL must be absolute (http://… or https://…)")
    rest = rest[2:]
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    if "@" in authority:
        raise SSRFBlocked("userinfo", label)
    host, port = _split_authority(authority, label)
    port = port if port is not None else (443 if scheme == "https" else 80)
    ip, plain, host = _normalise_host(host, label)
    tail = tail.split("#", 1)[0]
    if not tail.startswith("/"):
        tail = "/" + tail
    return Target(scheme, host, port, quote(tail, safe=PATH_SAFE), ip, plain)


def _safe_label(url: str) -> str:
    """Scheme and host of a URL for the log: no credentials, path or query (they may carry
    secrets)."""
    head = re.split(r"[/?#]", url.split("://", 1)[1], maxsplit=1)[0] if "://" in url else ""
    scheme = url.split(":", 1)[0][:20]
    return f"{scheme}://{head.rsplit('@', 1)[-1]}"[:200]


def _split_authority(authority: str, label: str) -> tuple[str, int | None]:
    port_text = None
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise _bad_request("unclosed '[' in the URL's host")
        host, after = authority[: close + 1], authority[close + 1 :]
        if after:
            if not after.startswith(":"):
                raise _bad_request("unexpected text after the IPv6 address")
            port_text = after[1:]
    elif ":" in authority:
        host, port_text = authority.split(":", 1)
        if ":" in port_text:
            raise _bad_request("IPv6 addresses in URLs must be written in brackets")
    else:
        host = authority
    if not host:
        raise _bad_request("the URL has no host")
    if port_text is None or port_text == "":
        return host, None
    if not (port_text.isascii() and port_text.isdigit() and len(port_text) <= 5):
        raise _bad_request("the port must be a number")
    port = int(port_text)
    if not 0 < port < 65536:
        raise _bad_request("the port must be between 1 and 65535")
    return host, port


def _normalise_host(host: str, label: str) -> tuple[IPAddress | None, bool, str]:
    if "%" in host:  # percent-encoded hosts and IPv6 zone ids ("fe80::1%25eth0")
        raise SSRFBlocked("bad_host", label)
    if host.startswith("["):
        try:
            ip6 = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise _bad_request("the URL's IPv6 address is not valid") from None
        return ip6, host[1:-1].lower() == str(ip6), str(ip6)
    written = host.lower()
    if not written.isascii():
        try:  # IDNA also folds full-width digits and dots: "１２７．０．０．１" -> 127.0.0.1
            written = written.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise SSRFBlocked("bad_host", label) from None
    name = written[:-1] if written.endswith(".") else written
    if not name or len(name) > 253 or not HOST_RE.fullmatch(name):
        raise SSRFBlocked("bad_host", label)
    if any(len(part) > 63 for part in name.split(".")):
        raise SSRFBlocked("bad_host", label)
    if _ends_in_number(name):
        ip4 = _parse_ipv4(name)
        if ip4 is None:  # looks numeric, is no address: the C library might still read it
            raise SSRFBlocked("bad_host", label)
        return ip4, host.lower() == str(ip4), str(ip4)
    return None, True, name


def _ends_in_number(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    if last.isdigit():
        return True
    return last.startswith("0x") and all(c in "0123456789abcdef" for c in last[2:])


def _parse_ipv4(name: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address ``inet_aton`` (and the WHATWG URL standard) would read from ``name``:
    one to four parts, each decimal, octal (leading 0) or hex (0x); the last fills the rest."""
    parts = name.split(".")
    if len(parts) > 4:
        return None
    numbers = []
    for part in parts:
        if part.startswith("0x"):
            digits, base = part[2:] or "0", 16
        elif len(part) > 1 and part.startswith("0"):
            digits, base = part[1:], 8
        else:
            digits, base = part, 10
        try:
            numbers.append(int(digits, base))
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def port_allowed(port: int) -> bool:
    """80, 443 and the unprivileged ports: the well-known ports below 1024 belong to mail,
    SSH, DNS and the like, which a script has no business speaking HTTP to."""
    return port in (80, 443) or 1024 <= port <= 65535


def system_resolver(host: str, port: int) -> list[str]:
    """The default resolver: the C library's getaddrinfo (TCP addresses only)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [info[4][0] for info in infos]


# -- the client ----------------------------------------------------------------------------------
@dataclass
class _Request:
    method: str
    headers: dict[str, str]  # lower-case name -> value (the script's, validated)
    body: bytes | None
    deadline: float
    timeout: float


class _PinnedConnection(http.client.HTTPConnection):
    """http.client on a socket already connected to a checked address: it never looks up or
    connects by itself."""

    def __init__(self, host: str, port: int, sock: socket.socket):
        super().__init__(host, port)
        self.sock = sock

    def connect(self) -> None:  # pragma: no cover - the socket is given; never reconnect
        raise http.client.NotConnected("pinned connection")


class GuardedHttpClient:
    """Makes the requests of one run. ``context`` (tenant, script, execution) goes into the
    log line of every refused request."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        resolver: Resolver | None = None,
        own_addresses: LocalAddresses | None = None,
        ssl_context: ssl.SSLContext | None = None,
        context: Mapping[str, Any] | None = None,
    ):
        self.settings = settings
        self.resolver = resolver or system_resolver
        self.own_addresses = own_addresses or local_addresses
        self.ssl_context = ssl_context
        self.context = dict(context or {})

    def request(self, method: str, url: Any, options: Any = None) -> dict[str, Any]:
        """``sdk.http.<method>(url, options)`` -> ``{status, headers, body}``."""
        try:
            return self._request(method, url, options)
        except SSRFBlocked as exc:
            metrics.SSRF_BLOCKED.labels(reason=exc.reason).inc()
            log.warning(
                "sdk.http blocked (%s): %s %r tenant=%s script=%s execution=%s",
                exc.reason,
                str(method).upper(),
                exc.target,
                self.context.get("tenant"),
                self.context.get("script"),
                self.context.get("execution"),
            )
            raise

    # -- request preparation --
    def _request(self, method: str, url: Any, options: Any) -> dict[str, Any]:
        method = str(method).upper()
        if method not in METHODS:
            raise _bad_request(f"unknown method {method!r}")
        req, query = self._prepare(method, options)
        if query:
            base, hash_, fragment = url.partition("#") if isinstance(url, str) else (url, "", "")
            if isinstance(base, str):
                url = base + ("&" if "?" in base else "?") + query + hash_ + fragment
        target = parse_url(url)
        origin = target.origin
        for hop in range(self.settings.max_redirects + 1):
            addresses = self._check(target, req)
            status, headers, text = self._exchange(target, addresses, req)
            location = headers.get("location")
            if status not in REDIRECT_STATUSES or not location:
                body = _body_value(headers, text, self.settings.max_json_values)
                if time.monotonic() > req.deadline:  # parsing a big JSON body took the rest
                    raise _timeout(req)
                return {"status": status, "headers": headers, "body": body}
            if hop == self.settings.max_redirects:
                raise HostCallError(
                    "TOO_MANY_REDIRECTS",
                    f"sdk.http: more than {self.settings.max_redirects} redirects",
                )
            url = urljoin(url, location)
            target = parse_url(url)
            if status == 303 or (status in (301, 302) and req.method == "POST"):
                req.method, req.body = "GET", None  # what browsers do
                req.headers.pop("content-type", None)
            if target.origin != origin:  # credentials stay with the origin they were meant for
                for name in CREDENTIAL_HEADERS:
                    req.headers.pop(name, None)
        raise AssertionError("unreachable")  # pragma: no cover

    def _prepare(self, method: str, options: Any) -> tuple[_Request, str]:
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise _bad_request("options must be an object {headers, query, body, timeout}")
        unknown = set(options) - {"headers", "query", "body", "timeout"}
        if unknown:
            raise _bad_request(f"unknown option(s): {', '.join(sorted(unknown))}")
        timeout = self.settings.timeout
        if options.get("timeout") is not None:
            asked = options["timeout"]
            if isinstance(asked, bool) or not isinstance(asked, int | float) or not asked > 0:
                raise _bad_request("timeout must be a positive number of seconds")
            timeout = min(timeout, float(asked))  # a script may only lower the server's cap
        headers = _headers(options.get("headers"))
        body = _body(options.get("body"), headers)
        query = _query(options.get("query"))
        req = _Request(method, headers, body, time.monotonic() + timeout, timeout)
        return req, query

    # -- the guard --
    def _check(self, target: Target, req: _Request) -> list[IPAddress]:
        """Every address the request may go to, all checked; raises SSRFBlocked otherwise."""
        if not port_allowed(target.port):
            raise SSRFBlocked("port", target.label)
        names_host = target.plain  # a numeric host in an odd spelling matches no allow-list entry
        if self.settings.allowed_hosts and not (
            names_host and host_matches(target.host, self.settings.allowed_hosts)
        ):
            raise SSRFBlocked("host_not_allowed", target.label)
        private_ok = names_host and host_matches(target.host, self.settings.allow_private_hosts)
        addresses = [target.ip] if target.ip is not None else self._resolve(target, req)
        for ip in addresses:
            reason = address_block_reason(ip)
            if reason is None and not private_ok:
                reason = own_address_reason(ip, self.own_addresses)
            if reason is not None and not (private_ok and reason in EXEMPTABLE):
                raise SSRFBlocked(reason, target.label)
        return addresses

    def _resolve(self, target: Target, req: _Request) -> list[IPAddress]:
        # The lookup runs in a helper thread so a hanging resolver cannot outlast the deadline.
        outcome: dict[str, Any] = {}

        def lookup() -> None:
            try:
                outcome["answer"] = list(self.resolver(target.host, target.port))
            except Exception as exc:  # noqa: BLE001 - reported below as a clean error
                outcome["error"] = exc

        thread = threading.Thread(target=lookup, name="jsscripts-http-resolve", daemon=True)
        thread.start()
        thread.join(max(0.0, req.deadline - time.monotonic()))
        if thread.is_alive():
            raise _timeout(req)
        answer = outcome.get("answer")
        if not answer:
            raise HostCallError("HTTP_ERROR", f"sdk.http: cannot resolve {target.host!r}")
        addresses: list[IPAddress] = []
        for text in answer:
            try:
                ip = ipaddress.ip_address(str(text).split("%", 1)[0])
            except ValueError:
                raise HostCallError(
                    "HTTP_ERROR", f"sdk.http: cannot resolve {target.host!r}"
                ) from None
            if ip not in addresses:
                addresses.append(ip)
        return addresses

    # -- the exchange --
    def _exchange(
        self, target: Target, addresses: list[IPAddress], req: _Request
    ) -> tuple[int, dict[str, str], str]:
        """One request/response on a socket connected to a checked address; the body comes
        back decoded to text."""
        sock = self._connect(target, addresses, req)
        expired = threading.Event()

        def cut() -> None:  # the absolute deadline: a slow drip of bytes cannot outlast it
            expired.set()
            with contextlib.suppress(OSError):  # on the descriptor, below any TLS layer
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

        watchdog = threading.Timer(max(0.0, req.deadline - time.monotonic()), cut)
        watchdog.daemon = True
        watchdog.start()
        response: http.client.HTTPResponse | None = None
        try:
            try:
                if target.scheme == "https":
                    # SNI and certificate checks use the host name, the socket the checked
                    # address; the handshake runs after `sock` names the TLS socket, so the
                    # watchdog can cut it too.
                    context = self.ssl_context or _default_ssl_context()
                    sock = context.wrap_socket(
                        sock, server_hostname=target.host, do_handshake_on_connect=False
                    )
                    sock.do_handshake()
                conn = _PinnedConnection(target.host, target.port, sock)
                headers = {"Host": target.host_header, "User-Agent": USER_AGENT}
                headers.update({_title(k): v for k, v in req.headers.items()})
                headers["Connection"] = "close"
                conn.request(req.method, target.target, body=req.body, headers=headers)
                response = conn.getresponse()
                status = response.status
                got = _response_headers(response.getheaders())
                if status in REDIRECT_STATUSES and got.get("location"):
                    text = ""  # a redirect's own body is never read
                else:
                    codec = _response_codec(got)  # an unsupported charset: nothing is read
                    text = self._read(response, got, codec, req)
            except ssl.SSLCertVerificationError:
                raise HostCallError(
                    "HTTP_ERROR", f"sdk.http: the TLS certificate of {target.host!r} is not trusted"
                ) from None
            except (OSError, http.client.HTTPException, ValueError) as exc:
                if expired.is_set() or isinstance(exc, TimeoutError):
                    raise _timeout(req) from None
                raise HostCallError(
                    "HTTP_ERROR", f"sdk.http: request to {target.label} failed ({_kind(exc)})"
                ) from None
            if expired.is_set():  # the cut may look like a normal end of a body
                raise _timeout(req)
            return status, got, text
        finally:
            watchdog.cancel()
            with contextlib.suppress(OSError):
                if response is not None:
                    response.close()
                sock.close()

    def _connect(self, target: Target, addresses: list[IPAddress], req: _Request) -> socket.socket:
        failure: OSError | None = None
        for ip in addresses:
            remaining = req.deadline - time.monotonic()
            if remaining <= 0:
                raise _timeout(req)
            family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(remaining)
            try:
                sock.connect((str(ip), target.port))  # the checked address: no lookup here
                return sock
            except OSError as exc:
                sock.close()
                failure = exc
        if isinstance(failure, TimeoutError):
            raise _timeout(req)
        raise HostCallError(
            "HTTP_ERROR", f"sdk.http: cannot connect to {target.label} ({_kind(failure)})"
        )

    def _read(
        self,
        response: http.client.HTTPResponse,
        headers: Mapping[str, str],
        codec: str,
        req: _Request,
    ) -> str:
        """The body as text, decoded chunk by chunk as it arrives: decoding is linear in the
        size (``charsets``), and the deadline is checked after every chunk, so a large body in
        a slow charset cannot keep the run past the request's time limit."""
        cap = self.settings.max_response_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise _too_large(cap)
        decoder = charsets.incremental_decoder(codec)
        parts: list[str] = []
        size = 0
        while True:
            chunk = response.read(READ_CHUNK)
            size += len(chunk)
            if size > cap:
                raise _too_large(cap)
            parts.append(decoder.decode(chunk, final=not chunk))
            if time.monotonic() > req.deadline:
                raise _timeout(req)
            if not chunk:
                return "".join(parts)


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """The system's trust store with hostname checks, built once (loading it costs ms)."""
    return ssl.create_default_context()


def _timeout(req: _Request) -> HostCallError:
    return HostCallError("HTTP_TIMEOUT", f"sdk.http: no complete answer within {req.timeout:g} s")


def _too_large(cap: int) -> HostCallError:
    return HostCallError("RESPONSE_TOO_LARGE", f"sdk.http: the response exceeds {cap} bytes")


def _kind(exc: BaseException | None) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return "TLS error"
    if isinstance(exc, http.client.HTTPException):
        return "invalid HTTP response"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return "network error"


def _title(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad_request("headers must be an object of name: value")
    if len(value) > MAX_HEADERS:
        raise _bad_request(f"at most {MAX_HEADERS} headers")
    headers: dict[str, str] = {}
    for name, raw in value.items():
        if not HEADER_NAME_RE.fullmatch(name):
            raise _bad_request(f"invalid header name {name[:50]!r}")
        lower = name.lower()
        if lower in FORBIDDEN_HEADERS or lower.startswith("proxy-"):
            raise _bad_request(f"the header {name!r} is set by the server, not by scripts")
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise _bad_request(f"the header {name!r} must be a string")
        text = str(raw)
        if any(ch in text for ch in "\r\n\0"):
            raise _bad_request(f"the header {name!r} contains a line break")
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            raise _bad_request(f"the header {name!r} must be Latin-1 text") from None
        headers[lower] = text
    return headers


def _query(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, dict):
        raise _bad_request("query must be an object of name: value")
    pairs: list[tuple[str, str]] = []
    for name, raw in value.items():
        for item in raw if isinstance(raw, list) else [raw]:
            if item is None:
                continue
            if isinstance(item, bool):
                pairs.append((name, "true" if item else "false"))
            elif isinstance(item, str | int | float):
                pairs.append((name, str(item)))
            else:
                raise _bad_request(f"query value of {name!r} must be a string, number or boolean")
    return urlencode(pairs)


def _body(value: Any, headers: dict[str, str]) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        data = value.encode("utf-8")
        headers.setdefault("content-type", "text/plain; charset=utf-8")
    else:
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers.setdefault("content-type", "application/json")
    if len(data) > MAX_REQUEST_BYTES:
        raise _bad_request(f"the request body exceeds {MAX_REQUEST_BYTES} bytes")
    return data


def _response_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _content_type(headers: Mapping[str, str]) -> tuple[str, str | None]:
    """The media type (lower case) and the ``charset`` parameter, if any."""
    mime, _, params = headers.get("content-type", "").partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip()
    return mime.strip().lower(), charset


def _response_codec(headers: Mapping[str, str]) -> str:
    """The codec of the response's charset (UTF-8 when it names none); a charset outside
    the list is the script's error UNSUPPORTED_CHARSET, before the body is read."""
    _mime, charset = _content_type(headers)
    try:
        return charsets.codec_for(charset)
    except charsets.UnsupportedCharset as exc:
        raise HostCallError("UNSUPPORTED_CHARSET", f"sdk.http: {exc}") from None


def _body_value(headers: Mapping[str, str], text: str, max_values: int) -> Any:
    """JSON bodies (``application/json``, ``*+json``) parsed; anything else as text, and so
    is JSON a script could not hold (nested too deeply, numbers beyond a double) or that holds
    more than ``max_values`` values (counted before anything is built)."""
    mime, _charset = _content_type(headers)
    if mime == "application/json" or mime.endswith("+json"):
        if json_values(text.encode("utf-8", "surrogatepass")) > max_values:
            return text
        try:
            value = jsonvalues.parse(text)
            jsonvalues.check(value)
        except jsonvalues.JSONValueError:
            return text  # not JSON after all: the script still gets what came
        return value
    return text
