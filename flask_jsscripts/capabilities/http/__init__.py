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

Modules: ``addresses`` (which addresses are public), ``urls`` (parsing), ``settings``,
``request`` (a script's options), ``response`` (reading and decoding), ``client``.
"""

from .addresses import (
    IPAddress,
    Resolver,
    address_block_reason,
    is_metadata,
    own_address_reason,
    port_allowed,
    system_resolver,
)
from .client import GuardedHttpClient
from .errors import SSRFBlocked
from .settings import HttpSettings, host_matches
from .urls import Target, parse_url

__all__ = [
    "GuardedHttpClient",
    "HttpSettings",
    "IPAddress",
    "Resolver",
    "SSRFBlocked",
    "Target",
    "address_block_reason",
    "host_matches",
    "is_metadata",
    "own_address_reason",
    "parse_url",
    "port_allowed",
    "system_resolver",
]
