"""What one app knows about the extension, and how code running inside that app reaches it.

``JSScripts.init_app`` registers a :class:`JSScriptsState` as ``app.extensions["jsscripts"]``;
everything else (views, tasks, the CLI) reads it through :func:`current_state`.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, has_app_context
from huey import Huey

from . import metrics
from .runtime import Runtime
from .services.executions import RunContext
from .services.queue import TaskQueue

if TYPE_CHECKING:  # pragma: no cover
    from .extension import JSScripts

EXTENSION_KEY = "jsscripts"  # the key in app.extensions


def current_state(app: Flask | None = None) -> JSScriptsState:
    """The extension's state for ``app`` (default: the current app).

    Raises RuntimeError when ``JSScripts`` was never initialised on that app."""
    app = app if app is not None else current_app._get_current_object()
    state = app.extensions.get(EXTENSION_KEY)
    if state is None:
        raise RuntimeError(
            f"flask-jsscripts is not initialised on app {app.name!r}: "
            "call JSScripts(app, db=db) or jsscripts.init_app(app, db=db) first"
        )
    return state


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
