"""The Huey consumer: ``flask jsscripts worker``, and an entry point for Huey's own.

``flask jsscripts worker`` runs :func:`run_worker`. Huey's own consumer works too::

    FLASK_APP=myapp:create_app huey_consumer flask_jsscripts.consumer.huey -w 4 -d 0.01 -m 1

Reading ``flask_jsscripts.consumer.huey`` builds the host's Flask app the way ``flask`` does
(``FLASK_APP``, else ``app.py``/``wsgi.py`` in the working directory) and gives the extension's
Huey instance, whose tasks ``init_app`` registered for that app. (Importing this module alone
builds nothing.)

Shutdown. Huey stops gracefully on SIGINT and at once on SIGTERM, which is what process
managers send. :func:`run_worker` treats both as graceful: runs in progress get up to
``JSSCRIPTS_SHUTDOWN_GRACE_SECONDS`` to finish and be recorded, runs not started yet go back
to the queue, and a second signal stops at once. A run still going when the grace is over is
cut off: its sandbox worker is killed and its row is deliberately left ``running`` (this
process writes nothing more), so the reaper closes it past its deadline like any run whose
process died, and retries it if it was an event run. Every sandbox worker is reaped before
the consumer exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Any

from flask.cli import ScriptInfo
from huey.consumer import Consumer
from sqlalchemy import event as sa_event

from .state import JSScriptsState, current_state
from .tasks import ShutdownCutOff

log = logging.getLogger(__name__)

CUT_OFF_JOIN_SECONDS = 5.0  # how long the cut-off runs' threads get to unwind before exit


def __getattr__(name: str) -> Any:
    """``huey`` and ``app`` for ``huey_consumer``: built on first access, once."""
    if name in ("app", "huey"):
        app = ScriptInfo(app_import_path=os.environ.get("FLASK_APP")).load_app()
        globals()["app"] = app
        globals()["huey"] = current_state(app).huey
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class GracefulConsumer(Consumer):
    """Huey's consumer with SIGTERM *and* SIGINT graceful, bounded by ``shutdown_timeout``.

    Huey makes one signal graceful (``graceful_signal``); this one asks for SIGTERM and sends
    SIGINT the same way. The first signal also sets ``stopping``, which tells the tasks to
    start no further run; a second signal (either) stops at once.
    """

    def __init__(self, huey: Any, stopping: threading.Event, **options: Any) -> None:
        super().__init__(huey, graceful_signal="TERM", **options)
        self.stopping = stopping
        self.received: str | None = None

    def start(self) -> None:
        super().start()  # installs Huey's handlers; ours wrap them
        huey_handler = signal.getsignal(signal.SIGTERM)

        def graceful(signum: int, frame: Any) -> None:
            if self.stopping.is_set():
                raise KeyboardInterrupt  # a second signal: Huey stops without waiting
            self.stopping.set()
            self.received = signal.Signals(signum).name
            log.info(
                "%s: stopping; runs in progress get up to %g s to finish",
                self.received,
                self.shutdown_timeout or 0,
            )
            if callable(huey_handler):
                huey_handler(signal.SIGTERM, frame)

        signal.signal(signal.SIGTERM, graceful)
        signal.signal(signal.SIGINT, graceful)


def run_worker(state: JSScriptsState, *, workers: int, periodic: bool) -> None:
    """Run a consumer until a signal stops it, then shut down as the module doc describes.
    Call it inside the app context (``flask jsscripts worker`` does)."""
    grace = float(state.config["JSSCRIPTS_SHUTDOWN_GRACE_SECONDS"])
    if not state.config["JSSCRIPTS_ENABLED"]:
        log.warning("JSSCRIPTS_ENABLED is False: this consumer has no task to run")
    engine = state.db.engine
    queue = state.queue
    stopping = getattr(queue, "stopping", None) or threading.Event()
    consumer = GracefulConsumer(
        state.huey,
        stopping,
        workers=workers,
        worker_type="thread",
        periodic=periodic,
        # SqliteHuey is polled: start fast and back off to at most 1 s when idle (Huey's
        # default of 10 s would delay the first event after a quiet spell by that much).
        initial_delay=0.01,
        backoff=1.15,
        max_delay=1.0,
        shutdown_timeout=grace,
    )
    try:
        consumer.run()
    finally:
        # What follows is bounded; a further signal must not abort it half-way.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        in_progress = getattr(queue, "in_progress", None)
        cut_off = in_progress.count if in_progress is not None else 0
        if cut_off:
            log.warning(
                "grace period over: %d run(s) cut off; their rows stay 'running' until the "
                "reaper closes them",
                cut_off,
            )
            _refuse_writes(engine)
        state.close_runtime(0)  # kills what is still running and reaps every sandbox worker
        if cut_off:
            # The cut-off runs' threads unwind (their writes refused) before the exit.
            in_progress.wait_until_none(CUT_OFF_JOIN_SECONDS)


def _refuse_writes(engine: Any) -> None:
    """From now on, statements from any thread but this one fail: a cut-off run must not
    record the kill as its outcome (that would read as a crash of the script).

    A listener on this consumer's engine, added only at shutdown: unlike the Session
    listeners of :mod:`flask_jsscripts.listeners` it belongs to this shutdown, not to the app."""
    main = threading.current_thread()

    def guard(*_args: Any) -> None:
        if threading.current_thread() is not main:
            raise ShutdownCutOff("the consumer stopped after its grace period")

    sa_event.listen(engine, "before_cursor_execute", guard)
