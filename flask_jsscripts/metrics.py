"""The extension's own ``jsscripts_*`` Prometheus series, defined once per process.

They live in prometheus_client's default registry, so the host's exporter (e.g.
prometheus-flask-exporter on ``/metrics``) shows them beside its own, and a consumer started
with ``flask jsscripts worker --metrics-port`` exposes them itself. Under gunicorn set
``PROMETHEUS_MULTIPROC_DIR``: prometheus_client then writes them per process and the
exporter sums them. The queue depth is read when scraped, from the queue storage.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter, Gauge, Histogram

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
    "jsscripts_queue_depth", "Tasks waiting in the queue storage.", multiprocess_mode="max"
)


def track_queue_depth(read: Callable[[], int]) -> None:
    """Let the queue-depth gauge ask the storage at scrape time (last registration wins)."""

    def depth() -> float:
        try:
            return float(read())
        except Exception:  # noqa: BLE001 - a scrape must not fail because Redis is down
            return float("nan")

    QUEUE_DEPTH.set_function(depth)


def observe_execution(trigger: str, status: str, metrics: dict) -> None:
    """Count one finished run (``metrics`` is the run's own: duration, cache hit or miss)."""
    EXECUTIONS.labels(status=status, trigger=trigger).inc()
    duration_ms = metrics.get("duration_ms")
    if isinstance(duration_ms, int | float):
        EXECUTION_DURATION.labels(trigger=trigger).observe(duration_ms / 1000)
    if metrics.get("cache") in ("hit", "miss"):
        COMPILE_CACHE.labels(result=metrics["cache"]).inc()
