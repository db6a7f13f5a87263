"""Scripts and their versions: create, update, status changes, delete, list, rollback, diff.

Every function works inside the caller's tenant scope (see :mod:`flask_jsscripts.tenancy`) and
on the caller's session; a function that changes something commits. A row of another tenant is
indistinguishable from a missing one (:class:`NotFound`).
"""

from __future__ import annotations

import difflib
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import tenancy
from ..models import (
    SCRIPT_STATUSES,
    SCRIPT_TYPES,
    DeadLetter,
    EventSubscription,
    Execution,
    HttpEndpoint,
    KVEntry,
    Schedule,
    Script,
    ScriptVersion,
    utcnow,
)
from ..runtime import CompiledScript, Runtime, RuntimeBusyError, ScriptSyntaxError
from . import endpoint_access
from .errors import NotFound, ValidationError
from .validation import (
    COMPILER_BUSY,
    ScriptInput,
    Validated,
    compile_source,
    path_shape,
    validate_script,
)


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


@dataclass
class SaveResult:
    script: Script
    version: ScriptVersion | None  # None when nothing that makes a version changed
    warnings: list[str]


def plausible_id(value: Any) -> bool:
    """Ids are UUID strings: anything else is unknown without asking the database (a lone
    surrogate or NUL would raise a driver error instead of NotFound)."""
    return (
        isinstance(value, str) and 0 < len(value) <= 36 and value.isascii() and "\x00" not in value
    )


def get_script(session: Session, script_id: Any) -> Script:
    script = tenancy.get(session, Script, script_id) if plausible_id(script_id) else None
    if script is None:
        raise NotFound("script not found")
    return script


def get_script_by_name(session: Session, name: str) -> Script:
    script = session.scalars(select(Script).where(Script.name == name)).first()
    if script is None:
        raise NotFound(f"no script named {name!r}")
    return script


