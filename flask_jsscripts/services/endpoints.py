"""HTTP endpoints: routing requests to scripts, API tokens, rate limits and the HTTP answer.

No Flask here: the blueprint (:mod:`flask_jsscripts.web.endpoints`) turns the request into a
plain dict and the :class:`Reply` back into a response.

Why it is shaped this way (a script endpoint must stay cheap next to a plain Flask view):

* **Routes.** Each tenant's active ``http`` scripts are read with one query into a
  :class:`RouteTable` (static paths in a dict, ``{param}`` templates grouped by segment count,
  literal segments preferred) and kept in process for :data:`ROUTE_TTL` seconds. A commit in
  this process that touches a script or an endpoint drops the tenant's table at once (a session
  listener, so no save path can forget it); other processes see the change within the TTL.
  A matched request therefore costs no query at all.
* **Recording.** With ``JSSCRIPTS_HTTP_RECORD_SAMPLE = 1`` every call is an execution row
  written before the run, like a manual run. Below 1 a call runs first and writes its row
  afterwards only when it failed or was drawn by the sample; the concurrency caps, which
  otherwise count ``running`` rows, are then held by :class:`Counters` slots.
* **Counters** (rate limits, the sampled calls' concurrency slots): in Redis when
  ``JSSCRIPTS_HUEY_URL`` is ``redis://`` or ``rediss://`` (shared by every process), else in
  process. A slot in Redis carries its deadline, so a process that dies holding one frees it
  when the run's timeout has passed; while Redis is unreachable the process falls back to its
  own counters.
* **Anonymous callers** cannot fill the disk: a public endpoint without a rate limit of its own
  gets ``JSSCRIPTS_PUBLIC_RATE_LIMIT``, and a call's recorded input keeps at most
  ``JSSCRIPTS_HTTP_RECORD_BODY_BYTES`` of its body (:func:`recorded_request`).
* **Tokens** are 256-bit random strings, stored as SHA-256 hashes (a fast hash is enough for
  a secret that cannot be guessed), compared in constant time and shown once.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import json
import logging
import math
import random
import re
import secrets
import threading
import time
import uuid
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from .. import tenancy
from ..models import HttpEndpoint, Script, utcnow
from ..runtime import RunResult
from . import executions
from .errors import NotFound, RunRefused, ValidationError
from .executions import DEADLINE_MARGIN, POOL_BUSY, Ran, RunContext, ScriptRef
from .scripts import get_script
from .validation import effective_limits, normalise_http_path

log = logging.getLogger(__name__)

ROUTE_TTL = 2.0  # seconds a tenant's route table is trusted without asking the database
MAX_CACHED_TENANTS = 10_000
TOKEN_PREFIX = "jss_"
RATE_WINDOW = 60  # seconds: rate limits count calls per fixed minute
REDIS_RETRY_SECONDS = 5.0  # after a Redis error, use the in-process counters this long
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# --- tokens --------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(presented: str | None, stored_hash: str | None) -> bool:
    """Constant-time comparison of a presented token with the stored hash."""
    if not presented or not stored_hash:
        return False
    return hmac.compare_digest(hash_token(presented), stored_hash)


def _endpoint_of(session: Session, script_id: str) -> HttpEndpoint:
    script = get_script(session, script_id)
    if script.type != "http" or not script.endpoints:
        raise ValidationError({"type": ["this script is not an HTTP endpoint"]})
    return script.endpoints[0]


def issue_token(session: Session, script_id: str) -> str:
    """A new API token for the script's endpoint, replacing any previous one (rotation).
    Only its hash is stored: the returned token is the one chance to show it."""
    endpoint = _endpoint_of(session, script_id)
    if endpoint.auth_mode != "token":
        raise ValidationError({"http_auth": ["switch the endpoint's access to token first"]})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    endpoint.token_hash = hash_token(token)
    endpoint.updated_at = utcnow()
    session.commit()
    return token


def revoke_token(session: Session, script_id: str) -> bool:
    """Forget the endpoint's token (calls with it fail from now on); False if it had none."""
    endpoint = _endpoint_of(session, script_id)
    had = endpoint.token_hash is not None
    endpoint.token_hash = None
    endpoint.updated_at = utcnow()
    session.commit()
    return had


