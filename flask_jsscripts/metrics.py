"""The extension's own ``jsscripts_*`` Prometheus series, defined once per process.

They live in prometheus_client's default registry, so the host's exporter (e.g.
prometheus-flask-exporter on ``/metrics``) shows them beside its own, and a consumer started
with ``flask jsscripts worker --metrics-port`` exposes them itself.

Values read when scraped (the sandbox pool's workers/busy/waiting, the queue depth) are gauges
with ``set_function`` in a single process. Under gunicorn with ``PROMETHEUS_MULTIPROC_DIR``
prometheus_client keeps every value in per-process files and the scrape only reads those
files (a function gauge would never reach them), so each process runs a small sampler thread
that writes its readings every :data:`SAMPLE_SECONDS` instead. The pool gauges use
``multiprocess_mode="livesum"``: every process has its own pool, so the machine's figure is the
sum over the processes alive now (a dead worker's file is dropped by ``mark_process_dead``).
The queue depth is one shared number that every process reads: ``livemostrecent`` shows the
latest reading of a live process rather than a sum of copies.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, values

log = logging.getLogger(__name__)

# prometheus_client picked its value store when first imported (PROMETHEUS_MULTIPROC_DIR set:
# per-process files); ask it rather than the environment, which may have changed since.
MULTIPROCESS = values.ValueClass is not values.MutexValue
SAMPLE_SECONDS = 1.0  # multiprocess mode: how often a process writes its pool readings
QUEUE_SAMPLE_EVERY = 5  # ... and the queue depth every this many pool samples

EVENTS_RECEIVED = Counter("jsscripts_events_received", "Outbox events taken up by a dispatcher.")
EVENTS_MATCHED = Counter(
    "jsscripts_events_matched", "Subscriptions matched by dispatched events (after filters)."
)
EXECUTIONS_QUEUED = Counter(
    "jsscripts_executions_queued", "Executions queued for a consumer, by trigger.", ["trigger"]
)
RETRIES = Counter("jsscripts_retries", "Event runs scheduled again after a retryable failure.")
DEAD_LETTERS = Counter("jsscripts_dead_letters", "Event deliveries moved to the dead letters.")
CRON_RUNS = Counter(
    "jsscripts_cron_runs", "Cron schedules claimed, by outcome (queued or skipped).", ["outcome"]
)
EVENTS_REFUSED = Counter(
    "jsscripts_events_refused", "Events published by scripts past the causation depth."
)
PUBLISH_LIMITED = Counter(
    "jsscripts_publish_limited",
    "sdk.events.publish calls refused by a publish budget, by budget (run or minute).",
    ["budget"],
)
EXECUTIONS = Counter(
    "jsscripts_executions", "Runs that ended, by status and trigger.", ["status", "trigger"]
)
EXECUTION_DURATION = Histogram(
    "jsscripts_execution_duration_seconds",
    "Time a run spent in the sandbox, by trigger.",
    ["trigger"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
COMPILE_CACHE = Counter(
    "jsscripts_compile_cache", "Runs by whether the worker had the script compiled.", ["result"]
)
HOST_CALLS = Counter(
    "jsscripts_host_calls", "sdk.* calls served by the broker, by capability.", ["capability"]
)
SSRF_BLOCKED = Counter(
    "jsscripts_ssrf_blocked", "sdk.http requests refused by the SSRF guard, by reason.", ["reason"]
)
QUEUE_DEPTH = Gauge(
    "jsscripts_queue_depth",
    "Tasks waiting in the queue storage.",
    multiprocess_mode="livemostrecent",
)
POOL_WORKERS = Gauge(
    "jsscripts_pool_workers",
    "Sandbox worker processes in the working set (warm spares not counted).",
    multiprocess_mode="livesum",
)
POOL_BUSY = Gauge(
    "jsscripts_pool_busy", "Sandbox workers running a script now.", multiprocess_mode="livesum"
)
POOL_WAITING = Gauge(
    "jsscripts_pool_waiting",
    "Runs waiting for a free sandbox worker.",
    multiprocess_mode="livesum",
)
POOL_WAITING_OVER_SHARE = Gauge(
    "jsscripts_pool_waiting_over_share",
    "Runs waiting because their tenant already holds its share of the sandbox workers.",
    multiprocess_mode="livesum",
)
_POOL_GAUGES = {
    "workers": POOL_WORKERS,
    "busy": POOL_BUSY,
    "waiting": POOL_WAITING,
    "waiting_over_share": POOL_WAITING_OVER_SHARE,
}

# What the scrape-time gauges read: the last registered pool and queue of this process.
_sources: dict[str, Any] = {"pool": None, "queue": None}


def _pool_stats() -> dict[str, int]:
    ref = _sources["pool"]
    runtime = ref() if ref is not None else None
    if runtime is None:
        return {}
    try:
        return runtime.stats()
    except Exception:  # noqa: BLE001 - a scrape must not fail because of the pool
        log.debug("pool stats unavailable", exc_info=True)
        return {}


def _queue_depth() -> float:
    read = _sources["queue"]
    if read is None:
        return 0.0
    try:
        return float(read())
    except Exception:  # noqa: BLE001 - a scrape must not fail because Redis is down
        return float("nan")


def track_queue_depth(read: Callable[[], int]) -> None:
    """Let the queue-depth gauge ask the storage when scraped (last registration wins)."""
    _sources["queue"] = read
    _sampler.ensure()


def track_pool(runtime: Any) -> None:
    """Report this sandbox pool (anything with ``stats()``) in the pool gauges, read when
    scraped; the last registration wins. Held weakly: a closed, dropped pool reads as 0."""
    _sources["pool"] = weakref.ref(runtime)
    _sampler.ensure()


def _pool_reader(key: str) -> Callable[[], float]:
    return lambda: float(_pool_stats().get(key, 0))


class _Sampler:
    """Multiprocess mode only: writes this process's readings into its value files."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = 0
        self._written: tuple[int, ...] = ()
        # A fork while another thread held the lock must not leave the child's copy locked.
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()

    def ensure(self) -> None:
        """Start the thread in this process if it is not running (a fork does not copy it)."""
        if not MULTIPROCESS:
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            threading.Thread(target=self._loop, name="jsscripts-metrics", daemon=True).start()

    def _loop(self) -> None:
        tick = 0
        while True:  # a daemon thread: it lives as long as its process
            try:
                self.sample(with_queue=tick % QUEUE_SAMPLE_EVERY == 0)
            except Exception:  # noqa: BLE001 - never let the sampler die
                log.debug("metrics sample failed", exc_info=True)
            tick += 1
            time.sleep(SAMPLE_SECONDS)

    def sample(self, with_queue: bool = True, *, if_changed: bool = False) -> None:
        stats = _pool_stats()
        readings = tuple(stats.get(key, 0) for key in _POOL_GAUGES)
        # After a run the pool usually reads as it did after the last one: skip three file
        # writes (each takes prometheus_client's lock) when nothing moved.
        if not (if_changed and readings == self._written):
            for gauge, value in zip(_POOL_GAUGES.values(), readings, strict=True):
                gauge.set(value)
            self._written = readings
        if with_queue and _sources["queue"] is not None:
            QUEUE_DEPTH.set(_queue_depth())


_sampler = _Sampler()

if not MULTIPROCESS:
    for _key, _gauge in _POOL_GAUGES.items():
        _gauge.set_function(_pool_reader(_key))
    QUEUE_DEPTH.set_function(_queue_depth)


def observe_execution(trigger: str, status: str, metrics: dict) -> None:
    """Count one finished run (``metrics`` is the run's own: duration, cache hit or miss)."""
    _child(EXECUTIONS, status, trigger).inc()
    duration_ms = metrics.get("duration_ms")
    if isinstance(duration_ms, int | float):
        _child(EXECUTION_DURATION, trigger).observe(duration_ms / 1000)
    if metrics.get("cache") in ("hit", "miss"):
        _child(COMPILE_CACHE, metrics["cache"]).inc()
    if MULTIPROCESS:
        # the pool just freed up: do not wait for the tick
        _sampler.sample(with_queue=False, if_changed=True)


_children: dict[tuple[Any, ...], Any] = {}


def _child(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, remembered: ``labels()`` validates and locks on every call,
    and a run's few label combinations repeat (statuses × triggers)."""
    key = (metric, *labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child
