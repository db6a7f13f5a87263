"""Health checks for load balancers and orchestrators: ``/live`` and ``/ready``.

``/live`` answers 200 whenever the process serves requests: it checks nothing else, so a
database outage never gets healthy processes restarted. ``/ready`` says whether this process
can do its work now: the database answers ``SELECT 1``, the queue storage (SqliteHuey file,
Redis) answers, and the sandbox pool runs a trivial script. Each check runs in its own daemon
thread with a deadline (:data:`CHECK_TIMEOUT`), so a hung server makes the answer a named
failure instead of a hung probe; while a check is still hung, later probes report it as
failing without starting another one (at most one thread per check is ever stuck).

Probes are anonymous, so answers carry no secrets: check names, timings, counts and the class
of the error, never a URL, host name or driver message (those go to the log).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ..runtime import Limits
from ..state import current_state

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0  # seconds a check may take before /ready reports it failed
PROBE_SCRIPT = "6 * 7"  # what the pool check runs; any answer but 42 is a failure
PROBE_LIMITS = Limits(timeout=CHECK_TIMEOUT, memory_mb=16, output_bytes=64, host_calls=0)


class CheckFailed(Exception):
    """A check's own verdict (shown as is: it is written to be safe to show)."""


class _Attempt:
    """One run of one check in its own thread."""

    def __init__(self, fn: Callable[[], dict[str, Any]]) -> None:
        self.done = threading.Event()
        self.result: dict[str, Any] = {}
        self.error: BaseException | None = None
        self.started = time.perf_counter()
        self._fn = fn
        threading.Thread(target=self._run, name="jsscripts-health", daemon=True).start()

    def _run(self) -> None:
        try:
            self.result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - reported, never raised in this thread
            self.error = exc
        finally:
            self.done.set()


class HealthChecks:
    """The readiness checks of one app, with at most one attempt per check in flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight: dict[str, _Attempt] = {}

    def run(self, checks: dict[str, Callable[[], dict[str, Any]]]) -> dict[str, dict[str, Any]]:
        """Run the checks side by side; each answers ``{"status": "ok" | "fail", ...}``."""
        attempts: dict[str, _Attempt | None] = {}
        with self._lock:
            for name, fn in checks.items():
                previous = self._in_flight.get(name)
                if previous is not None and not previous.done.is_set():
                    attempts[name] = None  # still stuck: do not pile up another thread
                else:
                    attempts[name] = self._in_flight[name] = _Attempt(fn)
        deadline = time.monotonic() + CHECK_TIMEOUT
        results: dict[str, dict[str, Any]] = {}
        for name, attempt in attempts.items():
            if attempt is None:
                results[name] = _fail("the previous check has not finished yet")
                continue
            if not attempt.done.wait(max(0.0, deadline - time.monotonic())):
                results[name] = _fail(f"no answer within {CHECK_TIMEOUT:g} s")
                log.warning("readiness check %s: no answer within %g s", name, CHECK_TIMEOUT)
                continue
            ms = round((time.perf_counter() - attempt.started) * 1000, 1)
            if attempt.error is None:
                results[name] = {"status": "ok", "ms": ms, **attempt.result}
            else:
                results[name] = {**_fail(_describe(attempt.error)), "ms": ms}
                log.warning(
                    "readiness check %s failed: %s",
                    name,
                    attempt.error,
                    exc_info=not isinstance(attempt.error, CheckFailed | DBAPIError),
                )
        return results


def _fail(error: str) -> dict[str, Any]:
    return {"status": "fail", "error": error}


def _describe(exc: BaseException) -> str:
    """What a probe may see of an error: our own verdicts in full, others by class only (a
    driver's message can name hosts, users or paths)."""
    if isinstance(exc, CheckFailed):
        return str(exc)
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return type(exc.orig).__name__
    return type(exc).__name__


# --- the checks --------------------------------------------------------------------------


def check_database(engine: Any) -> dict[str, Any]:
    """``SELECT 1`` on a pooled connection. A connection left over from before a database
    restart fails once and is dropped with the rest of the pool; that one is retried."""
    for retry in (True, False):
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1")).scalar_one()
            return {}
        except DBAPIError as exc:
            if not (retry and exc.connection_invalidated):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def queue_backend(huey: Any) -> str:
    """A name for the storage kind, safe to show (no URL, no path)."""
    name = type(huey.storage).__name__.lower()
    for kind in ("redis", "sqlite", "memory"):
        if kind in name:
            return kind
    return "other"


def check_queue(huey: Any) -> dict[str, Any]:
    """The storage answers: counting waiting tasks reads it (Redis LLEN, a SQLite query)."""
    return {"backend": queue_backend(huey), "pending": int(huey.storage.queue_size())}


def check_pool(state: Any) -> dict[str, Any]:
    """The sandbox pool (started here if this process has none yet) runs a trivial script."""
    runtime = state.runtime
    result = runtime.run(PROBE_SCRIPT, limits=PROBE_LIMITS)
    if result.status != "completed" or result.value != 42:
        raise CheckFailed(f"the probe script ended with {result.status}")
    stats = runtime.stats()
    return {key: stats[key] for key in ("workers", "busy", "waiting")}


# --- the blueprint -----------------------------------------------------------------------


def create_health_blueprint() -> Blueprint:
    """``/live`` and ``/ready``, to be mounted under ``JSSCRIPTS_HEALTH_URL_PREFIX``."""
    bp = Blueprint("jsscripts_health", __name__)
    checks = HealthChecks()

    @bp.get("/live")
    def live() -> Response:
        return _answer({"status": "ok"}, 200)

    @bp.get("/ready")
    def ready() -> Response:
        state = current_state()
        engine = state.db.engine  # resolved here: the check's thread has no app context
        huey = state.huey
        todo: dict[str, Callable[[], dict[str, Any]]] = {
            "database": lambda: check_database(engine),
            "queue": lambda: check_queue(huey),
        }
        if current_app.config["JSSCRIPTS_ENABLED"]:
            todo["pool"] = lambda: check_pool(state)
        results = checks.run(todo)
        if "pool" not in todo:
            results["pool"] = {"status": "disabled"}  # extension switched off: no sandbox
        failing = sorted(name for name, r in results.items() if r["status"] == "fail")
        body: dict[str, Any] = {"status": "fail" if failing else "ok", "checks": results}
        if failing:
            body["failing"] = failing
        return _answer(body, 503 if failing else 200)

    return bp


def _answer(body: dict[str, Any], status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"  # a cached "ok" would hide an outage
    return response