# --- routes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One endpoint as the router needs it, with the script it runs."""

    endpoint_id: str
    path: str
    methods: tuple[str, ...]
    auth_mode: str
    token_hash: str | None
    rate_limit: int | None
    script: ScriptRef
    segments: tuple[str, ...]  # literal text, or the parameter name for a {param} segment
    is_param: tuple[bool, ...]

    @property
    def allow(self) -> str:
        return ", ".join((*self.methods, "OPTIONS"))


def normalise_path(path: str) -> str:
    """``/a//b/`` -> ``/a/b``: the form paths are stored and matched in."""
    return normalise_http_path(path)


class RouteTable:
    """A tenant's active endpoints; :meth:`match` finds the one answering a path."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.static: dict[str, Route] = {}
        self.templates: dict[int, list[Route]] = {}
        for route in routes:
            if any(route.is_param):
                self.templates.setdefault(len(route.segments), []).append(route)
            else:
                self.static[route.path] = route
        for group in self.templates.values():
            # /orders/new before /orders/{id}: the earliest literal segment wins
            group.sort(key=lambda r: r.is_param)

    def __len__(self) -> int:
        return len(self.static) + sum(len(g) for g in self.templates.values())

    def match(self, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route and its parameters for a normalised path, or None."""
        route = self.static.get(path)
        if route is not None:
            return route, {}
        parts = path.split("/")[1:]
        for route in self.templates.get(len(parts), ()):
            params: dict[str, str] = {}
            for segment, is_param, part in zip(route.segments, route.is_param, parts, strict=True):
                if is_param:
                    params[segment] = part
                elif segment != part:
                    break
            else:
                return route, params
        return None


_PARAM_RE = re.compile(r"\{([^/{}]+)\}")


def _route(row: Any) -> Route:
    segments = [s for s in row.path.split("/") if s]
    params = [_PARAM_RE.fullmatch(s) for s in segments]
    script = ScriptRef(
        id=row.script_id,
        tenant_id=row.tenant_id,
        name=row.name,
        status=row.status,
        limits=dict(row.limits or {}),
        current_version=row.current_version,
    )
    return Route(
        endpoint_id=row.id,
        path=normalise_path(row.path),
        methods=tuple(m for m in (row.methods or []) if isinstance(m, str)),
        auth_mode=row.auth_mode,
        token_hash=row.token_hash,
        rate_limit=row.rate_limit_per_minute,
        script=script,
        segments=tuple(m.group(1) if m else s for s, m in zip(segments, params, strict=True)),
        is_param=tuple(m is not None for m in params),
    )


@functools.cache
def _routes_statement() -> Any:
    """Built once: the active http scripts of the tenant (the tenancy listener adds the
    tenant) with their endpoints, as plain columns."""
    return (
        select(
            HttpEndpoint.id,
            HttpEndpoint.path,
            HttpEndpoint.methods,
            HttpEndpoint.auth_mode,
            HttpEndpoint.token_hash,
            HttpEndpoint.rate_limit_per_minute,
            Script.id.label("script_id"),
            Script.tenant_id,
            Script.name,
            Script.status,
            Script.limits,
            Script.current_version,
        )
        .join(
            Script,
            and_(Script.id == HttpEndpoint.script_id, Script.tenant_id == HttpEndpoint.tenant_id),
        )
        .where(Script.status == "active", Script.type == "http")
    )


def load_routes(session: Session) -> RouteTable:
    """The current tenant's active endpoints, fresh from the database (one query)."""
    tenancy.require_tenant()
    return RouteTable(_route(row) for row in session.execute(_routes_statement()))


