"""``JSScripts``: the object a host creates, wires up in ``init_app`` and decorates hooks on.

Per Flask convention the instance never stores an app: everything per-app lives in the
:class:`JSScriptsState` registered as ``app.extensions["jsscripts"]``. Hooks and exposed
functions are registered on the instance (usually at import time, possibly after ``init_app``),
and the state reads them through the instance, so decoration order does not matter.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context
from huey import Huey
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from . import config as jsconfig
from . import metrics, tasks, tenancy
from .cli import jsscripts as jsscripts_cli
from .migrations import init_migrations
from .models import Execution, OutboxEvent, attach_to
from .runtime import Runtime
from .services import events, executions, scripts
from .services.errors import NotFound
from .services.events import validate_event_type
from .services.executions import RunContext
from .services.queue import TaskQueue

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
EXPOSE_NAME_RE = re.compile(rf"{_IDENT}(\.{_IDENT})*")
# Names that would shadow or reach JS object internals once they become properties of sdk.host.
_RESERVED_SEGMENTS = frozenset(
    {"constructor", "prototype", "toString", "valueOf", "hasOwnProperty"}
)
MAX_NAME_LENGTH = 100
# session.info: (queue, {tenant: event ids}) to dispatch after commit
_OUTBOX_KEY = "jsscripts_outbox"


@dataclass(frozen=True)
class ExposedFunction:
    """A host function callable from scripts as ``sdk.host.<name>(...)``."""

    name: str
    fn: Callable[..., Any]
    permission: str | None = None


class JSScriptsState:
    """What one app knows about the extension: ``app.extensions["jsscripts"]``."""

    def __init__(
        self, extension: JSScripts, db: Any, config: Any, runtime: Runtime | None = None
    ) -> None:
        self.extension = extension
        self.db = db
        self.config = config
        self._shared_runtime = runtime  # given by the host: used, never closed by us
        self._runtime: Runtime | None = None
        self._runtime_pid = 0
        self._runtime_lock = threading.Lock()
        self._exit_hook_pid = 0
        self.huey: Huey | None = None  # set by init_app
        self.queue: TaskQueue | None = None

    @property
    def runtime(self) -> Runtime:
        """This process's sandbox worker pool, started on first use. A forked process (gunicorn
        worker, Huey process worker) starts its own instead of sharing its parent's pipes."""
        if self._shared_runtime is not None:
            return self._shared_runtime
        with self._runtime_lock:
            if self._runtime is None or self._runtime_pid != os.getpid():
                cfg = self.config
                self._runtime = Runtime(
                    workers=cfg["JSSCRIPTS_POOL_SIZE"],
                    max_runs_per_worker=cfg["JSSCRIPTS_WORKER_MAX_RUNS"],
                    tenant_reserve=cfg["JSSCRIPTS_POOL_TENANT_RESERVE"],
                    compile_workers=cfg["JSSCRIPTS_COMPILE_POOL_SIZE"],
                )
                self._runtime_pid = os.getpid()
                metrics.track_pool(self._runtime)
                self._install_exit_hook()
            return self._runtime

    def _install_exit_hook(self) -> None:
        """At interpreter exit, give in-flight runs the grace period, then reap the workers.

        Registered after the runtime's own exit finaliser (which closes without a grace), so
        it runs first (atexit is last-in, first-out). Once per process; held weakly."""
        if self._exit_hook_pid == os.getpid():
            return
        self._exit_hook_pid = os.getpid()
        ref = weakref.ref(self)

        def close_at_exit() -> None:
            state = ref()
            if state is not None:
                state.close_runtime()

        atexit.register(close_at_exit)

    def close_runtime(self, grace: float | None = None) -> None:
        """Let in-flight runs finish (up to the configured grace period), then stop the pool."""
        with self._runtime_lock:
            runtime, self._runtime = self._runtime, None
        if runtime is not None and self._runtime_pid == os.getpid():
            runtime.close(
                self.config["JSSCRIPTS_SHUTDOWN_GRACE_SECONDS"] if grace is None else grace
            )

    def run_context(self) -> RunContext:
        return RunContext(
            config=self.config,
            runtime=self.runtime,
            engine=self.db.engine,
            exposed=self.exposed,
            queue=self.queue,
            permission_checker=self.permission_checker,
        )

    @property
    def tenant_loader(self) -> Callable[[], str | None] | None:
        return self.extension._tenant_loader

    @property
    def user_loader(self) -> Callable[[], Any] | None:
        return self.extension._user_loader

    @property
    def permission_checker(self) -> Callable[[Any, str], bool] | None:
        return self.extension._permission_checker

    @property
    def exposed(self) -> dict[str, ExposedFunction]:
        return self.extension._exposed

    def load_tenant(self) -> str | None:
        """The current tenant key from the host's loader (None when unknown)."""
        loader = self.tenant_loader
        return loader() if loader is not None else None

    def load_user(self) -> Any:
        """The current user: host loader, else Flask-Login's ``current_user`` when set up."""
        if self.user_loader is not None:
            return self.user_loader()
        return _flask_login_user()


