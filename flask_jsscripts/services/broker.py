"""The capability broker: where a script's ``sdk.*`` calls are served, in the parent process.

The sandbox worker holds nothing; each ``sdk.kv.*``, ``sdk.events.*``, ``sdk.http.*`` or
``sdk.host.*`` call arrives here as ``(name, args)`` in the thread that runs the script, inside
the app context, and is executed in the script's tenant scope with the run's user and
permissions. KV writes and published events commit on their own session (they persist even if
the run later fails, like any effect a script has on the world); host functions get JSON and
return JSON. HTTP requests go through the SSRF-guarded client of ``capabilities.http``,
configured from ``JSSCRIPTS_HTTP_*``. Published events are budgeted per run and per tenant and
minute (``JSSCRIPTS_EVENT_PUBLISH_*``), which bounds the breadth of a fan-out the causation depth
alone does not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import metrics, tenancy
from ..capabilities.http import GuardedHttpClient, HttpSettings, Resolver
from ..capabilities.kv import KVStore
from ..models import OutboxEvent
from ..runtime import HostCallError
from . import quotas
from .context import PermissionChecker, RunContext, grants
from .outbox import new_outbox_event
from .queue import TaskQueue

KV_OPERATIONS = ("get", "set", "delete", "incr")
HTTP_OPERATIONS = ("get", "post", "put", "patch", "delete")
PUBLISH_LIMIT = "PUBLISH_LIMIT"  # error code of a publish past a budget


class ScriptBroker:
    """Serves one run. ``capabilities`` lists the names the sandbox exposes under ``sdk``."""

    def __init__(
        self,
        *,
        engine: Any,
        config: Mapping[str, Any],
        exposed: Mapping[str, Any],
        tenant_id: str,
        script_id: str,
        user: Any,
        execution_id: str | None = None,
        event_id: str | None = None,
        queue: TaskQueue | None = None,
        http_resolver: Resolver | None = None,
        clock: Callable[[], float] = time.time,
        permission_checker: PermissionChecker | None = None,
    ):
        self.engine = engine
        self.config = config
        self.exposed = exposed
        self.tenant_id = tenant_id
        self.script_id = script_id
        self.user = user
        self.execution_id = execution_id
        self.event_id = event_id
        self.queue = queue
        self.http_resolver = http_resolver  # None: the system's getaddrinfo
        self.clock = clock  # Unix seconds: the per-minute publish budget's windows
        self.permission_checker = permission_checker  # None: host permissions are denied
        self.published = 0  # events this run wrote to the outbox
        self._http_client: GuardedHttpClient | None = None
        self.capabilities = [f"kv.{op}" for op in KV_OPERATIONS]
        self.capabilities += [f"http.{op}" for op in HTTP_OPERATIONS]
        if config["JSSCRIPTS_ENABLE_EVENTS"]:
            self.capabilities.append("events.publish")
        self.capabilities += [f"host.{name}" for name in exposed]

    @classmethod
    def for_run(cls, rc: RunContext, run: Any, user: Any) -> ScriptBroker:
        """The broker of one run: ``run`` is the execution's snapshot (tenant, script,
        execution and event ids)."""
        return cls(
            engine=rc.engine,
            config=rc.config,
            exposed=rc.exposed,
            tenant_id=run.tenant_id,
            script_id=run.script_id,
            user=user,
            execution_id=run.execution_id,
            event_id=run.event_id,
            queue=rc.queue,
            clock=rc.clock,
            permission_checker=rc.permission_checker,
        )

    def __call__(self, name: str, args: list[Any]) -> Any:
        metrics.HOST_CALLS.labels(capability=name.split(".", 1)[0]).inc()
        if name.startswith("http."):  # no database: outside the tenant scope
            return self._http(name[5:], args)
        with tenancy.tenant_scope(self.tenant_id):
            if name.startswith("kv."):
                return self._kv(name[3:], args)
            if name.startswith("host."):
                return self._host(name[5:], args)
            if name == "events.publish":
                return self._publish(args)
        raise HostCallError("NOT_AVAILABLE", f"sdk.{name} is not available")

    def _kv(self, op: str, args: list[Any]) -> Any:
        with Session(self.engine) as session:
            store = KVStore(
                session,
                self.tenant_id,
                self.script_id,
                max_value_bytes=self.config["JSSCRIPTS_KV_MAX_VALUE_BYTES"],
                max_keys=self.config["JSSCRIPTS_KV_MAX_KEYS"],
            )
            value = store.call(op, args)
            session.commit()
            return value

    def _http(self, method: str, args: list[Any]) -> Any:
        """``sdk.http.<method>(url, options)``: served here while the worker waits."""
        if method not in HTTP_OPERATIONS:
            raise HostCallError("NOT_AVAILABLE", f"sdk.http.{method} does not exist")
        if len(args) not in (1, 2):
            raise HostCallError("BAD_REQUEST", f"use sdk.http.{method}(url, options)")
        if self._http_client is None:
            self._http_client = GuardedHttpClient(
                HttpSettings.from_config(self.config),
                resolver=self.http_resolver,
                context={
                    "tenant": self.tenant_id,
                    "script": self.script_id,
                    "execution": self.execution_id,
                },
            )
        return self._http_client.request(method, args[0], args[1] if len(args) == 2 else None)

    def _host(self, name: str, args: list[Any]) -> Any:
        exposed = self.exposed.get(name)
        if exposed is None:
            raise HostCallError("NOT_AVAILABLE", f"sdk.host.{name} does not exist")
        if exposed.permission is not None and not grants(
            self.permission_checker, self.user, exposed.permission
        ):
            raise HostCallError(
                "PERMISSION_DENIED", f"sdk.host.{name} needs the permission {exposed.permission!r}"
            )
        return exposed.fn(*args)

    def _publish(self, args: list[Any]) -> Any:
        """``sdk.events.publish(type, payload)``: one level deeper than the event that caused
        this run; past ``JSSCRIPTS_EVENT_MAX_DEPTH`` the event is recorded as refused and the
        script gets an error (a loop of scripts triggering each other stops there). Past the
        run's or the tenant's publish budget the script gets ``PUBLISH_LIMIT`` and nothing is
        written: depth alone would let each level multiply the events of the one before. Both
        budgets count every row written, refused ones included."""
        if len(args) not in (1, 2) or not isinstance(args[0], str):
            raise HostCallError("BAD_REQUEST", "use sdk.events.publish(type, payload)")
        per_run = self.config["JSSCRIPTS_EVENT_PUBLISH_PER_RUN"]
        if self.published >= per_run:
            metrics.PUBLISH_LIMITED.labels(budget="run").inc()
            raise HostCallError(
                PUBLISH_LIMIT,
                f"event {args[0]!r} not published: a run may publish at most {per_run} "
                f"events (JSSCRIPTS_EVENT_PUBLISH_PER_RUN)",
            )
        with Session(self.engine) as session:
            depth = 1
            if self.event_id is not None:
                cause = session.scalar(
                    select(OutboxEvent.depth).where(OutboxEvent.id == self.event_id)
                )
                depth = (cause or 0) + 1
            try:
                row = new_outbox_event(
                    self.config,
                    tenant_id=self.tenant_id,
                    event_type=args[0],
                    payload=args[1] if len(args) == 2 else None,
                    depth=depth,
                    causation_execution_id=self.execution_id,
                )
            except ValueError as exc:
                raise HostCallError("BAD_REQUEST", str(exc)) from None
            self._take_minute_budget(session, args[0])
            session.add(row)
            session.commit()
            self.published += 1
            if row.status == "refused":
                metrics.EVENTS_REFUSED.inc()
                raise HostCallError(
                    "EVENT_DEPTH_EXCEEDED", f"event {args[0]!r} refused: {row.last_error}"
                )
            event_id = row.id
        if self.queue is not None:
            self.queue.dispatch_events([event_id], tenant_id=self.tenant_id)
        return {"id": event_id}

    def _take_minute_budget(self, session: Session, event_type: str) -> None:
        """Count one event against the tenant's per-minute budget, in the transaction that
        writes it (every process shares the count: services.quotas)."""
        per_minute = self.config["JSSCRIPTS_EVENT_PUBLISH_PER_MINUTE"]
        try:
            quotas.take(session, quotas.SCRIPT_PUBLISHES, per_minute, now=self.clock())
        except quotas.QuotaExceeded as exc:
            metrics.PUBLISH_LIMITED.labels(budget="minute").inc()
            raise HostCallError(
                PUBLISH_LIMIT,
                f"event {event_type!r} not published: the scripts of this tenant may publish "
                f"at most {per_minute} events a minute (JSSCRIPTS_EVENT_PUBLISH_PER_MINUTE); "
                f"the budget renews in {max(1, round(exc.retry_after))} s",
            ) from None