class RouteCache:
    """Route tables per tenant, trusted for :data:`ROUTE_TTL` seconds (one cache per app)."""

    def __init__(self, ttl: float = ROUTE_TTL) -> None:
        self.ttl = ttl
        self._tables: dict[str, tuple[float, RouteTable]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        _caches.add(self)

    def table(self, session: Session) -> RouteTable:
        tenant = tenancy.require_tenant()
        now = time.monotonic()
        cached = self._tables.get(tenant)
        if cached is not None and cached[0] > now:
            return cached[1]
        generation = self._generation
        table = load_routes(session)
        with self._lock:
            # A save committed while we read would be lost until the TTL: store only if none was.
            if generation == self._generation:
                self._tables.pop(tenant, None)
                self._tables[tenant] = (now + self.ttl, table)
                while len(self._tables) > MAX_CACHED_TENANTS:
                    self._tables.pop(next(iter(self._tables)))
        return table

    def forget(self, tenants: Iterable[str | None]) -> None:
        """Drop the tables of ``tenants`` (None: every tenant)."""
        with self._lock:
            self._generation += 1
            for tenant in tenants:
                if tenant is None:
                    self._tables.clear()
                    return
                self._tables.pop(tenant, None)


_caches: weakref.WeakSet[RouteCache] = weakref.WeakSet()
_CHANGED_KEY = "jsscripts_route_changes"


def _note_route_changes(session: Session, flush_context: Any) -> None:
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Script | HttpEndpoint):
            # the loaded value only: reading an attribute here must not emit SQL
            tenant = sa_inspect(obj).dict.get("tenant_id")
            session.info.setdefault(_CHANGED_KEY, set()).add(tenant)


def _forget_changed_routes(session: Session) -> None:
    tenants = session.info.pop(_CHANGED_KEY, None)
    if tenants:
        for cache in list(_caches):
            cache.forget(tenants)


def _drop_route_changes(session: Session) -> None:
    session.info.pop(_CHANGED_KEY, None)


# Cached routes are dropped after a commit that changed scripts or endpoints; registered on
# every Session by flask_jsscripts.listeners.install (init_app).
SESSION_LISTENERS = (
    ("after_flush", _note_route_changes),
    ("after_commit", _forget_changed_routes),
    ("after_rollback", _drop_route_changes),
)


# --- counters: rate limits and concurrency slots ---------------------------------------------


@dataclass(frozen=True)
class Claim:
    """One concurrency cap a sampled call must fit under."""

    key: str
    limit: int
    reason: str  # RunRefused reason when full
    message: str


@dataclass
class Slot:
    """Held while a sampled call runs; released by :meth:`Counters.release`."""

    keys: tuple[str, ...]
    member: str
    remote: bool = False


