"""Validation of what an admin submits for a script: every rule in one place, every error
collected per field (a form shows them all at once), nothing that can raise a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import tenancy
from ..models import SCRIPT_STATUSES, SCRIPT_TYPES, utcnow
from ..runtime import (
    CompiledScript,
    Limits,
    Runtime,
    RuntimeBusyError,
    ScriptSyntaxError,
    jsonvalues,
)
from .cron import next_runs
from .errors import ValidationError
from .filters import validate_filter

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.\-]{0,99}")
TAG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}")
EVENT_PATTERN_RE = re.compile(r"[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*(\.\*)?|\*")
PATH_SEGMENT_RE = re.compile(r"[A-Za-z0-9_.~-]+|\{[A-Za-z_][A-Za-z0-9_]{0,39}\}")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
HTTP_AUTH_MODES = ("session", "token", "public")
MAX_RATE_LIMIT = 1_000_000  # calls per minute of one endpoint
MAX_TAGS = 20
MAX_EVENT_TYPES = 20

# Limits a script may set, mapped to the config keys of their default and maximum.
LIMIT_KEYS: dict[str, tuple[str, str]] = {
    "timeout": ("JSSCRIPTS_DEFAULT_TIMEOUT", "JSSCRIPTS_MAX_TIMEOUT"),
    "memory_mb": ("JSSCRIPTS_DEFAULT_MEMORY_MB", "JSSCRIPTS_MAX_MEMORY_MB"),
    "output_bytes": ("JSSCRIPTS_DEFAULT_OUTPUT_BYTES", "JSSCRIPTS_MAX_OUTPUT_BYTES"),
    "console_entries": ("JSSCRIPTS_DEFAULT_CONSOLE_ENTRIES", "JSSCRIPTS_MAX_CONSOLE_ENTRIES"),
    "host_calls": ("JSSCRIPTS_DEFAULT_HOST_CALLS", "JSSCRIPTS_MAX_HOST_CALLS"),
    "concurrency": (
        "JSSCRIPTS_DEFAULT_CONCURRENCY_PER_SCRIPT",
        "JSSCRIPTS_MAX_CONCURRENCY_PER_SCRIPT",
    ),
}
LIMIT_MINIMUMS = {
    "timeout": 1,
    "memory_mb": 8,
    "output_bytes": 16,
    "console_entries": 0,
    "host_calls": 0,
    "concurrency": 1,
}

# A save whose source found every compile worker busy (the tenant's own slow compiles hold its
# share): nothing is stored, the admin saves again.
COMPILER_BUSY = "the compiler stayed busy with other sources; nothing was saved, try again"

# Constructs the sandbox refuses: they are not errors (the code may never reach them), so they
# come back as warnings shown beside the editor.
SANDBOX_WARNINGS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\b(setTimeout|setInterval|setImmediate)\s*\("),
        "timers do not exist in the sandbox: runs are synchronous, await sdk calls instead",
    ),
    (re.compile(r"\brequire\s*\("), "require() is not available: scripts cannot load modules"),
    (re.compile(r"^\s*(import|export)\b", re.M), "ES modules are not supported"),
    (re.compile(r"\bfetch\s*\(|\bXMLHttpRequest\b"), "use sdk.http instead of fetch/XHR"),
    (
        re.compile(r"\beval\s*\(|\bnew\s+Function\s*\("),
        "eval and the Function constructor are disabled",
    ),
    (re.compile(r"\bprocess\.|\b__dirname\b|\bBuffer\."), "Node.js globals do not exist here"),
)


@dataclass
class ScriptInput:
    """A script as submitted (form, API, import). Trigger fields only matter for their type."""

    name: str = ""
    source: str = ""
    type: str = "manual"
    status: str = "draft"
    description: str = ""
    limits: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    cron: str = ""
    timezone: str = "UTC"
    http_path: str = ""
    http_methods: list[str] = field(default_factory=lambda: ["GET"])
    http_auth: str = "session"
    http_rate_limit: int | None = None  # calls per minute, all callers together; None: no limit
    event_types: list[str] = field(default_factory=list)
    event_filter: dict[str, Any] | None = None
    note: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ScriptInput:
        """Build from loose input (JSON/form), ignoring unknown keys; types are checked later."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data and data[k] is not None}
        return cls(**known)