def _flask_login_user() -> Any:
    try:
        import flask_login
    except ImportError:
        return None
    if not has_app_context() or not hasattr(current_app, "login_manager"):
        return None
    return flask_login.current_user._get_current_object()


class JSScripts:
    """The Flask extension. ``JSScripts(app, db=db)`` or ``JSScripts()`` + ``init_app``."""

    def __init__(
        self, app: Flask | None = None, db: Any = None, runtime: Runtime | None = None
    ) -> None:
        self.db = db
        self.runtime = runtime
        self._tenant_loader: Callable[[], str | None] | None = None
        self._user_loader: Callable[[], Any] | None = None
        self._permission_checker: Callable[[Any, str], bool] | None = None
        self._exposed: dict[str, ExposedFunction] = {}
        if app is not None:
            self.init_app(app, db=db, runtime=runtime)

    # --- wiring --------------------------------------------------------------------------

    def init_app(self, app: Flask, db: Any = None, runtime: Runtime | None = None) -> None:
        """Set config defaults, validate them, bind the models to ``db``, register the state."""
        db = db if db is not None else self.db
        runtime = runtime if runtime is not None else self.runtime
        if db is None:
            raise TypeError("JSScripts needs the host's Flask-SQLAlchemy db: init_app(app, db=db)")
        if "jsscripts" in app.extensions:
            raise RuntimeError("JSScripts is already initialised on this app")
        jsconfig.apply_defaults(app.config)
        jsconfig.validate(app.config)
        for key in jsconfig.unknown_keys(app.config):
            log.warning("unknown setting %s ignored (typo?)", key)

        tenancy.install()
        attach_to(db.metadata)
        state = JSScriptsState(self, db, app.config, runtime)
        app.extensions["jsscripts"] = state
        state.huey = tasks.make_huey(app)
        state.queue = tasks.register(state.huey, app)
        metrics.track_queue_depth(state.huey.pending_count)
        if runtime is not None:
            metrics.track_pool(runtime)
        _install_outbox_hooks()
        init_migrations(app)
        app.cli.add_command(jsscripts_cli)  # `flask jsscripts ...`
        self._register_blueprint(app)
        self._register_health(app)
        if self._permission_checker is None:
            log.warning(
                "flask-jsscripts: no permission checker configured, so every page answers 403. "
                "Register one with @jsscripts.permission_checker (or "
                "jsscripts.permission_checker(flask_jsscripts.permissions.user_has_permission))."
            )

    def _register_blueprint(self, app: Flask) -> None:
        """Mount the admin UI under ``JSSCRIPTS_URL_PREFIX`` and the HTTP endpoints under
        ``JSSCRIPTS_ENDPOINT_PREFIX`` (nothing when switched off)."""
        if not app.config["JSSCRIPTS_ENABLED"]:
            return
        from .web import create_blueprint

        app.register_blueprint(create_blueprint(), url_prefix=app.config["JSSCRIPTS_URL_PREFIX"])
        if app.config["JSSCRIPTS_ENABLE_HTTP"]:
            from .web.endpoints import create_blueprint as create_endpoint_blueprint

            endpoints = create_endpoint_blueprint()
            app.register_blueprint(endpoints, url_prefix=app.config["JSSCRIPTS_ENDPOINT_PREFIX"])
            if "csrf" in app.extensions:
                # the host's CSRFProtect, set up before us (the blueprint exempts itself from
                # one set up later): scripts' callers have no CSRF token
                app.extensions["csrf"].exempt(endpoints)

    def _register_health(self, app: Flask) -> None:
        """Mount ``/live`` and ``/ready`` under ``JSSCRIPTS_HEALTH_URL_PREFIX`` (None: not at
        all). They stay mounted when the extension is switched off, so that flipping the
        switch never fails a deployment's probes; ``/ready`` then skips the sandbox pool."""
        prefix = app.config["JSSCRIPTS_HEALTH_URL_PREFIX"]
        if prefix is None:
            return
        from .web.health import create_health_blueprint

        app.register_blueprint(create_health_blueprint(), url_prefix=prefix)

    # --- host hooks ----------------------------------------------------------------------

    def tenant_loader(self, fn: Callable[[], str | None]) -> Callable[[], str | None]:
        """Decorator: ``() -> str | None``, the current tenant key."""
        self._tenant_loader = fn
        return fn

    def user_loader(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """Decorator: ``() -> user | None`` (default: ``flask_login.current_user``)."""
        self._user_loader = fn
        return fn

    def permission_checker(self, fn: Callable[[Any, str], bool]) -> Callable[[Any, str], bool]:
        """Decorator: ``(user, permission) -> bool``; its answer is final (see permissions)."""
        self._permission_checker = fn
        return fn

    def expose(
        self, name: str, fn: Callable[..., Any] | None = None, permission: str | None = None
    ) -> Any:
        """Make ``fn`` callable from scripts as ``sdk.host.<name>``; usable as a decorator.

        Only JSON crosses the sandbox boundary: ``fn`` gets JSON values and must return one.
        """
        if fn is None:

            def decorator(f: F) -> F:
                self.expose(name, f, permission=permission)
                return f

            return decorator
        validate_expose_name(name)
        if not callable(fn):
            raise TypeError(f"expose({name!r}): fn must be callable")
        if permission is not None and (not isinstance(permission, str) or not permission):
            raise ValueError(f"expose({name!r}): permission must be a non-empty string")
        if name in self._exposed:
            raise ValueError(f"expose({name!r}): a function is already exposed under that name")
        clash = [n for n in self._exposed if n.startswith(name + ".") or name.startswith(n + ".")]
        if clash:
            raise ValueError(f"expose({name!r}): clashes with {clash[0]!r} (object vs function)")
        self._exposed[name] = ExposedFunction(name, fn, permission)
        return fn

    # --- running from host code ----------------------------------------------------------

    def run(
        self,
        script: str,
        input: Any = None,  # noqa: A002 - the name scripts see (ctx.input)
        *,
        tenant_id: str | None = None,
        user: Any = None,
        trigger: str = "api",
    ) -> Execution:
        """Run a script (by id or name) now and return its recorded execution.

        The tenant is ``tenant_id``, else the current tenant scope, else the host's tenant
        loader. Raises the services' errors (NotFound, RunRefused, ValidationError).
        """
        state: JSScriptsState = current_app.extensions["jsscripts"]
        tenant = tenant_id or tenancy.current_tenant() or state.load_tenant()
        if not tenant:
            raise tenancy.TenantScopeError("run(): no tenant is known")
        session = state.db.session
        with tenancy.tenant_scope(tenant):
            try:
                found = scripts.get_script(session, script)
            except NotFound:
                found = scripts.get_script_by_name(session, script)
            return executions.run_script(
                session, state.run_context(), found.id, trigger, input, user=user
            )

    # --- events --------------------------------------------------------------------------

    def publish(
        self,
        event_type: str,
        payload: Any = None,
        *,
        tenant_id: str | None = None,
        actor_id: str | None = None,
        depth: int = 0,
        causation_execution_id: str | None = None,
    ) -> OutboxEvent | None:
        """Record a domain event in the caller's ``db.session`` (not committed).

        It becomes durable with the caller's own commit and is dispatched asynchronously. The
        tenant is ``tenant_id``, else the current tenant scope, else the host's tenant loader.
        Returns the outbox row, or None when the extension or events are switched off.
        """
        validate_event_type(event_type)
        cfg = current_app.config
        if not (cfg["JSSCRIPTS_ENABLED"] and cfg["JSSCRIPTS_ENABLE_EVENTS"]):
            log.debug("event %s dropped: events are switched off", event_type)
            return None
        state: JSScriptsState = current_app.extensions["jsscripts"]
        tenant = tenant_id or tenancy.current_tenant() or state.load_tenant()
        if not tenant:
            raise tenancy.TenantScopeError(f"publish({event_type!r}): no tenant is known")
        row = events.new_outbox_event(
            cfg,
            tenant_id=tenant,
            event_type=event_type,
            payload=payload,
            depth=depth,
            actor_id=actor_id,
            causation_execution_id=causation_execution_id,
        )
        if row.status == "refused":
            raise ValueError(f"event {event_type!r} refused: {row.last_error}")
        session = state.db.session
        tenancy.allow_unscoped_insert(session, row)
        session.add(row)
        if state.queue is not None:
            by_tenant = session.info.setdefault(_OUTBOX_KEY, (state.queue, {}))[1]
            by_tenant.setdefault(tenant, []).append(row.id)
        return row


def _install_outbox_hooks() -> None:
    """After a commit, hand the events it made durable to the queue; after a rollback, forget
    them (they were never written). Installed once, for every SQLAlchemy session."""
    if sa_event.contains(Session, "after_commit", _dispatch_committed_events):
        return
    sa_event.listen(Session, "after_commit", _dispatch_committed_events)
    sa_event.listen(Session, "after_rollback", _forget_rolled_back_events)


def _dispatch_committed_events(session: Session) -> None:
    pending = session.info.pop(_OUTBOX_KEY, None)
    if pending is not None:
        queue, by_tenant = pending
        for tenant, event_ids in by_tenant.items():
            queue.dispatch_events(event_ids, tenant_id=tenant)


def _forget_rolled_back_events(session: Session) -> None:
    session.info.pop(_OUTBOX_KEY, None)


def validate_expose_name(name: Any) -> str:
    """Dotted identifiers (``orders.find``), no JS internals, at most 100 characters."""
    if (
        not isinstance(name, str)
        or len(name) > MAX_NAME_LENGTH
        or not EXPOSE_NAME_RE.fullmatch(name)
    ):
        raise ValueError(
            f"invalid exposed name {name!r}: use dotted identifiers like 'orders.find'"
        )
    for segment in name.split("."):
        if segment.startswith("__") or segment in _RESERVED_SEGMENTS:
            raise ValueError(f"invalid exposed name {name!r}: {segment!r} is reserved")
    return name
