"""``GuardedHttpClient``: the requests of one run, every hop checked before a byte leaves.

The socket connects to one of the checked addresses itself (no second lookup, so no
DNS-rebinding window) while TLS still verifies the certificate for the host name; the whole
request, redirects included, runs against one deadline.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

from ... import metrics
from ...runtime import HostCallError
from ..local_addresses import LocalAddresses, local_addresses
from .addresses import (
    EXEMPTABLE,
    IPAddress,
    Resolver,
    address_block_reason,
    own_address_reason,
    port_allowed,
    system_resolver,
)
from .errors import SSRFBlocked, bad_request, timeout_error
from .request import Request, prepare, title_case
from .response import body_value, read_body, response_codec, response_headers
from .settings import HttpSettings, host_matches
from .urls import Target, parse_url

log = logging.getLogger("flask_jsscripts.capabilities.http")

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "flask-jsscripts"
# Dropped when a redirect leaves the origin the script addressed.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie"})


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

    def _request(self, method: str, url: Any, options: Any) -> dict[str, Any]:
        method = str(method).upper()
        if method not in METHODS:
            raise bad_request(f"unknown method {method!r}")
        req, query = prepare(method, options, self.settings.timeout)
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
                body = body_value(headers, text, self.settings.max_json_values)
                if time.monotonic() > req.deadline:  # parsing a big JSON body took the rest
                    raise timeout_error(req.timeout)
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

    # -- the guard --
    def _check(self, target: Target, req: Request) -> list[IPAddress]:
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

    def _resolve(self, target: Target, req: Request) -> list[IPAddress]:
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
            raise timeout_error(req.timeout)
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
        self, target: Target, addresses: list[IPAddress], req: Request
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
        responses: list[http.client.HTTPResponse] = []
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
                answer = self._send(sock, target, req, responses)
            except ssl.SSLCertVerificationError:
                raise HostCallError(
                    "HTTP_ERROR", f"sdk.http: the TLS certificate of {target.host!r} is not trusted"
                ) from None
            except (OSError, http.client.HTTPException, ValueError) as exc:
                if expired.is_set() or isinstance(exc, TimeoutError):
                    raise timeout_error(req.timeout) from None
                raise HostCallError(
                    "HTTP_ERROR", f"sdk.http: request to {target.label} failed ({_kind(exc)})"
                ) from None
            if expired.is_set():  # the cut may look like a normal end of a body
                raise timeout_error(req.timeout)
            return answer
        finally:
            watchdog.cancel()
            with contextlib.suppress(OSError):
                for response in responses:
                    response.close()
                sock.close()

    def _send(
        self,
        sock: socket.socket,
        target: Target,
        req: Request,
        responses: list[http.client.HTTPResponse],
    ) -> tuple[int, dict[str, str], str]:
        """Write the request on ``sock`` and read the answer (its response is added to
        ``responses`` for the caller to close)."""
        conn = _PinnedConnection(target.host, target.port, sock)
        headers = {"Host": target.host_header, "User-Agent": USER_AGENT}
        headers.update({title_case(k): v for k, v in req.headers.items()})
        headers["Connection"] = "close"
        conn.request(req.method, target.target, body=req.body, headers=headers)
        response = conn.getresponse()
        responses.append(response)
        status = response.status
        got = response_headers(response.getheaders())
        if status in REDIRECT_STATUSES and got.get("location"):
            return status, got, ""  # a redirect's own body is never read
        codec = response_codec(got)  # an unsupported charset: nothing is read
        cap = self.settings.max_response_bytes
        return status, got, read_body(response, got, codec, cap, req.deadline, req.timeout)

    def _connect(self, target: Target, addresses: list[IPAddress], req: Request) -> socket.socket:
        failure: OSError | None = None
        for ip in addresses:
            remaining = req.deadline - time.monotonic()
            if remaining <= 0:
                raise timeout_error(req.timeout)
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
            raise timeout_error(req.timeout)
        raise HostCallError(
            "HTTP_ERROR", f"sdk.http: cannot connect to {target.label} ({_kind(failure)})"
        )


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """The system's trust store with hostname checks, built once (loading it costs ms)."""
    return ssl.create_default_context()


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
