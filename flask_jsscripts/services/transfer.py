"""Export and import of scripts as a versioned JSON document (``flask jsscripts export/import``).

The document is portable between tenants and installations, so it carries what an admin wrote
and nothing that belongs to one database: no ids, no tenant, no compiled code (the importing
runtime compiles again), no secrets (HTTP endpoint token hashes stay behind: an imported token
endpoint answers no one until a token is issued for it), no history of runs.
Every version travels with its number, author, note and time, so the import is a faithful copy:
export -> import into another tenant -> export gives the same document apart from
``exported_at``.

An import is all or nothing: the whole document is validated before the first row is written
(every problem reported at once, each naming the script and the field), and the rows are written
in a single transaction.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import tenancy
from ..models import HttpEndpoint, Script, ScriptVersion, utcnow
from ..runtime import Runtime, RuntimeBusyError, ScriptSyntaxError, jsonvalues
from .errors import PermissionDenied, ValidationError
from .scripts import apply_fields, commit_unique, get_script
from .validation import (
    COMPILER_BUSY,
    ScriptInput,
    Validated,
    compile_source,
    path_shape,
    validate_script,
)

FORMAT = "flask-jsscripts/1"
# Caps on what an import accepts, so a hostile document costs bounded time and memory.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
MAX_SCRIPTS = 1000
MAX_VERSIONS_PER_SCRIPT = 1000
MAX_AUTHOR_LENGTH = 64
MAX_NOTE_LENGTH = 500
MAX_FILTER_BYTES = 64 * 1024
MAX_VERSION_NUMBER = 2**31 - 1  # the INTEGER column's range on PostgreSQL
# Version times the database and every session time zone can hold (year 1 is out once shifted).
EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(9998, 1, 1, tzinfo=UTC)

OnConflict = Literal["error", "skip", "rename"]
ON_CONFLICT_MODES: tuple[str, ...] = ("error", "skip", "rename")

# Trigger fields (ScriptInput names) exported for each script type; other types carry none.
TRIGGER_FIELDS: dict[str, tuple[str, ...]] = {
    "manual": (),
    "scheduled": ("cron", "timezone"),
    "http": ("http_path", "http_methods", "http_auth", "http_rate_limit"),
    "event": ("event_types", "event_filter"),
}
SCRIPT_KEYS = frozenset(
    {"name", "description", "type", "status", "limits", "tags", "versions"}
    | {f for fields in TRIGGER_FIELDS.values() for f in fields}
)
VERSION_KEYS = frozenset({"number", "source", "author", "note", "created_at"})
DOCUMENT_KEYS = frozenset({"format", "exported_at", "scripts"})


@dataclass
class ImportReport:
    """What an import did: names as stored, in document order."""

    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # name in the document -> stored name
    versions: int = 0
    warnings: list[str] = field(default_factory=list)


# --- export --------------------------------------------------------------------------------


def export_scripts(session: Session, script_ids: list[str] | None = None) -> dict[str, Any]:
    """The current tenant's scripts (all, or those of ``script_ids``) as a document.

    Scripts are ordered by name and versions by number, so two exports of the same data are
    equal whatever order the database returns rows in. Unknown ids raise ``NotFound``.
    """
    if script_ids is None:
        scripts = list(session.scalars(select(Script).order_by(Script.name)))
    else:
        scripts = sorted({get_script(session, i) for i in script_ids}, key=lambda s: s.name)
    return {
        "format": FORMAT,
        "exported_at": _iso(utcnow()),
        "scripts": [_export_script(s) for s in scripts],
    }


def _export_script(script: Script) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": script.name,
        "description": script.description or "",
        "type": script.type,
        "status": script.status,
        "limits": dict(script.limits or {}),
        "tags": list(script.tags or []),
    }
    item.update(_trigger_fields(script))
    item["versions"] = [
        {
            "number": v.number,
            "source": v.source,
            "author": v.author,
            "note": v.note or "",
            "created_at": _iso(v.created_at),
        }
        for v in sorted(script.versions, key=lambda v: v.number)
    ]
    return item


def _trigger_fields(script: Script) -> dict[str, Any]:
    """The trigger configuration of the script's type, under the names ``ScriptInput`` uses."""
    if script.type == "scheduled" and script.schedule is not None:
        return {"cron": script.schedule.cron, "timezone": script.schedule.timezone}
    if script.type == "http" and script.endpoints:
        endpoint = script.endpoints[0]
        return {
            "http_path": endpoint.path,
            "http_methods": list(endpoint.methods or []),
            "http_auth": endpoint.auth_mode,
            "http_rate_limit": endpoint.rate_limit_per_minute,
        }
    if script.type == "event":
        subs = sorted(script.subscriptions, key=lambda s: s.event_type)
        return {
            "event_types": [s.event_type for s in subs],
            # one filter for all of a script's subscriptions (what the editor saves)
            "event_filter": subs[0].filter if subs else None,
        }
    return {}