@dataclass
class Validated:
    data: ScriptInput
    compiled: CompiledScript
    limits: dict[str, Any]
    next_runs: list[datetime]
    warnings: list[str]


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.line: int | None = None
        self.column: int | None = None

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationError(self.fields, line=self.line, column=self.column)


def validate_script(
    data: ScriptInput, *, config: Mapping[str, Any], runtime: Runtime | None
) -> Validated:
    """Check everything that needs no database (uniqueness is checked by the service).
    ``runtime`` compiles the source; without one only the size is checked."""
    errors = _Errors()
    _check_str_fields(data, errors)
    if errors.fields:
        errors.raise_if_any()
    data.name = data.name.strip()
    if not NAME_RE.fullmatch(data.name):
        errors.add(
            "name",
            "1-100 characters: letters, digits, spaces, '.', '_' or '-', "
            "starting with a letter or digit",
        )
    if data.type not in SCRIPT_TYPES:
        errors.add("type", f"must be one of {', '.join(SCRIPT_TYPES)}")
    if data.status not in SCRIPT_STATUSES:
        errors.add("status", f"must be one of {', '.join(SCRIPT_STATUSES)}")
    if len(data.description) > 2000:
        errors.add("description", "at most 2000 characters")
    if len(data.note) > 500:
        errors.add("note", "at most 500 characters")
    data.tags = _clean_tags(data.tags, errors)
    limits = clean_limits(data.limits, config, errors)
    next_runs: list[datetime] = []
    if data.type == "scheduled":
        next_runs = _check_schedule(data, errors)
    elif data.type == "http":
        _check_http(data, errors)
    elif data.type == "event":
        _check_events(data, errors)

    compiled, problem = compile_checked(data.source, config, runtime)
    if problem is not None:
        errors.add("source", problem.message)
        errors.line, errors.column = problem.line, problem.column
    errors.raise_if_any()
    warnings = [message for pattern, message in SANDBOX_WARNINGS if pattern.search(data.source)]
    return Validated(data, compiled, limits, next_runs, warnings)  # type: ignore[arg-type]


@dataclass
class SourceProblem:
    """Why a source cannot be saved; ``line`` and ``column`` are the author's, when known."""

    message: str
    line: int | None = None
    column: int | None = None


def compile_checked(
    source: str, config: Mapping[str, Any], runtime: Runtime | None
) -> tuple[CompiledScript | None, SourceProblem | None]:
    """The source compiled the way a save compiles it, or what is wrong with it (without a
    runtime only its size and emptiness are checked)."""
    size = len(source.encode("utf-8", "surrogatepass"))
    max_bytes = config["JSSCRIPTS_MAX_SOURCE_BYTES"]
    if size > max_bytes:
        return None, SourceProblem(f"the source is {size} bytes; the limit is {max_bytes}")
    if not source.strip():
        return None, SourceProblem("the script is empty")
    if runtime is None:
        return None, None
    try:
        return compile_source(runtime, source), None
    except ScriptSyntaxError as exc:
        return None, SourceProblem(str(exc), exc.line, exc.column)
    except RuntimeBusyError:
        return None, SourceProblem(COMPILER_BUSY)


def compile_source(runtime: Runtime, source: str) -> CompiledScript:
    """``runtime.compile`` within the current tenant's share of the compile workers."""
    return runtime.compile(source, isolation=tenancy.current_tenant() or "")


