"""``JSScripts``: the object a host creates, wires up in ``init_app`` and decorates hooks on.

Per Flask convention the instance never stores an app: everything per-app lives in the
:class:`~flask_jsscripts.state.JSScriptsState` registered as ``app.extensions["jsscripts"]``.
Hooks and exposed functions are registered on the instance (usually at import time, possibly
after ``init_app``), and the state reads them through the instance, so decoration order does
not matter.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app

from . import config as jsconfig
from . import listeners, metrics, tasks, tenancy
from .cli import jsscripts as jsscripts_cli
from .migrations import init_migrations
from .models import Execution, OutboxEvent, attach_to
from .runtime import Runtime
from .services import events, executions, scripts
from .services.errors import NotFound
from .services.events import validate_event_type
from .state import EXTENSION_KEY, ExposedFunction, JSScriptsState, current_state

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
EXPOSE_NAME_RE = re.compile(rf"{_IDENT}(\.{_IDENT})*")
# Names that would shadow or reach JS object internals once they become properties of sdk.host.
_RESERVED_SEGMENTS = frozenset(
    {"constructor", "prototype", "toString", "valueOf", "hasOwnProperty"}
)
MAX_NAME_LENGTH = 100


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
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("JSScripts is already initialised on this app")
        jsconfig.apply_defaults(app.config)
        jsconfig.validate(app.config)
        for key in jsconfig.unknown_keys(app.config):
            log.warning("unknown setting %s ignored (typo?)", key)

        listeners.install()
        attach_to(db.metadata)
        state = JSScriptsState(self, db, app.config, runtime)
        app.extensions[EXTENSION_KEY] = state
        state.huey = tasks.make_huey(app)
        state.queue = tasks.register(state.huey, app)
        metrics.track_queue_depth(state.huey.pending_count)
        if runtime is not None:
            metrics.track_pool(runtime)
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
        state = current_state()
        tenant = _known_tenant(state, tenant_id, "run()")
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
        state = current_state()
        tenant = _known_tenant(state, tenant_id, f"publish({event_type!r})")
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
            listeners.dispatch_after_commit(session, state.queue, tenant, row.id)
        return row


def _known_tenant(state: JSScriptsState, tenant_id: str | None, caller: str) -> str:
    """``tenant_id``, else the current tenant scope, else the host's tenant loader."""
    tenant = tenant_id or tenancy.current_tenant() or state.load_tenant()
    if not tenant:
        raise tenancy.TenantScopeError(f"{caller}: no tenant is known")
    return tenant


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
