"""The endpoint blueprint: requests under ``JSSCRIPTS_ENDPOINT_PREFIX`` answered by scripts.

One catch-all route; everything else (routing by tenant, path and method, tokens, rate limits,
the run and the shape of its answer) is :mod:`flask_jsscripts.services.endpoints`. This module
only translates: the Flask request into ``ctx.request`` and a
:class:`~flask_jsscripts.services.endpoints.Reply` into a response. Every answer is JSON,
errors included (``{"error": ...}``), and no error ever carries a stack.

Order of the checks, and why: the tenant (from the host's loader), then the route (404), the
method (405), access (401/403: nothing of the request is read before), the rate limit (429:
counted only for callers that got in, so strangers cannot use up an endpoint's quota), the
body (413/400), CSRF for session endpoints, then the run.

CSRF: token and public endpoints are called by other programs, which have no CSRF token; the
host's ``CSRFProtect`` is told to leave this blueprint alone, and only session endpoints check
the token themselves (unsafe methods), exactly as the admin UI does.

A script's answer never runs as the host's origin: every answer under the prefix (the script's,
an error, a refusal, ``OPTIONS``) leaves with ``Content-Security-Policy: sandbox`` and
``X-Content-Type-Options: nosniff`` (:func:`seal`, the app's last ``after_request`` function, so
that neither the script's headers nor the host's hooks can take them off), and with
``JSSCRIPTS_ENDPOINT_ORIGIN`` answers come only from that origin (:mod:`.origin`).
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .. import charsets, permissions, tenancy
from ..permissions import SCRIPTS_EXECUTE
from ..runtime import jsonvalues
from ..services import endpoints as endpoint_service
from ..services.endpoints import NOT_FOUND, Endpoints, Reply, Route, error_reply
from ..state import current_state
from . import origin
from .csrf import csrf_problem

log = logging.getLogger(__name__)

BLUEPRINT = "jsscripts_endpoints"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Credentials never reach the script nor the recorded input.
HIDDEN_HEADERS = frozenset(
    {"authorization", "cookie", "proxy-authorization", "x-csrftoken", "x-csrf-token"}
)
MAX_TOKEN_LENGTH = 256
# A sandboxed page has an opaque origin and runs no script, whatever its content type.
SANDBOX = "sandbox"


class _BadBody(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _send(reply: Reply) -> Response:
    response = Response(reply.body, status=reply.status)
    if reply.content_type:
        response.headers["Content-Type"] = reply.content_type
    else:
        del response.headers["Content-Type"]
    has_cache_control = False
    for name, value in reply.headers:
        response.headers.add(name, value)
        has_cache_control = has_cache_control or name.lower() == "cache-control"
    if not has_cache_control:
        response.headers["Cache-Control"] = "no-store"
    if reply.execution_id:
        response.headers["X-Execution-Id"] = reply.execution_id
    return response


def _error(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return _send(error_reply(status, message, headers or []))


def _multi(values: MultiDict[str, str]) -> dict[str, Any]:
    """One value as a string, a repeated key as a list of strings."""
    return {k: v[0] if len(v) == 1 else v for k, v in values.lists()}


def _headers() -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        if key in HIDDEN_HEADERS:
            continue
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _body(limit: int) -> Any:
    """The parsed body: JSON (application/json, */*+json), form fields (urlencoded or
    multipart; file parts are left out), else the text; None when empty. A ``charset``
    outside :mod:`flask_jsscripts.charsets` is refused before anything is read or decoded."""
    length = request.content_length
    if length is not None and length > limit:
        raise _BadBody(413, "the request body is too large")
    charset = request.mimetype_params.get("charset")
    try:
        codec = charsets.codec_for(charset)
    except charsets.UnsupportedCharset as exc:
        raise _BadBody(415, str(exc)) from None
    request.max_content_length = limit  # also bounds chunked bodies without a length
    mimetype = request.mimetype
    try:
        if mimetype in FORM_TYPES:
            return _multi(request.form)
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise _BadBody(413, "the request body is too large") from None
    if not raw:
        return None
    if mimetype == "application/json" or mimetype.endswith("+json"):
        try:  # UTF-8 or no charset: JSON's own detection (UTF-8, -16 or -32, a BOM)
            return jsonvalues.parse(
                raw if codec == charsets.DEFAULT else charsets.decode(raw, codec)
            )
        except jsonvalues.JSONValueError as exc:
            if exc.reason == "too_deep":
                message = f"the request body is nested deeper than {jsonvalues.MAX_DEPTH} levels"
                raise _BadBody(400, message) from None
            raise _BadBody(400, "the request body is not valid JSON") from None
    return charsets.decode(raw, codec)


def _request_data(path: str, params: dict[str, str], limit: int) -> dict[str, Any]:
    """``ctx.request``: also the execution's recorded input."""
    body = _body(limit)
    return {
        "method": request.method,
        "path": path,
        "params": params,
        "query": _multi(request.args),
        "headers": _headers(),
        "body": body,
    }


def _bearer_token() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > MAX_TOKEN_LENGTH:
        return None
    return value


def _authorise(route: Route) -> tuple[Any, Response | None]:
    """(the user a session endpoint runs for, or a refusal)."""
    if route.auth_mode == "public":
        return None, None
    if route.auth_mode == "token":
        if endpoint_service.token_matches(_bearer_token(), route.token_hash):
            return None, None
        refusal = _error(
            401,
            "a valid API token is required (Authorization: Bearer <token>)",
            [("WWW-Authenticate", 'Bearer realm="jsscripts"')],
        )
        return None, refusal
    user = permissions.current_user()
    if user is None or getattr(user, "is_authenticated", True) is not True:
        return None, _error(401, "sign in first: this endpoint uses the session")
    if not permissions.has_permission(user, SCRIPTS_EXECUTE):
        return None, _error(403, "you do not have permission to call this endpoint")
    return user, None


def _answer(service: Endpoints, subpath: str) -> Response:
    elsewhere = origin.elsewhere()
    if elsewhere is not None:
        return _error(404, f"script endpoints answer on {elsewhere}")
    state = current_state()
    tenant = state.load_tenant()
    if not tenant:
        return _error(404, NOT_FOUND)
    with ExitStack() as stack:
        try:
            stack.enter_context(tenancy.tenant_scope(tenant))
        except tenancy.TenantScopeError:
            return _error(404, NOT_FOUND)  # the host's loader gave no usable tenant id
        return _answer_in_tenant(service, state, subpath)


def _answer_in_tenant(service: Endpoints, state: Any, subpath: str) -> Response:
    session = state.db.session
    config = state.config
    path = endpoint_service.normalise_path(subpath)
    found = service.routes.table(session).match(path)
    if found is None:
        return _error(404, NOT_FOUND)
    route, params = found
    method = request.method
    if method == "OPTIONS":
        return Response(status=204, headers={"Allow": route.allow})
    if method not in route.methods:
        return _error(405, "method not allowed", [("Allow", route.allow)])
    user, refusal = _authorise(route)
    if refusal is not None:
        return refusal
    wait = service.rate_limited(config, route)
    if wait is not None:
        return _error(429, "rate limit exceeded", [("Retry-After", str(wait))])
    try:
        data = _request_data(path, params, config["JSSCRIPTS_MAX_INPUT_BYTES"])
    except _BadBody as exc:
        return _error(exc.status, exc.message)
    unsafe = method in endpoint_service.UNSAFE_METHODS
    if route.auth_mode == "session" and unsafe and csrf_problem() is not None:
        return _error(403, "a valid CSRF token is required (X-CSRFToken header)")
    return _send(service.call(session, state.run_context(), route, data, user=user))


def _http_error(exc: HTTPException) -> Response:
    code = exc.code or 500
    return _error(code, (exc.name or "error").lower())


def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    if isinstance(exc, OperationalError):
        # The database went away (a restart, a failover): the caller may simply try again.
        log.warning("HTTP endpoint: database unavailable (%s)", type(exc.orig).__name__)
        return _error(503, "the database is unavailable, try again shortly", [("Retry-After", "5")])
    log.exception("HTTP endpoint failed")
    return _error(500, "internal error")


def _is_endpoint_request() -> bool:
    if request.blueprint == BLUEPRINT:
        return True
    prefix = current_app.config["JSSCRIPTS_ENDPOINT_PREFIX"]
    return request.path == prefix or request.path.startswith(prefix + "/")


def seal(response: Response) -> Response:
    """Every answer under the endpoint prefix: sandboxed, and never sniffed into another type.

    The script's own ``Content-Security-Policy`` headers stay (a browser enforces every policy
    it gets, so another one can only restrict more); ``sandbox`` is added beside them, and
    ``X-Content-Type-Options`` replaced."""
    if not _is_endpoint_request():
        return response
    response.headers["X-Content-Type-Options"] = "nosniff"
    if SANDBOX not in response.headers.getlist("Content-Security-Policy"):
        response.headers.add("Content-Security-Policy", SANDBOX)
    return response


def _seal_last(state: Any) -> None:
    # Flask calls the app's after_request functions in reverse order of registration: the
    # first in the list runs last, after any host hook (a CSP set for the whole site, say)
    # that would otherwise replace the sandbox.
    state.app.after_request_funcs.setdefault(None, []).insert(0, seal)


def create_blueprint() -> Blueprint:
    """A new endpoint blueprint (one per app; ``init_app`` mounts it under
    ``JSSCRIPTS_ENDPOINT_PREFIX`` when HTTP endpoints are switched on)."""
    bp = Blueprint(BLUEPRINT, __name__)
    service = Endpoints()

    def call(subpath: str = "") -> Response:
        return _answer(service, subpath)

    for rule in ("/", "/<path:subpath>"):
        bp.add_url_rule(
            rule,
            "call",
            call,
            methods=METHODS,
            strict_slashes=False,
            merge_slashes=False,  # no redirects: the path is normalised here
            provide_automatic_options=False,
        )

    @bp.before_app_request
    def _leave_to_the_endpoints() -> None:
        # A host CSRFProtect set up after init_app: exempt before its own hook runs (one set
        # up before is told at registration, see extension._register_blueprint).
        if request.blueprint == BLUEPRINT:
            csrf = current_app.extensions.get("csrf")
            if csrf is not None:
                csrf.exempt(bp)

    bp.register_error_handler(Exception, _unexpected)
    bp.record_once(_seal_last)
    return bp
