"""gunicorn settings for a host admin with flask-jsscripts (the example admin uses them too).

    gunicorn -c deploy/gunicorn.conf.py 'example_app.app:create_app()'

Metrics: several worker processes each count for themselves, so prometheus_client keeps the
values in files under ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` (whichever worker answers)
adds them up. The directory must exist before anything imports prometheus_client and must
start empty; a dead worker's live gauges (e.g. ``jsscripts_pool_workers``) are dropped when it
exits. Shutdown: SIGTERM to the master lets each worker finish the request it is serving (a
script run included) within ``graceful_timeout``; the extension then reaps its sandbox
workers as the process exits. SIGINT/SIGQUIT are gunicorn's quick shutdown.

Environment: ``PORT`` (5000), ``WEB_CONCURRENCY`` (2 workers), ``PROMETHEUS_MULTIPROC_DIR``
(default: a fresh temporary directory), ``JSSCRIPTS_SHUTDOWN_GRACE_SECONDS`` (10),
``JSSCRIPTS_MAX_TIMEOUT`` (300: the longest run a request may wait for).
"""

from __future__ import annotations

import glob
import os
import tempfile

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="example-prometheus-")
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

bind = f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
# A run may take up to JSSCRIPTS_MAX_TIMEOUT seconds, and a sync worker is silent meanwhile.
timeout = int(float(os.environ.get("JSSCRIPTS_MAX_TIMEOUT", "300"))) + 30
# SIGTERM: the request in progress (and its run) gets the extension's grace period, plus a
# little for the response and the exit; past it the master kills the worker.
graceful_timeout = int(float(os.environ.get("JSSCRIPTS_SHUTDOWN_GRACE_SECONDS", "10"))) + 5
accesslog = "-"
# gunicorn >= 25 opens a control socket at one fixed path per user; two instances on one
# machine (a second site, the tests) would fight over it; nothing here uses it.
control_socket_disable = True


def on_starting(server: object) -> None:
    """Values left by an earlier run would be added to this one's: start from empty files."""
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def child_exit(server: object, worker: object) -> None:
    """Drop the exited worker's live gauges (its counters stay: they are history)."""
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)  # type: ignore[attr-defined]