def _check_str_fields(data: ScriptInput, errors: _Errors) -> None:
    for name in _TEXT_FIELDS[:-3]:
        if not isinstance(getattr(data, name), str):
            errors.add(name, "must be text")
    for name in ("tags", "http_methods", "event_types"):
        value = getattr(data, name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.add(name, "must be a list of text values")
    if not isinstance(data.limits, dict):
        errors.add("limits", "must be an object")
    if data.event_filter is not None and not isinstance(data.event_filter, dict):
        errors.add("event_filter", "must be an object")
    # Text the database cannot store is a field error here, not a driver error (a 500) later:
    # PostgreSQL rejects NUL in text columns, and no driver encodes a lone surrogate.
    for name in _TEXT_FIELDS:
        values = getattr(data, name)
        for value in values if isinstance(values, list) else [values]:
            message = _unstorable(value)
            if message:
                errors.add(name, message)
                break
    if isinstance(data.event_filter, dict):
        _check_filter(data.event_filter, errors)


# The plain text fields, then the three lists of text values.
_TEXT_FIELDS = (
    "name",
    "source",
    "type",
    "status",
    "description",
    "cron",
    "timezone",
    "http_path",
    "http_auth",
    "note",
    "tags",
    "http_methods",
    "event_types",
)
MAX_FILTER_BYTES = 64 * 1024


def _unstorable(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (it contains a lone surrogate)"
    return None


def _check_filter(value: dict[str, Any], errors: _Errors) -> None:
    """Plain, bounded JSON: NaN, non-JSON values or very deep nesting used to reach the JSON
    column and fail at flush (PostgreSQL rejects NaN; json.dumps raises RecursionError)."""
    try:
        jsonvalues.check(value, exact=True)
        encoded = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError):
        errors.add(
            "event_filter",
            f"must be plain JSON (no NaN or Infinity), nested at most {jsonvalues.MAX_DEPTH} "
            "levels",
        )
        return
    if len(encoded.encode("utf-8", "surrogatepass")) > MAX_FILTER_BYTES:
        errors.add("event_filter", f"at most {MAX_FILTER_BYTES} bytes")
    elif "\\u0000" in encoded or _unstorable(encoded):
        errors.add("event_filter", "must not contain NUL characters or lone surrogates")
    for message in validate_filter(value):
        errors.add("event_filter", message)


def _clean_tags(tags: list[str], errors: _Errors) -> list[str]:
    cleaned = sorted({t.strip() for t in tags if t.strip()})
    if len(cleaned) > MAX_TAGS:
        errors.add("tags", f"at most {MAX_TAGS} tags")
    bad = [t for t in cleaned if not TAG_RE.fullmatch(t)]
    if bad:
        errors.add("tags", f"invalid tag {bad[0]!r}: letters, digits, '.', '_' or '-'")
    return cleaned


def clean_limits(
    limits: Any, config: Mapping[str, Any], errors: _Errors | None = None
) -> dict[str, Any]:
    """Only known keys, numbers within [minimum, configured maximum]."""
    errors = errors or _Errors()
    cleaned: dict[str, Any] = {}
    if not isinstance(limits, dict):
        return cleaned
    for key, value in limits.items():
        if key not in LIMIT_KEYS:
            errors.add("limits", f"unknown limit {key!r}")
            continue
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.add(f"limits.{key}", "must be a number")
            continue
        maximum = config[LIMIT_KEYS[key][1]]
        if not LIMIT_MINIMUMS[key] <= value <= maximum:
            errors.add(f"limits.{key}", f"must be between {LIMIT_MINIMUMS[key]} and {maximum}")
            continue
        cleaned[key] = value if key == "timeout" else int(value)
    return cleaned


def effective_limits(script_limits: Mapping[str, Any], config: Mapping[str, Any]) -> Limits:
    """The runtime limits of a run: the script's own values, else the configured defaults."""
    values = {
        key: _limit_value(key, script_limits.get(key, config[default_key]))
        for key, (default_key, _) in LIMIT_KEYS.items()
        if key != "concurrency"  # the queue's business, not the runtime's
    }
    return Limits(**values, output_elements=int(config["JSSCRIPTS_MAX_OUTPUT_ELEMENTS"]))


def _limit_value(key: str, value: Any) -> int | float:
    """A limit's value as the runtime takes it: seconds may have a fraction, the rest not."""
    return float(value) if key == "timeout" else int(value)


def next_cron_runs(
    expression: str, timezone: str, count: int = 5, after: datetime | None = None
) -> list[datetime]:
    """The next ``count`` run times (aware, in ``timezone``), exactly those the scheduler will
    use (daylight-saving rules included). Raises ValueError when invalid."""
    # The scheduler's own rule, not croniter's: croniter lists runs inside a fall-back hour
    # that the scheduler does not make.
    return next_runs(expression, timezone, count, after or utcnow())


def _check_schedule(data: ScriptInput, errors: _Errors) -> list[datetime]:
    data.cron = " ".join(data.cron.split())
    data.timezone = data.timezone.strip() or "UTC"
    if not data.cron:
        errors.add("cron", "a scheduled script needs a cron expression")
        return []
    if len(data.cron) > 120:
        # the column is String(120): a long list ("0,1,...,59 * * * *") is a valid expression
        # that PostgreSQL refused with a raw DataError at commit
        errors.add("cron", "at most 120 characters")
        return []
    try:
        runs = next_cron_runs(data.cron, data.timezone)
    except ValueError as exc:
        field_name = "timezone" if "time zone" in str(exc) else "cron"
        errors.add(field_name, str(exc))
        return []
    if not runs:
        errors.add("cron", "the expression never fires")
    return runs


def path_shape(path: str) -> str:
    """The path with every {parameter} made anonymous: two paths of one shape collide."""
    return re.sub(r"\{[^/]*\}", "{}", normalise_http_path(path))


def normalise_http_path(path: str) -> str:
    return "/" + "/".join(seg for seg in path.strip().split("/") if seg)


def _check_http(data: ScriptInput, errors: _Errors) -> None:
    data.http_path = normalise_http_path(data.http_path)
    segments = [s for s in data.http_path.split("/") if s]
    if not segments:
        errors.add("http_path", "an HTTP script needs a path, e.g. /orders/{id}")
    elif len(data.http_path) > 200:
        errors.add("http_path", "at most 200 characters")
    else:
        bad = [s for s in segments if not PATH_SEGMENT_RE.fullmatch(s)]
        if bad:
            errors.add(
                "http_path",
                f"invalid segment {bad[0]!r}: use letters, digits, "
                "'-', '_', '.', '~' or a {parameter}",
            )
        elif any(s in (".", "..") for s in segments):
            # HTTP clients resolve dot segments before sending: nobody could call this path.
            errors.add("http_path", "'.' and '..' cannot be path segments")
        params = [s for s in segments if s.startswith("{")]
        if len(params) != len(set(params)):
            errors.add("http_path", "a parameter name appears twice")
    methods = sorted({m.strip().upper() for m in data.http_methods if m.strip()})
    if not methods:
        errors.add("http_methods", "choose at least one method")
    elif any(m not in HTTP_METHODS for m in methods):
        errors.add("http_methods", f"methods must be among {', '.join(HTTP_METHODS)}")
    data.http_methods = methods
    if data.http_auth not in HTTP_AUTH_MODES:
        errors.add("http_auth", f"must be one of {', '.join(HTTP_AUTH_MODES)}")
    rate = data.http_rate_limit
    if rate is not None and (
        isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= MAX_RATE_LIMIT
    ):
        errors.add("http_rate_limit", f"a whole number of calls per minute, 1 to {MAX_RATE_LIMIT}")


def _check_events(data: ScriptInput, errors: _Errors) -> None:
    types = sorted({t.strip() for t in data.event_types if t.strip()})
    if not types:
        errors.add("event_types", "an event script listens to at least one event type")
    elif len(types) > MAX_EVENT_TYPES:
        errors.add("event_types", f"at most {MAX_EVENT_TYPES} event types")
    bad = [t for t in types if len(t) > 200 or not EVENT_PATTERN_RE.fullmatch(t)]
    if bad:
        errors.add(
            "event_types",
            f"invalid event type {bad[0]!r}: lower-case dotted words, "
            "optionally ending in .* (e.g. order.created, order.*)",
        )
    data.event_types = types
