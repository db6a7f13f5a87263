"""Which script answers a request: each tenant's active ``http`` scripts as a
:class:`RouteTable` (static paths in a dict, ``{param}`` templates grouped by segment count,
literal segments preferred), kept in process for :data:`ROUTE_TTL` seconds. A commit in this
process that touches a script or an endpoint drops the tenant's table at once (a session
listener, so no save path can forget it); other processes see the change within the TTL."""

from __future__ import annotations

import functools
import itertools
import re
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from ... import tenancy
from ...models import HttpEndpoint, Script
from ..executions import ScriptRef
from ..validation import normalise_http_path

ROUTE_TTL = 2.0  # seconds a tenant's route table is trusted without asking the database
MAX_CACHED_TENANTS = 10_000
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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