def _iso(value: datetime) -> str:
    return value.isoformat()


# --- import: validation --------------------------------------------------------------------


@dataclass
class _Planned:
    """One script of the document, validated and ready to be written."""

    label: str
    validated: Validated
    versions: list[dict[str, Any]]
    compiled: dict[int, Any]  # version number -> CompiledScript (None without a runtime)


class _Problems:
    """Errors of the whole document, keyed ``scripts[i] (name).field`` for the admin."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, where: str, message: str) -> None:
        self.errors.setdefault(where, []).append(message)

    def merge(self, prefix: str, exc: ValidationError) -> None:
        for name, messages in exc.errors.items():
            for message in messages:
                self.add(f"{prefix}.{name}", message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _check_document(document: Any, problems: _Problems) -> list[Any]:
    """The top-level shape; returns the list of script entries (empty when unusable)."""
    if not isinstance(document, Mapping):
        problems.add("document", "must be a JSON object")
        return []
    if document.get("format") != FORMAT:
        problems.add("format", f"unknown format {document.get('format')!r}: expected {FORMAT!r}")
        return []
    for key in sorted(set(document) - DOCUMENT_KEYS, key=str):
        problems.add("document", f"unknown field {key!r}")
    scripts = document.get("scripts")
    if not isinstance(scripts, list):
        problems.add("scripts", "must be a list")
        return []
    if len(scripts) > MAX_SCRIPTS:
        problems.add("scripts", f"at most {MAX_SCRIPTS} scripts per document")
        return []
    return scripts


def _label(index: int, entry: Any) -> str:
    name = entry.get("name") if isinstance(entry, Mapping) else None
    if isinstance(name, str):
        return f"scripts[{index}] ({name[:100]})"
    return f"scripts[{index}]"


def _check_versions(
    label: str, versions: Any, config: Mapping[str, Any], problems: _Problems
) -> list[dict[str, Any]]:
    """Shape of the versions: non-empty, strictly increasing numbers, bounded fields."""
    if not isinstance(versions, list) or not versions:
        problems.add(f"{label}.versions", "must be a non-empty list")
        return []
    if len(versions) > MAX_VERSIONS_PER_SCRIPT:
        problems.add(f"{label}.versions", f"at most {MAX_VERSIONS_PER_SCRIPT} versions")
        return []
    cleaned: list[dict[str, Any]] = []
    previous = 0
    for i, version in enumerate(versions):
        where = f"{label}.versions[{i}]"
        item = _check_version(where, version, config, problems)
        if item is None:
            continue
        if item["number"] <= previous:
            problems.add(f"{where}.number", "version numbers must increase")
        previous = max(previous, item["number"])
        cleaned.append(item)
    return cleaned if len(cleaned) == len(versions) else []


def _check_object(where: str, value: Any, known: Collection[str], problems: _Problems) -> bool:
    """Whether ``value`` is an object; each field of it not in ``known`` is a problem."""
    if not isinstance(value, Mapping):
        problems.add(where, "must be an object")
        return False
    for key in sorted(set(value) - set(known), key=str):
        problems.add(where, f"unknown field {key!r}")
    return True


def _check_version(
    where: str, version: Any, config: Mapping[str, Any], problems: _Problems
) -> dict[str, Any] | None:
    before = len(problems.errors)
    if not _check_object(where, version, VERSION_KEYS, problems):
        return None
    number = version.get("number")
    if (
        isinstance(number, bool)
        or not isinstance(number, int)
        or not 1 <= number <= MAX_VERSION_NUMBER
    ):
        problems.add(f"{where}.number", f"must be an integer from 1 to {MAX_VERSION_NUMBER}")
    source = version.get("source")
    max_bytes = config["JSSCRIPTS_MAX_SOURCE_BYTES"]
    if not isinstance(source, str) or not source.strip():
        problems.add(f"{where}.source", "must be non-empty text")
    elif len(source.encode("utf-8", "surrogatepass")) > max_bytes:
        problems.add(f"{where}.source", f"longer than {max_bytes} bytes")
    author = version.get("author")
    if author is not None and (not isinstance(author, str) or len(author) > MAX_AUTHOR_LENGTH):
        problems.add(f"{where}.author", f"must be null or text of at most {MAX_AUTHOR_LENGTH}")
    note = version.get("note", "")
    if not isinstance(note, str) or len(note) > MAX_NOTE_LENGTH:
        problems.add(f"{where}.note", f"must be text of at most {MAX_NOTE_LENGTH} characters")
    # Only the current version goes through validate_script's text checks; older ones and
    # every author and note are checked here (NUL fails on PostgreSQL, a lone surrogate on
    # both backends).
    for name, value in (("source", source), ("author", author), ("note", note)):
        if isinstance(value, str) and not _storable(value):
            problems.add(f"{where}.{name}", "must not contain NUL characters or lone surrogates")
    created_at = _parse_time(version.get("created_at"), f"{where}.created_at", problems)
    if len(problems.errors) != before:
        return None
    return {
        "number": number,
        "source": source,
        "author": author,
        "note": note,
        "created_at": created_at,
    }


def _storable(text: str) -> bool:
    """No NUL (PostgreSQL refuses it in text) and no lone surrogate (no driver encodes it)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_time(value: Any, where: str, problems: _Problems) -> datetime | None:
    """An ISO-8601 time with an offset; a missing one becomes the import time."""
    if value is None:
        return utcnow()
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        problems.add(where, "must be an ISO-8601 time with a UTC offset")
        return None
    try:
        # 0001-01-01T00:00+14:00 is before year 1 in UTC: converting it overflows
        in_range = EARLIEST_TIME <= parsed.astimezone(UTC) <= LATEST_TIME
    except OverflowError:
        in_range = False
    if not in_range:
        problems.add(where, f"must be between {EARLIEST_TIME.year} and {LATEST_TIME.year}")
        return None
    return parsed


