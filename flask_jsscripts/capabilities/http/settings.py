"""``HttpSettings``: the guard's configuration, and how host patterns match."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


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
