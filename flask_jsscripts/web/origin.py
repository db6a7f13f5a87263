"""``JSSCRIPTS_ENDPOINT_ORIGIN``: script endpoints on an origin of their own.

A script's answer is the script author's content. Served from the host's origin, a page of it
that ran would act with the session of whoever opened it (every answer is therefore sandboxed,
see :func:`flask_jsscripts.web.endpoints.seal`). With an endpoint origin, answers come only from
that origin, where the host's session cookie is not sent and no page of the admin can be read:

* requests under ``JSSCRIPTS_ENDPOINT_PREFIX`` that arrive on any other host are answered 404
  (not redirected: a redirect would keep the old URLs working unnoticed and send tokens and
  bodies on a second trip, and the 404 names the origin to use);
* the admin UI answers 404 on the endpoint origin, so that nothing there can be read;
* the UI shows endpoint URLs on it.

A request is on the endpoint origin when its host name and port (``request.host``) are the
origin's; the scheme is not compared, so a proxy that ends TLS in front of the app needs no
``ProxyFix`` for this.
"""

from __future__ import annotations

from flask import current_app, request

DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def _host(scheme: str, host: str) -> str:
    """``host[:port]`` in lower case, without the scheme's default port."""
    return host.lower().removesuffix(DEFAULT_PORTS.get(scheme, ""))


def endpoint_origin() -> str | None:
    return current_app.config["JSSCRIPTS_ENDPOINT_ORIGIN"]


def elsewhere() -> str | None:
    """The endpoint origin when one is set and this request did not arrive on it, else None."""
    origin = endpoint_origin()
    if origin is None:
        return None
    scheme, _, host = origin.partition("://")
    if _host(request.scheme, request.host) == _host(scheme, host):
        return None
    return origin


def on_endpoint_origin() -> bool:
    """Whether an endpoint origin is set and this request arrived on it."""
    return endpoint_origin() is not None and elsewhere() is None


def endpoint_url(path: str) -> str:
    """The full URL callers use for an endpoint path: on the endpoint origin when one is set,
    else on the host this request came to."""
    base = endpoint_origin() or request.host_url.rstrip("/")
    return base + request.script_root + current_app.config["JSSCRIPTS_ENDPOINT_PREFIX"] + path