def _check_script(
    index: int, entry: Any, problems: _Problems, config: Mapping[str, Any], runtime: Runtime | None
) -> _Planned | None:
    """Validate one entry with the same rules as the editor, plus its version history."""
    label = _label(index, entry)
    before = len(problems.errors)
    if not _check_object(label, entry, SCRIPT_KEYS, problems):
        return None
    _check_filter(label, entry.get("event_filter"), problems)
    versions = _check_versions(label, entry.get("versions"), config, problems)
    if not versions:
        return None
    fields = {k: v for k, v in entry.items() if k in SCRIPT_KEYS and k != "versions"}
    data = ScriptInput.from_mapping({**fields, "source": versions[-1]["source"]})
    try:
        validated = validate_script(data, config=config, runtime=runtime)
    except ValidationError as exc:
        source_errors = _only(exc, "source")
        if exc.line:
            source_errors.errors["source"] = [
                f"{m} (line {exc.line}, column {exc.column})" for m in exc.errors["source"]
            ]
        problems.merge(f"{label}.versions[{len(versions) - 1}]", source_errors)
        problems.merge(label, _without(exc, "source"))
        return None
    compiled = _compile_history(label, versions[:-1], runtime, problems)
    compiled[versions[-1]["number"]] = validated.compiled
    if len(problems.errors) != before:
        return None
    return _Planned(label, validated, versions, compiled)