class LocalCounters:
    """Counters of this process only (no Redis): exact for one process, per process otherwise."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[str, list[int]] = {}
        self._slots: dict[str, int] = {}

    def hit(self, key: str, limit: int, now: float) -> float | None:
        """Count a call; seconds until the window ends when this one is over ``limit``."""
        window = int(now // RATE_WINDOW)
        with self._lock:
            entry = self._hits.get(key)
            if entry is None or entry[0] != window:
                if len(self._hits) > 10_000:
                    self._hits = {k: v for k, v in self._hits.items() if v[0] == window}
                entry = self._hits[key] = [window, 0]
            entry[1] += 1
            count = entry[1]
        return None if count <= limit else RATE_WINDOW - now % RATE_WINDOW

    def acquire(self, claims: list[Claim], ttl: float) -> Slot | Claim:
        """A slot under every cap, or the first claim that is full."""
        with self._lock:
            for claim in claims:
                if self._slots.get(claim.key, 0) >= claim.limit:
                    return claim
            for claim in claims:
                self._slots[claim.key] = self._slots.get(claim.key, 0) + 1
        return Slot(tuple(c.key for c in claims), "")

    def release(self, slot: Slot) -> None:
        with self._lock:
            for key in slot.keys:
                left = self._slots.get(key, 0) - 1
                if left > 0:
                    self._slots[key] = left
                else:
                    self._slots.pop(key, None)


class RedisCounters:
    """Counters shared by every process through Redis, falling back to ``local`` while Redis
    cannot be reached. Rate limits: one INCR per minute window. Slots: a sorted set per cap
    whose members score their deadline, so a slot whose process died expires by itself."""

    def __init__(self, url: str, local: LocalCounters) -> None:
        self.url = url
        self.local = local
        self._client: Any = None
        self._pid = 0
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _redis(self) -> Any:
        import os

        if time.monotonic() < self._down_until:
            return None
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                try:
                    import redis
                except ImportError:
                    log.warning("redis is not installed: HTTP endpoint counters are per process")
                    self._down_until = math.inf
                    return None
                self._client = redis.Redis.from_url(
                    self.url, socket_timeout=0.5, socket_connect_timeout=0.5
                )
                self._pid = os.getpid()
            return self._client

    def _failed(self, exc: Exception) -> None:
        log.warning(
            "Redis unreachable for HTTP endpoint counters (%s): using per-process counters "
            "for %s s",
            exc,
            REDIS_RETRY_SECONDS,
        )
        self._down_until = time.monotonic() + REDIS_RETRY_SECONDS

    def hit(self, key: str, limit: int, now: float) -> float | None:
        client = self._redis()
        if client is None:
            return self.local.hit(key, limit, now)
        name = f"jsscripts:rate:{key}:{int(now // RATE_WINDOW)}"
        try:
            pipe = client.pipeline(transaction=False)
            pipe.incr(name)
            pipe.expire(name, RATE_WINDOW + 1)
            count = pipe.execute()[0]
        except Exception as exc:  # noqa: BLE001 - any Redis failure: count locally
            self._failed(exc)
            return self.local.hit(key, limit, now)
        return None if count <= limit else RATE_WINDOW - now % RATE_WINDOW

    def acquire(self, claims: list[Claim], ttl: float) -> Slot | Claim:
        client = self._redis()
        if client is None:
            return self.local.acquire(claims, ttl)
        member = uuid.uuid4().hex
        now = time.time()
        keys = tuple(f"jsscripts:slots:{c.key}" for c in claims)
        try:
            pipe = client.pipeline(transaction=True)
            for key in keys:
                pipe.zremrangebyscore(key, "-inf", now)
                pipe.zadd(key, {member: now + ttl})
                pipe.zcard(key)
                pipe.expire(key, int(ttl) + 1)
            counts = pipe.execute()[2::4]
            for claim, count in zip(claims, counts, strict=True):
                if count > claim.limit:
                    self._remove(client, keys, member)
                    return claim
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)
            return self.local.acquire(claims, ttl)
        return Slot(keys, member, remote=True)

    def release(self, slot: Slot) -> None:
        if not slot.remote:
            self.local.release(slot)
            return
        client = self._redis()
        if client is not None:
            try:
                self._remove(client, slot.keys, slot.member)
            except Exception as exc:  # noqa: BLE001 - the slot expires at its deadline anyway
                self._failed(exc)

    @staticmethod
    def _remove(client: Any, keys: tuple[str, ...], member: str) -> None:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.zrem(key, member)
        pipe.execute()


Counters = LocalCounters | RedisCounters


def counters_for(config: Mapping[str, Any], local: LocalCounters) -> Counters:
    url = config.get("JSSCRIPTS_HUEY_URL")
    if isinstance(url, str) and url.startswith(("redis://", "rediss://")):
        return RedisCounters(url, local)
    return local


# --- the answer ----------------------------------------------------------------------------


@dataclass
class Reply:
    """What the blueprint sends back (no Flask objects)."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    execution_id: str | None = None


def error_reply(
    status: int, message: str, headers: Iterable[tuple[str, str]] = (), **fields: Any
) -> Reply:
    body = json.dumps({"error": message, **fields}).encode()
    return Reply(status, body, "application/json", list(headers), fields.get("execution_id"))


NOT_FOUND = "not found"
ENVELOPE_KEYS = frozenset({"status", "headers", "body"})
# Hop-by-hop headers, framing the server computes, and cookies (the host's own cookies,
# its session included, live on the same domain: a script must not set or replace them).
DROPPED_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "set-cookie",
        "date",
        "server",
    }
)
HEADER_NAME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")
MAX_HEADERS = 50
MAX_HEADER_VALUE = 8192


