"""The errors ``sdk.http`` raises into the script."""

from __future__ import annotations

from ...runtime import HostCallError

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


def bad_request(message: str) -> HostCallError:
    return HostCallError("BAD_REQUEST", f"sdk.http: {message}")


def timeout_error(seconds: float) -> HostCallError:
    return HostCallError("HTTP_TIMEOUT", f"sdk.http: no complete answer within {seconds:g} s")


def too_large(cap: int) -> HostCallError:
    return HostCallError("RESPONSE_TOO_LARGE", f"sdk.http: the response exceeds {cap} bytes")