def _only(exc: ValidationError, name: str) -> ValidationError:
    return ValidationError({k: v for k, v in exc.errors.items() if k == name})


def _without(exc: ValidationError, name: str) -> ValidationError:
    return ValidationError({k: v for k, v in exc.errors.items() if k != name})


def _check_filter(label: str, value: Any, problems: _Problems) -> None:
    """The event filter must be plain, bounded JSON (its rules are checked where it runs)."""
    if value is None:
        return
    try:
        jsonvalues.check(value, exact=True)
        size = len(json.dumps(value, allow_nan=False).encode())
    except (TypeError, ValueError):
        problems.add(
            f"{label}.event_filter",
            f"must be plain JSON, nested at most {jsonvalues.MAX_DEPTH} levels",
        )
        return
    if size > MAX_FILTER_BYTES:
        problems.add(f"{label}.event_filter", f"larger than {MAX_FILTER_BYTES} bytes")


def _compile_history(
    label: str, versions: list[dict[str, Any]], runtime: Runtime | None, problems: _Problems
) -> dict[int, Any]:
    """Compile the older versions too, so a later rollback never meets a source that does
    not parse. Identical sources compile once (the runtime caches by source hash)."""
    compiled: dict[int, Any] = {}
    if runtime is None:
        return compiled
    for i, version in enumerate(versions):
        try:
            compiled[version["number"]] = compile_source(runtime, version["source"])
        except ScriptSyntaxError as exc:
            where = f" (line {exc.line}, column {exc.column})" if exc.line else ""
            problems.add(f"{label}.versions[{i}].source", f"{exc.message}{where}")
        except RuntimeBusyError:
            problems.add(f"{label}.versions[{i}].source", COMPILER_BUSY)
    return compiled


# --- import: conflicts and writing ---------------------------------------------------------


def _taken(session: Session) -> tuple[set[str], set[str]]:
    """Names and HTTP path shapes already used in the current tenant."""
    names = set(session.scalars(select(Script.name)))
    shapes = {path_shape(p) for p in session.scalars(select(HttpEndpoint.path))}
    return names, shapes