def sanitise_headers(raw: Any) -> list[tuple[str, str]]:
    """The script's response headers that are safe to send: string names and values, no
    hop-by-hop or framing headers, no cookies, nothing that could split a header."""
    if not isinstance(raw, dict):
        return []
    out: list[tuple[str, str]] = []
    for name, value in raw.items():
        if len(out) >= MAX_HEADERS:
            break
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        if not HEADER_NAME_RE.fullmatch(name) or name.lower() in DROPPED_HEADERS:
            continue
        if len(value) > MAX_HEADER_VALUE or any(c in value for c in "\r\n\x00"):
            continue
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            continue
        out.append((name, value))
    return out


def response_parts(value: Any) -> tuple[int, list[tuple[str, str]], Any, bool] | None:
    """``(status, headers, body, is_envelope)`` of what ``main`` returned, or None when it
    returned an envelope with an unusable status. An envelope is an object with a numeric
    ``status`` and no keys besides status, headers and body; anything else is the JSON body
    of a 200."""
    if (
        isinstance(value, dict)
        and "status" in value
        and ENVELOPE_KEYS.issuperset(value)
        and isinstance(value["status"], int | float)
        and not isinstance(value["status"], bool)
    ):
        status = value["status"]
        if status != int(status) or not 200 <= status <= 599:
            return None
        return int(status), sanitise_headers(value.get("headers")), value.get("body"), True
    return 200, [], value, False


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def reply_of(ran: Ran) -> Reply:
    """The HTTP answer of a finished run."""
    result = ran.result
    execution_id = ran.execution_id if ran.recorded else None
    if result.status == "timeout":
        return error_reply(504, "the script timed out", execution_id=execution_id)
    if result.status != "completed":
        if (result.error or {}).get("code") == POOL_BUSY:
            return error_reply(503, "no sandbox worker is free; try again", [("Retry-After", "1")])
        return error_reply(500, "the script failed", execution_id=execution_id)
    parts = response_parts(result.value)
    if parts is None:
        return error_reply(
            500, "the script returned an invalid HTTP status", execution_id=execution_id
        )
    status, headers, body, envelope = parts
    content_type = None
    kept = []
    for name, value in headers:
        if name.lower() == "content-type":
            content_type = value
        else:
            kept.append((name, value))
    if status in (204, 304) or (envelope and body is None):
        payload = b""
    elif envelope and isinstance(body, str):
        payload = body.encode("utf-8")
        content_type = content_type or "text/plain; charset=utf-8"
    else:
        payload = _json(body)
        content_type = content_type or "application/json"
    if status in (204, 304):
        content_type = None
    return Reply(status, payload, content_type, kept, execution_id)


def _keep(result: RunResult, sample: float) -> bool:
    """Failures are always recorded; successes by the sample."""
    if result.status != "completed" or response_parts(result.value) is None:
        return True
    return random.random() < sample


def rate_limit_of(auth_mode: str, own_limit: int | None, config: Mapping[str, Any]) -> int | None:
    """The calls per minute an endpoint answers: its own limit, else for a public endpoint
    ``JSSCRIPTS_PUBLIC_RATE_LIMIT``; None: no limit."""
    if own_limit:
        return own_limit
    return config["JSSCRIPTS_PUBLIC_RATE_LIMIT"] if auth_mode == "public" else None


def recorded_request(request: dict[str, Any], limit: int) -> dict[str, Any]:
    """What a call's execution records of ``request`` (``ctx.request``): all of it, but a body
    longer than ``limit`` bytes (as UTF-8 text, or compact JSON for a parsed body) becomes its
    first ``limit`` bytes as text, with ``body_truncated: true`` and ``body_bytes``, the size
    of the whole. The script itself always gets the whole body."""
    body = request.get("body")
    if body is None or isinstance(body, bool | int | float):
        return request
    if isinstance(body, str):
        text = body
    else:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if len(text) * 4 <= limit:  # no character takes more than 4 bytes in UTF-8
        return request
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return request
    prefix = data[:limit].decode("utf-8", "ignore")  # a character cut in two is left out
    return {**request, "body": prefix, "body_truncated": True, "body_bytes": len(data)}