def list_scripts(
    session: Session,
    *,
    search: str = "",
    type: str = "",
    status: str = "",
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """Newest first; ``search`` matches name and description (case-insensitive)."""
    page = max(1, int(page))
    per_page = min(max(1, int(per_page)), 200)
    query = select(Script)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Script.name.ilike(pattern, escape="\\"),
                Script.description.ilike(pattern, escape="\\"),
            )
        )
    if type in SCRIPT_TYPES:
        query = query.where(Script.type == type)
    if status in SCRIPT_STATUSES:
        query = query.where(Script.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = list(
        session.scalars(
            query.order_by(Script.updated_at.desc(), Script.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, total, page, per_page)


def _check_unique(session: Session, data: ScriptInput, script_id: str | None) -> None:
    errors: dict[str, list[str]] = {}
    clash = session.scalars(select(Script.id).where(Script.name == data.name)).first()
    if clash is not None and clash != script_id:
        errors["name"] = ["another script already has this name"]
    if data.type == "http":
        # /orders/{id} and /orders/{oid} answer the same requests: compare shapes, not text
        shape = path_shape(data.http_path)
        for path, owner in session.execute(select(HttpEndpoint.path, HttpEndpoint.script_id)):
            if owner != script_id and path_shape(path) == shape:
                errors["http_path"] = [f"another script already answers this path ({path})"]
                break
    if errors:
        raise ValidationError(errors)


def apply_fields(
    session: Session, script: Script, v: Validated, *, may_manage_endpoints: bool = True
) -> None:
    """Copy the validated fields and the trigger rows of the script's type. A change of who
    may call the script's endpoint needs ``may_manage_endpoints`` (``endpoints.manage``, see
    :mod:`~flask_jsscripts.services.endpoint_access`): else PermissionDenied, nothing changed."""
    data = v.data
    endpoint_access.check(
        endpoint_access.access_of_script(script),
        endpoint_access.access_of_input(data),
        may_manage=may_manage_endpoints,
    )
    # Also the version of the trigger rows: the event dispatcher's subscription cache is
    # stamped with the tenant's latest updated_at (services.events.SubscriptionCache).
    script.updated_at = utcnow()
    script.name = data.name
    script.description = data.description
    script.type = data.type
    script.status = data.status
    script.limits = v.limits
    script.tags = data.tags
    if data.type == "scheduled":
        if script.schedule is None:
            script.schedule = Schedule(
                tenant_id=script.tenant_id, cron=data.cron, timezone=data.timezone
            )
        script.schedule.cron = data.cron
        script.schedule.timezone = data.timezone
        script.schedule.next_run_at = v.next_runs[0] if v.next_runs else None
    else:
        script.schedule = None
    if data.type == "http":
        endpoint = script.endpoints[0] if script.endpoints else None
        if endpoint is None:
            endpoint = HttpEndpoint(tenant_id=script.tenant_id)
            script.endpoints.append(endpoint)
        endpoint.path = data.http_path
        endpoint.methods = data.http_methods
        endpoint.auth_mode = data.http_auth
        endpoint.rate_limit_per_minute = data.http_rate_limit
        if data.http_auth != "token":
            # Leaving token access retires the token: coming back needs a new one, so an old
            # token never starts working again unnoticed.
            endpoint.token_hash = None
        del script.endpoints[1:]
    else:
        script.endpoints.clear()
    if data.type == "event":
        existing = {s.event_type: s for s in script.subscriptions}
        script.subscriptions[:] = [
            existing.get(t) or EventSubscription(tenant_id=script.tenant_id, event_type=t)
            for t in data.event_types
        ]
        for sub in script.subscriptions:
            sub.filter = data.event_filter
    else:
        script.subscriptions.clear()


def _new_version(
    script: Script, source: str, compiled: CompiledScript | None, author: str | None, note: str
) -> ScriptVersion:
    script.current_version = (script.current_version or 0) + 1
    script.source = source
    version = ScriptVersion(
        tenant_id=script.tenant_id,
        number=script.current_version,
        source=source,
        author=author,
        note=note,
    )
    if compiled is not None:
        version.store_compiled(compiled)
    script.versions.append(version)
    return version


def commit_unique(
    session: Session,
    field: str = "name",
    message: str = "another script already has this name or path",
) -> None:
    """Commit; a save that raced past the uniqueness checks (the database's IntegrityError)
    is reported as the checks would have reported it: ``message`` on ``field``."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationError({field: [message]}) from None


def create_script(
    session: Session,
    data: ScriptInput,
    *,
    config: Mapping[str, Any],
    runtime: Runtime | None,
    actor: str | None = None,
    may_manage_endpoints: bool = True,
) -> SaveResult:
    """Validate and store a new script with its version 1. ``may_manage_endpoints``: whether
    the caller may give the endpoint token or public access (``endpoints.manage``)."""
    v = validate_script(data, config=config, runtime=runtime)
    _check_unique(session, v.data, None)
    script = Script(tenant_id=tenancy.require_tenant(), created_by=actor, updated_by=actor)
    apply_fields(session, script, v, may_manage_endpoints=may_manage_endpoints)
    session.add(script)
    version = _new_version(script, v.data.source, v.compiled, actor, v.data.note or "created")
    commit_unique(session)
    return SaveResult(script, version, v.warnings)


def update_script(
    session: Session,
    script_id: str,
    data: ScriptInput,
    *,
    config: Mapping[str, Any],
    runtime: Runtime | None,
    actor: str | None = None,
    may_manage_endpoints: bool = True,
) -> SaveResult:
    """Change a script; a changed source writes a new immutable version.
    ``may_manage_endpoints``: as for :func:`create_script`."""
    script = get_script(session, script_id)
    v = validate_script(data, config=config, runtime=runtime)
    _check_unique(session, v.data, script.id)
    apply_fields(session, script, v, may_manage_endpoints=may_manage_endpoints)
    script.updated_by = actor
    script.updated_at = utcnow()
    version = None
    if v.data.source != script.source:
        version = _new_version(script, v.data.source, v.compiled, actor, v.data.note)
    commit_unique(session)
    return SaveResult(script, version, v.warnings)


def set_status(
    session: Session, script_id: str, status: str, *, actor: str | None = None
) -> Script:
    """enable (active) / pause / disable / archive / back to draft."""
    if status not in SCRIPT_STATUSES:
        raise ValidationError({"status": [f"must be one of {', '.join(SCRIPT_STATUSES)}"]})
    script = get_script(session, script_id)
    script.status = status
    script.updated_by = actor
    script.updated_at = utcnow()
    session.commit()
    return script


def delete_script(session: Session, script_id: str) -> None:
    """Delete a script with everything that belongs to it (versions, history, state)."""
    script = get_script(session, script_id)
    # Explicit deletes: SQLite only cascades with PRAGMA foreign_keys=ON, which is the host's call.
    for model in (Execution, KVEntry, DeadLetter):
        session.execute(delete(model).where(model.script_id == script.id))
    session.delete(script)
    session.commit()


def get_version(session: Session, script_id: str, number: int) -> ScriptVersion:
    script = get_script(session, script_id)
    version = session.scalars(
        select(ScriptVersion).where(
            ScriptVersion.script_id == script.id, ScriptVersion.number == number
        )
    ).first()
    if version is None:
        raise NotFound(f"version {number} not found")
    return version


def list_versions(session: Session, script_id: str) -> list[ScriptVersion]:
    script = get_script(session, script_id)
    return list(
        session.scalars(
            select(ScriptVersion)
            .where(ScriptVersion.script_id == script.id)
            .order_by(ScriptVersion.number.desc())
        )
    )


def rollback(
    session: Session,
    script_id: str,
    number: int,
    *,
    runtime: Runtime | None,
    actor: str | None = None,
    note: str = "",
) -> ScriptVersion:
    """Make the source of version ``number`` current again, as a new version."""
    script = get_script(session, script_id)
    old = get_version(session, script_id, number)
    if old.number == script.current_version:
        raise ValidationError({"version": [f"version {number} is already the current one"]})
    # without a runtime the stored form is carried over; a stale one compiles when it runs
    compiled = old.compiled_by(runtime.compiler if runtime is not None else old.compiler)
    try:
        if runtime is not None and compiled is None:
            compiled = compile_source(runtime, old.source)
    except ScriptSyntaxError as exc:  # e.g. a version saved before an engine change
        raise ValidationError(
            {"version": [f"version {number} does not compile any more: {exc}"]},
            line=exc.line,
            column=exc.column,
        ) from None
    except RuntimeBusyError:
        raise ValidationError({"version": [COMPILER_BUSY]}) from None
    version = _new_version(
        script, old.source, compiled, actor, note or f"rollback to version {number}"
    )
    script.updated_by = actor
    script.updated_at = utcnow()
    session.commit()
    return version


def diff_versions(session: Session, script_id: str, a: int, b: int, context: int = 3) -> str:
    """A unified diff from version ``a`` to version ``b``."""
    old = get_version(session, script_id, a)
    new = get_version(session, script_id, b)
    return "".join(
        difflib.unified_diff(
            old.source.splitlines(keepends=True),
            new.source.splitlines(keepends=True),
            fromfile=f"version {a}",
            tofile=f"version {b}",
            n=context,
        )
    )


_compiled_cache: OrderedDict[tuple[str | None, str, int], CompiledScript] = OrderedDict()
_compiled_lock = threading.Lock()
COMPILED_CACHE_SIZE = 2048


def compiled_version(
    session: Session, script_id: str, number: int, runtime: Runtime
) -> CompiledScript:
    """The compiled form of a version, compiling (and storing it) only once. Versions are
    immutable, so it is also kept in a process-wide cache keyed by (script id, number); the
    caller has already fetched the script in its tenant scope. Raises NotFound,
    ScriptSyntaxError and, when every compile worker stayed busy, RuntimeBusyError."""
    # The tenant is part of the key: a hit skips the tenant-scoped query, so without it
    # another tenant's compiled code would reach any caller that knew the id.
    key = (tenancy.current_tenant(), script_id, number)
    with _compiled_lock:
        cached = _compiled_cache.get(key)
        if cached is not None:
            _compiled_cache.move_to_end(key)
            return cached
    version = session.scalars(
        select(ScriptVersion).where(
            ScriptVersion.script_id == script_id, ScriptVersion.number == number
        )
    ).first()
    if version is None:
        raise NotFound(f"version {number} not found")
    compiled = version.compiled_by(runtime.compiler)
    if compiled is None:  # never compiled, or by another compiler: compiled again, once
        compiled = compile_source(runtime, version.source)
        version.store_compiled(compiled)
        session.commit()
    with _compiled_lock:
        _compiled_cache[key] = compiled
        while len(_compiled_cache) > COMPILED_CACHE_SIZE:
            _compiled_cache.popitem(last=False)
    return compiled


@dataclass
class RecompileReport:
    """What :func:`recompile_stale` did: versions compiled again, and those that failed (script
    name, version number, the compiler's message with its position)."""

    compiler: str
    recompiled: int = 0
    failed: list[tuple[str, int, str]] = field(default_factory=list)


def recompile_stale(
    session: Session, runtime: Runtime, *, current_only: bool = False
) -> RecompileReport:
    """Compile again every version in scope whose stored form another compiler made (or none
    did), committing as it goes. A version that no longer compiles keeps its old form, which
    is compiled again (and fails) when it runs."""
    query = (
        select(ScriptVersion, Script.name)
        .join(Script, Script.id == ScriptVersion.script_id)
        .where(or_(ScriptVersion.compiler.is_(None), ScriptVersion.compiler != runtime.compiler))
        .order_by(Script.name, ScriptVersion.number)
    )
    if current_only:
        query = query.where(ScriptVersion.number == Script.current_version)
    report = RecompileReport(runtime.compiler)
    for version, name in session.execute(query).all():
        try:
            compiled = runtime.compile(version.source, isolation=version.tenant_id)
        except ScriptSyntaxError as exc:
            report.failed.append((name, version.number, str(exc)))
            continue
        version.store_compiled(compiled)
        session.commit()
        report.recompiled += 1
    return report