def _renamed(name: str, taken: set[str]) -> str:
    """``name-2``, ``name-3``... kept within the 100 characters a name may have."""
    for n in range(2, MAX_SCRIPTS + 3):
        suffix = f"-{n}"
        candidate = name[: 100 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    raise ValidationError({"name": [f"no free name for {name!r}"]})  # pragma: no cover


def _check_duplicates(plans: list[_Planned], problems: _Problems) -> None:
    """Two entries of one document may not share a name or an HTTP path shape (/h/{id} and
    /h/{oid} answer the same requests, as create_script knows)."""
    names: dict[str, str] = {}
    shapes: dict[str, str] = {}
    for plan in plans:
        data = plan.validated.data
        if data.name in names:
            problems.add(f"{plan.label}.name", f"also used by {names[data.name]}")
        names.setdefault(data.name, plan.label)
        if data.type == "http":
            shape = path_shape(data.http_path)
            if shape in shapes:
                problems.add(f"{plan.label}.http_path", f"also used by {shapes[shape]}")
            shapes.setdefault(shape, plan.label)


def _resolve_conflicts(
    session: Session, plans: list[_Planned], on_conflict: str, report: ImportReport
) -> list[_Planned]:
    """Apply ``on_conflict`` to clashes with existing scripts; return what is to be written."""
    names, paths = _taken(session)
    problems = _Problems()
    kept: list[_Planned] = []
    for plan in plans:
        data = plan.validated.data
        name_clash = data.name in names
        path_clash = data.type == "http" and path_shape(data.http_path) in paths
        if (name_clash or path_clash) and on_conflict == "skip":
            report.skipped.append(data.name)
            continue
        if path_clash:
            problems.add(
                f"{plan.label}.http_path",
                f"{data.http_path} is already answered by another script"
                + (" (rename only changes names)" if on_conflict == "rename" else ""),
            )
        if name_clash and on_conflict == "rename":
            new_name = _renamed(data.name, names)
            report.renamed[data.name] = new_name
            data.name = new_name
        elif name_clash:
            problems.add(f"{plan.label}.name", "a script with this name already exists")
        names.add(data.name)
        kept.append(plan)
    problems.raise_if_any()
    return kept


def _write(session: Session, plan: _Planned, actor: str | None, may_manage: bool) -> Script:
    """The script row, its trigger rows and every version exactly as the document has them."""
    v = plan.validated
    script = Script(tenant_id=tenancy.require_tenant(), created_by=actor, updated_by=actor)
    apply_fields(session, script, v, may_manage_endpoints=may_manage)
    session.add(script)
    for item in plan.versions:
        version = ScriptVersion(
            tenant_id=script.tenant_id,
            number=item["number"],
            source=item["source"],
            author=item["author"],
            note=item["note"],
            created_at=item["created_at"],
        )
        compiled = plan.compiled.get(item["number"])
        if compiled is not None:
            version.store_compiled(compiled)
        script.versions.append(version)
    script.current_version = plan.versions[-1]["number"]
    script.source = plan.versions[-1]["source"]
    return script


def import_scripts(
    session: Session,
    document: Any,
    *,
    config: Mapping[str, Any],
    runtime: Runtime | None,
    actor: str | None = None,
    on_conflict: OnConflict = "error",
    may_manage_endpoints: bool = True,
) -> ImportReport:
    """Validate ``document`` as a whole, then create its scripts in the current tenant in one
    transaction. Raises ``ValidationError`` (nothing written) on any problem, and
    ``PermissionDenied`` (nothing written) for a token or public endpoint when the caller may
    not give endpoints such access (``may_manage_endpoints``, ``endpoints.manage``).

    Every version is compiled, not only the current one: a rollback to an imported version
    must not be the first time anyone finds out that its source does not parse, and compiling
    costs little (plain ES5 is only parsed; identical sources hit the runtime's cache).
    """
    if on_conflict not in ON_CONFLICT_MODES:
        raise ValidationError({"on_conflict": [f"must be one of {', '.join(ON_CONFLICT_MODES)}"]})
    problems = _Problems()
    entries = _check_document(document, problems)
    plans = [
        plan
        for i, entry in enumerate(entries)
        if (plan := _check_script(i, entry, problems, config, runtime))
    ]
    _check_duplicates(plans, problems)
    problems.raise_if_any()
    report = ImportReport()
    try:
        for plan in _resolve_conflicts(session, plans, on_conflict, report):
            _write(session, plan, actor, may_manage_endpoints)
            report.created.append(plan.validated.data.name)
            report.versions += len(plan.versions)
            report.warnings.extend(f"{plan.label}: {w}" for w in plan.validated.warnings)
    except PermissionDenied:
        session.rollback()
        raise
    # a concurrent save took a name or path between the checks and the commit
    commit_unique(session, "document", "another script took one of these names or paths meanwhile")
    return report


__all__ = [
    "FORMAT",
    "ImportReport",
    "ON_CONFLICT_MODES",
    "export_scripts",
    "import_scripts",
]