class Endpoints:
    """What one app's endpoint blueprint holds: its route cache and its counters."""

    def __init__(self) -> None:
        self.routes = RouteCache()
        self.local = LocalCounters()
        self._counters: Counters | None = None
        self._counters_url: Any = object()

    def counters(self, config: Mapping[str, Any]) -> Counters:
        url = config.get("JSSCRIPTS_HUEY_URL")
        if self._counters is None or url != self._counters_url:
            self._counters = counters_for(config, self.local)
            self._counters_url = url
        return self._counters

    def rate_limited(self, config: Mapping[str, Any], route: Route) -> int | None:
        """Seconds the caller should wait (Retry-After) when the endpoint's per-minute limit
        is used up, else None (and the call is counted)."""
        limit = rate_limit_of(route.auth_mode, route.rate_limit, config)
        if not limit:
            return None
        key = f"{route.script.tenant_id}:{route.endpoint_id}"
        wait = self.counters(config).hit(key, limit, time.time())
        return None if wait is None else max(1, math.ceil(wait))

    def call(
        self,
        session: Session,
        rc: RunContext,
        route: Route,
        request: dict[str, Any],
        *,
        user: Any = None,
    ) -> Reply:
        """Run the route's script for ``request`` (``ctx.request``) and shape its answer."""
        sample = rc.config["JSSCRIPTS_HTTP_RECORD_SAMPLE"]
        record = recorded_request(request, rc.config["JSSCRIPTS_HTTP_RECORD_BODY_BYTES"])
        try:
            if sample >= 1:
                ran = executions.run_recorded(
                    session, rc, route.script.id, "http", request, user=user, recorded_input=record
                )
            else:
                ran = self._run_sampled(session, rc, route, request, record, user, sample)
        except RunRefused as exc:
            session.rollback()
            if exc.reason in ("script_concurrency", "tenant_concurrency"):
                return error_reply(429, exc.message, [("Retry-After", "1")], reason=exc.reason)
            return error_reply(404, NOT_FOUND)  # paused, disabled, switched off
        except NotFound:
            session.rollback()
            return error_reply(404, NOT_FOUND)
        except ValidationError:
            session.rollback()
            size = len(json.dumps(request, default=str).encode())
            if size > rc.config["JSSCRIPTS_MAX_INPUT_BYTES"]:
                return error_reply(413, "the request is too large")
            return error_reply(400, "the request cannot be passed to the script")
        return reply_of(ran)

    def _run_sampled(
        self,
        session: Session,
        rc: RunContext,
        route: Route,
        request: dict[str, Any],
        record: dict[str, Any],
        user: Any,
        sample: float,
    ) -> Ran:
        config = rc.config
        script = route.script
        per_script = script.limits.get(
            "concurrency", config["JSSCRIPTS_DEFAULT_CONCURRENCY_PER_SCRIPT"]
        )
        per_tenant = config["JSSCRIPTS_MAX_CONCURRENCY_PER_TENANT"]
        claims = [
            Claim(
                f"{script.tenant_id}:script:{script.id}",
                per_script,
                "script_concurrency",
                f"the script already has {per_script} runs in progress (its concurrency limit)",
            ),
            Claim(
                f"{script.tenant_id}:tenant",
                per_tenant,
                "tenant_concurrency",
                f"this tenant already has {per_tenant} runs in progress",
            ),
        ]
        ttl = effective_limits(script.limits, config).timeout + DEADLINE_MARGIN.total_seconds()
        counters = self.counters(config)
        slot = counters.acquire(claims, ttl)
        if isinstance(slot, Claim):
            raise RunRefused(slot.message, slot.reason)
        try:
            return executions.run_detached(
                session,
                rc,
                script,
                "http",
                request,
                user=user,
                keep=lambda result: _keep(result, sample),
                recorded_input=record,
            )
        finally:
            counters.release(slot)
