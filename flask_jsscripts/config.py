"""``JSSCRIPTS_*`` configuration: every key with its default, and validation.

All keys live in :data:`DEFAULTS` so that the README table, ``init_app`` and the validator
cannot drift apart. ``init_app`` applies them with ``app.config.setdefault`` (the host's
values win) and then calls :func:`validate`, which reports every bad key at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from .runtime.limits import MAX_RUNS_PER_WORKER

KIB = 1024
MIB = 1024 * 1024

DEFAULTS: dict[str, Any] = {
    # Master switch: False leaves the extension registered but inert (no runs, no pages).
    "JSSCRIPTS_ENABLED": True,
    # Where the admin UI blueprint is mounted.
    "JSSCRIPTS_URL_PREFIX": "/scripts",
    # Layout the UI pages extend; the host may point it at its own base template.
    "JSSCRIPTS_BASE_TEMPLATE": "jsscripts/layout.html",
    # Load the vendored htmx on the extension's pages; False when the host layout loads its own.
    "JSSCRIPTS_INCLUDE_HTMX": True,
    # Prefix under which HTTP-triggered scripts answer requests.
    "JSSCRIPTS_ENDPOINT_PREFIX": "/api/scripts",
    # A separate origin for the endpoints (e.g. "https://hooks.example.com"): when set, script
    # answers are served only on it and the UI shows endpoint URLs there; None: the host's own.
    "JSSCRIPTS_ENDPOINT_ORIGIN": None,
    # Where /live and /ready answer (health checks); None leaves them unmounted.
    "JSSCRIPTS_HEALTH_URL_PREFIX": "/health",
    # Trigger kind switch: manual runs (Run button, Python API).
    "JSSCRIPTS_ENABLE_MANUAL": True,
    # Trigger kind switch: cron schedules.
    "JSSCRIPTS_ENABLE_CRON": True,
    # Trigger kind switch: HTTP endpoints.
    "JSSCRIPTS_ENABLE_HTTP": True,
    # Trigger kind switch: domain events (publish() still writes nothing when off).
    "JSSCRIPTS_ENABLE_EVENTS": True,
    # Default wall-clock timeout of one run, in seconds.
    "JSSCRIPTS_DEFAULT_TIMEOUT": 30,
    # Largest timeout a script may ask for, in seconds (at most 300).
    "JSSCRIPTS_MAX_TIMEOUT": 300,
    # Default memory cap of one run, in MiB (RLIMIT_AS of the worker).
    "JSSCRIPTS_DEFAULT_MEMORY_MB": 64,
    # Largest memory cap a script may ask for, in MiB.
    "JSSCRIPTS_MAX_MEMORY_MB": 512,
    # Default cap on the JSON result of one run, in bytes.
    "JSSCRIPTS_DEFAULT_OUTPUT_BYTES": 1 * MIB,
    # Largest output cap a script may ask for, in bytes.
    "JSSCRIPTS_MAX_OUTPUT_BYTES": 10 * MIB,
    # Most JSON elements in one value a run hands to the host (its result, an sdk.log meta, an
    # sdk call's arguments); more end the run as output_limit. Not settable per script.
    "JSSCRIPTS_MAX_OUTPUT_ELEMENTS": 100_000,
    # Default number of console entries kept per run.
    "JSSCRIPTS_DEFAULT_CONSOLE_ENTRIES": 1000,
    # Largest console-entry cap a script may ask for.
    "JSSCRIPTS_MAX_CONSOLE_ENTRIES": 10000,
    # Default number of sdk.* calls one run may make.
    "JSSCRIPTS_DEFAULT_HOST_CALLS": 100,
    # Largest host-call budget a script may ask for.
    "JSSCRIPTS_MAX_HOST_CALLS": 1000,
    # Default number of concurrent runs of one script.
    "JSSCRIPTS_DEFAULT_CONCURRENCY_PER_SCRIPT": 2,
    # Largest per-script concurrency a script may ask for.
    "JSSCRIPTS_MAX_CONCURRENCY_PER_SCRIPT": 10,
    # Concurrent runs allowed per tenant, all scripts together.
    "JSSCRIPTS_MAX_CONCURRENCY_PER_TENANT": 10,
    # Largest script source accepted, in bytes (UTF-8).
    "JSSCRIPTS_MAX_SOURCE_BYTES": 100_000,
    # Largest manual/API input accepted, in bytes of JSON.
    "JSSCRIPTS_MAX_INPUT_BYTES": 1 * MIB,
    # Largest event payload accepted by publish(), in bytes of JSON.
    "JSSCRIPTS_MAX_EVENT_BYTES": 256 * KIB,
    # Number of pre-started sandbox worker processes.
    "JSSCRIPTS_POOL_SIZE": 4,
    # Workers of each pool (runs, compiles) kept from a tenant that holds all the others, so
    # that another tenant's run starts at once; a tenant may always hold one. 0: one tenant
    # may take a whole pool (a host with a single tenant).
    "JSSCRIPTS_POOL_TENANT_RESERVE": 1,
    # Worker processes that compile sources (syntax check, Babel), apart from the run pool;
    # started on a process's first compile.
    "JSSCRIPTS_COMPILE_POOL_SIZE": 2,
    # A worker is retired after this many runs.
    "JSSCRIPTS_WORKER_MAX_RUNS": MAX_RUNS_PER_WORKER,
    # Seconds in-flight runs get to finish on shutdown.
    "JSSCRIPTS_SHUTDOWN_GRACE_SECONDS": 10,
    # Executions older than this many days are deleted by the cleanup job.
    "JSSCRIPTS_RETENTION_DAYS": 90,
    # Huey storage: None = SqliteHuey in the instance folder; sqlite:////abs/path.sqlite3,
    # redis://host:port/db (production, several consumers), memory:// (one process, tests).
    "JSSCRIPTS_HUEY_URL": None,
    # Run Huey tasks inline (tests only: it hides errors in pickling task arguments).
    "JSSCRIPTS_HUEY_IMMEDIATE": False,
    # Events published by scripts deeper than this causation depth are refused.
    "JSSCRIPTS_EVENT_MAX_DEPTH": 3,
    # Events one run may publish with sdk.events.publish (the breadth of a fan-out).
    "JSSCRIPTS_EVENT_PUBLISH_PER_RUN": 10,
    # Events the scripts of one tenant may publish per minute, all runs together (host code's
    # own publish() is not counted).
    "JSSCRIPTS_EVENT_PUBLISH_PER_MINUTE": 1000,
    # First retry delay in seconds.
    "JSSCRIPTS_RETRY_BASE_SECONDS": 2,
    # Multiplier between successive retry delays (2 s, 4 s, 8 s by default).
    "JSSCRIPTS_RETRY_FACTOR": 2,
    # Retries after the first attempt before an event run is dead-lettered.
    "JSSCRIPTS_RETRY_ATTEMPTS": 3,
    # Random spread of each retry delay, as a fraction (0.1: +/- 10%), so retries of many
    # events that failed together do not all arrive at once.
    "JSSCRIPTS_RETRY_JITTER": 0.1,
    # Seconds past its deadline after which the reaper re-drives a stuck execution.
    "JSSCRIPTS_REAPER_GRACE_SECONDS": 60,
    # sdk.http: per-request timeout in seconds.
    "JSSCRIPTS_HTTP_TIMEOUT": 10,
    # sdk.http: largest response body read, in bytes.
    "JSSCRIPTS_HTTP_MAX_RESPONSE_BYTES": 5 * MIB,
    # sdk.http: redirects followed (each one re-checked against the SSRF guard).
    "JSSCRIPTS_HTTP_MAX_REDIRECTS": 5,
    # sdk.http: if non-empty, only these host names may be reached.
    "JSSCRIPTS_HTTP_ALLOWED_HOSTS": (),
    # sdk.http: private/loopback host names explicitly allowed (off by default).
    "JSSCRIPTS_HTTP_ALLOW_PRIVATE_HOSTS": (),
    # HTTP endpoints: share of successful calls recorded in the history (failed calls always
    # are); below 1 saves a database write per call on busy endpoints.
    "JSSCRIPTS_HTTP_RECORD_SAMPLE": 1.0,
    # HTTP endpoints: bytes of a call's body kept in its recorded input (the script always gets
    # all of it); a longer body is recorded as its first bytes, marked as truncated.
    "JSSCRIPTS_HTTP_RECORD_BODY_BYTES": 16 * KIB,
    # HTTP endpoints: calls per minute of a public endpoint without a rate limit of its own
    # (None: no default limit).
    "JSSCRIPTS_PUBLIC_RATE_LIMIT": 60,
    # sdk.kv: largest JSON value stored under one key, in bytes.
    "JSSCRIPTS_KV_MAX_VALUE_BYTES": 64 * KIB,
    # sdk.kv: most keys one script may hold.
    "JSSCRIPTS_KV_MAX_KEYS": 1000,
}


class ConfigError(ValueError):
    """Raised by :func:`validate`; the message lists every invalid key."""


Check = Callable[[Any], str | None]  # returns an error message, or None when valid


def _bool(value: Any) -> str | None:
    # Strict on purpose: the string "false" is truthy and would silently enable things.
    return None if isinstance(value, bool) else "must be True or False"


def _int(low: int, high: int | None = None) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer"
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f">= {low}"
            return f"must be {bound}"
        return None

    return check


def _number(low: float) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        return None if value >= low else f"must be >= {low}"

    return check


def _fraction(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        return "must be a number between 0 and 1"
    return None


def _url_prefix(value: Any) -> str | None:
    if not isinstance(value, str) or not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+", value):
        return "must be a path like '/scripts' (leading '/', no trailing '/')"
    return None


# scheme://host[:port], nothing after it: an origin, as browsers compare them.
ORIGIN_RE = re.compile(
    r"https?://([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?"
)


def _origin(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and ORIGIN_RE.fullmatch(value)):
        return None
    return "must be None or an origin like 'https://hooks.example.com' (no path, no final '/')"


def _optional(check: Check) -> Check:
    return lambda value: None if value is None else check(value)


def _template(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a template name"


def _huey_url(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and re.match(r"(redis|rediss|memory)://|sqlite:///.", value):
        return None
    return "must be None or a URL starting with redis://, rediss://, sqlite:/// or memory://"


def _hosts(value: Any) -> str | None:
    if isinstance(value, list | tuple | set | frozenset) and all(
        isinstance(h, str) and h for h in value
    ):
        return None
    return "must be a list of host names"


RULES: dict[str, Check] = {
    "JSSCRIPTS_ENABLED": _bool,
    "JSSCRIPTS_URL_PREFIX": _url_prefix,
    "JSSCRIPTS_BASE_TEMPLATE": _template,
    "JSSCRIPTS_INCLUDE_HTMX": _bool,
    "JSSCRIPTS_ENDPOINT_PREFIX": _url_prefix,
    "JSSCRIPTS_ENDPOINT_ORIGIN": _origin,
    "JSSCRIPTS_HEALTH_URL_PREFIX": _optional(_url_prefix),
    "JSSCRIPTS_ENABLE_MANUAL": _bool,
    "JSSCRIPTS_ENABLE_CRON": _bool,
    "JSSCRIPTS_ENABLE_HTTP": _bool,
    "JSSCRIPTS_ENABLE_EVENTS": _bool,
    "JSSCRIPTS_DEFAULT_TIMEOUT": _int(1, 300),
    "JSSCRIPTS_MAX_TIMEOUT": _int(1, 300),
    "JSSCRIPTS_DEFAULT_MEMORY_MB": _int(8),
    "JSSCRIPTS_MAX_MEMORY_MB": _int(8),
    "JSSCRIPTS_DEFAULT_OUTPUT_BYTES": _int(1),
    "JSSCRIPTS_MAX_OUTPUT_BYTES": _int(1),
    "JSSCRIPTS_MAX_OUTPUT_ELEMENTS": _int(1, 100_000_000),
    "JSSCRIPTS_DEFAULT_CONSOLE_ENTRIES": _int(0),
    "JSSCRIPTS_MAX_CONSOLE_ENTRIES": _int(0),
    "JSSCRIPTS_DEFAULT_HOST_CALLS": _int(0),
    "JSSCRIPTS_MAX_HOST_CALLS": _int(0),
    "JSSCRIPTS_DEFAULT_CONCURRENCY_PER_SCRIPT": _int(1),
    "JSSCRIPTS_MAX_CONCURRENCY_PER_SCRIPT": _int(1),
    "JSSCRIPTS_MAX_CONCURRENCY_PER_TENANT": _int(1),
    "JSSCRIPTS_MAX_SOURCE_BYTES": _int(1),
    "JSSCRIPTS_MAX_INPUT_BYTES": _int(1),
    "JSSCRIPTS_MAX_EVENT_BYTES": _int(1),
    "JSSCRIPTS_POOL_SIZE": _int(1),
    "JSSCRIPTS_POOL_TENANT_RESERVE": _int(0),
    "JSSCRIPTS_COMPILE_POOL_SIZE": _int(1),
    "JSSCRIPTS_WORKER_MAX_RUNS": _int(1),
    "JSSCRIPTS_SHUTDOWN_GRACE_SECONDS": _number(0),
    "JSSCRIPTS_RETENTION_DAYS": _int(1),
    "JSSCRIPTS_HUEY_URL": _huey_url,
    "JSSCRIPTS_HUEY_IMMEDIATE": _bool,
    "JSSCRIPTS_EVENT_MAX_DEPTH": _int(0),
    "JSSCRIPTS_EVENT_PUBLISH_PER_RUN": _int(0),
    "JSSCRIPTS_EVENT_PUBLISH_PER_MINUTE": _int(0),
    "JSSCRIPTS_RETRY_BASE_SECONDS": _number(0),
    "JSSCRIPTS_RETRY_FACTOR": _number(1),
    "JSSCRIPTS_RETRY_ATTEMPTS": _int(0),
    "JSSCRIPTS_RETRY_JITTER": _fraction,
    "JSSCRIPTS_REAPER_GRACE_SECONDS": _int(0),
    "JSSCRIPTS_HTTP_TIMEOUT": _number(0.001),
    "JSSCRIPTS_HTTP_MAX_RESPONSE_BYTES": _int(1),
    "JSSCRIPTS_HTTP_MAX_REDIRECTS": _int(0),
    "JSSCRIPTS_HTTP_ALLOWED_HOSTS": _hosts,
    "JSSCRIPTS_HTTP_ALLOW_PRIVATE_HOSTS": _hosts,
    "JSSCRIPTS_HTTP_RECORD_SAMPLE": _fraction,
    "JSSCRIPTS_HTTP_RECORD_BODY_BYTES": _int(0),
    "JSSCRIPTS_PUBLIC_RATE_LIMIT": _optional(_int(1, 1_000_000)),
    "JSSCRIPTS_KV_MAX_VALUE_BYTES": _int(1),
    "JSSCRIPTS_KV_MAX_KEYS": _int(1),
}

# (default key, maximum key): a default above its maximum is a configuration error.
LIMIT_PAIRS: tuple[tuple[str, str], ...] = (
    ("JSSCRIPTS_DEFAULT_TIMEOUT", "JSSCRIPTS_MAX_TIMEOUT"),
    ("JSSCRIPTS_DEFAULT_MEMORY_MB", "JSSCRIPTS_MAX_MEMORY_MB"),
    ("JSSCRIPTS_DEFAULT_OUTPUT_BYTES", "JSSCRIPTS_MAX_OUTPUT_BYTES"),
    ("JSSCRIPTS_DEFAULT_CONSOLE_ENTRIES", "JSSCRIPTS_MAX_CONSOLE_ENTRIES"),
    ("JSSCRIPTS_DEFAULT_HOST_CALLS", "JSSCRIPTS_MAX_HOST_CALLS"),
    ("JSSCRIPTS_DEFAULT_CONCURRENCY_PER_SCRIPT", "JSSCRIPTS_MAX_CONCURRENCY_PER_SCRIPT"),
)

assert set(RULES) == set(DEFAULTS), "every config key needs a default and a rule"


def apply_defaults(config: MutableMapping[str, Any]) -> None:
    """Fill in every missing ``JSSCRIPTS_*`` key; values the host set are kept."""
    for key, value in DEFAULTS.items():
        config.setdefault(key, value)


def validate(config: Mapping[str, Any]) -> None:
    """Check every ``JSSCRIPTS_*`` key; raise one :class:`ConfigError` listing all problems.

    Unknown keys are not errors (see :func:`unknown_keys`): ``init_app`` logs them as warnings.
    """
    errors: list[str] = []
    for key, check in RULES.items():
        message = check(config.get(key, DEFAULTS[key]))
        if message:
            errors.append(f"{key}={config.get(key)!r} {message}")
    if not errors:
        for default_key, max_key in LIMIT_PAIRS:
            default, maximum = config.get(default_key), config.get(max_key)
            if default is not None and maximum is not None and default > maximum:
                errors.append(f"{default_key}={default!r} is above {max_key}={maximum!r}")
    if errors:
        raise ConfigError("invalid flask-jsscripts configuration:\n  " + "\n  ".join(errors))


def unknown_keys(config: Mapping[str, Any]) -> list[str]:
    """``JSSCRIPTS_*`` keys the extension does not know: most likely typos worth a warning."""
    return sorted(k for k in config if k.startswith("JSSCRIPTS_") and k not in DEFAULTS)
