"""URL parsing the strict way: one parser decides what "the host" is, and numeric hosts in
any spelling the C library accepts are normalised to the address they mean."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .addresses import IPAddress
from .errors import SSRFBlocked, bad_request

MAX_URL_LENGTH = 8192
HOST_RE = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", re.S)
PATH_SAFE = "!#$%&'()*+,-./:;=?@[]_~"


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
        raise bad_request("the URL must be a non-empty string")
    if len(url) > MAX_URL_LENGTH:
        raise bad_request(f"the URL is longer than {MAX_URL_LENGTH} characters")
    label = _safe_label(url)
    # Whitespace, controls and backslashes are what parsers disagree on (WHATWG strips tabs
    # and newlines and reads '\' as '/'); a real URL needs none of them.
    if "\\" in url or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise SSRFBlocked("bad_url", label)
    match = SCHEME_RE.fullmatch(url)
    if match is None:
        raise bad_request("the URL must be absolute (http://… or https://…)")
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme not in ("http", "https"):
        raise SSRFBlocked("scheme", label)
    if not rest.startswith("//"):
        raise bad_request("the URL must be absolute (http://… or https://…)")
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
            raise bad_request("unclosed '[' in the URL's host")
        host, after = authority[: close + 1], authority[close + 1 :]
        if after:
            if not after.startswith(":"):
                raise bad_request("unexpected text after the IPv6 address")
            port_text = after[1:]
    elif ":" in authority:
        host, port_text = authority.split(":", 1)
        if ":" in port_text:
            raise bad_request("IPv6 addresses in URLs must be written in brackets")
    else:
        host = authority
    if not host:
        raise bad_request("the URL has no host")
    if port_text is None or port_text == "":
        return host, None
    if not (port_text.isascii() and port_text.isdigit() and len(port_text) <= 5):
        raise bad_request("the port must be a number")
    port = int(port_text)
    if not 0 < port < 65536:
        raise bad_request("the port must be between 1 and 65535")
    return host, port


def _normalise_host(host: str, label: str) -> tuple[IPAddress | None, bool, str]:
    if "%" in host:  # percent-encoded hosts and IPv6 zone ids ("fe80::1%25eth0")
        raise SSRFBlocked("bad_host", label)
    if host.startswith("["):
        try:
            ip6 = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise bad_request("the URL's IPv6 address is not valid") from None
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
