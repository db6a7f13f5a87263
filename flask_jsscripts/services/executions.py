"""Executions: every run is a database row first (``pending``), then ``running`` with a
deadline, then its outcome. A run the runtime kills is still recorded; a row whose process died
is found by the reaper. Old rows are pruned after ``JSSCRIPTS_RETENTION_DAYS``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .. import tenancy
from ..models import EXECUTION_TRIGGERS, Execution, Script, utcnow
from ..runtime import RunResult, Runtime
from .broker import ScriptBroker
from .errors import NotFound, RunRefused, ValidationError
from .scripts import compiled_version, get_script
from .validation import effective_limits

ACTIVE = ("pending", "running")
# Triggers that fire without a person pressing a button: only `active` scripts answer them.
AUTOMATIC_TRIGGERS = ("cron", "event", "http")
TRIGGER_FLAGS = {
    "manual": "JSSCRIPTS_ENABLE_MANUAL",
    "api": "JSSCRIPTS_ENABLE_MANUAL",
    "cron": "JSSCRIPTS_ENABLE_CRON",
    "event": "JSSCRIPTS_ENABLE_EVENTS",
    "http": "JSSCRIPTS_ENABLE_HTTP",
}
# How a runtime ending maps onto the execution's status (end_reason keeps the detail).
STATUS_OF_END = {
    "completed": "completed",
    "failed": "failed",
    "timeout": "timeout",
    "memory": "failed",
    "output_limit": "failed",
    "host_call_limit": "failed",
    "crashed": "failed",
}
DEADLINE_MARGIN = timedelta(seconds=30)  # transport, queueing and recording on top of timeout


@dataclass
class RunContext:
    """What the services need of the app to run a script (no Flask import below the web layer
    except ``current_app`` in the helpers that build this)."""

    config: Mapping[str, Any]
    runtime: Runtime
    engine: Any
    exposed: Mapping[str, Any]


def user_ref(user: Any) -> dict[str, Any] | None:
    """The JSON view of the user a script sees as ``ctx.user`` (never the object itself)."""
    if user is None or getattr(user, "is_authenticated", True) is not True:
        return None
    get_id = getattr(user, "get_id", None)
    ident = get_id() if callable(get_id) else getattr(user, "id", None)
    ref: dict[str, Any] = {"id": None if ident is None else str(ident)}
    for attr in ("name", "email", "username"):
        value = getattr(user, attr, None)
        if isinstance(value, str):
            ref[attr] = value
    return ref


def start_run(
    session: Session,
    rc: RunContext,
    script_id: str,
    trigger: str,
    input: Any = None,
    *,
    user: Any = None,
    event_id: str | None = None,
    attempt: int = 1,
) -> Execution:
    """Check that the run may start and record it as ``pending`` (committed)."""
    config = rc.config
    if trigger not in EXECUTION_TRIGGERS:
        raise ValidationError({"trigger": [f"must be one of {', '.join(EXECUTION_TRIGGERS)}"]})
    if not config["JSSCRIPTS_ENABLED"] or not config[TRIGGER_FLAGS[trigger]]:
        raise RunRefused(f"{trigger} runs are switched off", "disabled")
    try:
        encoded = json.dumps(input, allow_nan=False)
    except (TypeError, ValueError):
        raise ValidationError({"input": ["the input must be JSON"]}) from None
    if len(encoded.encode()) > config["JSSCRIPTS_MAX_INPUT_BYTES"]:
        raise ValidationError(
            {"input": [f"the input exceeds {config['JSSCRIPTS_MAX_INPUT_BYTES']} bytes"]}
        )
    script = _lock_script(session, script_id)
    if script.status in ("archived", "disabled"):
        raise RunRefused(f"the script is {script.status}", "inactive")
    if trigger in AUTOMATIC_TRIGGERS and script.status != "active":
        raise RunRefused(
            f"the script is {script.status}: only active scripts run on {trigger}", "inactive"
        )
    now = utcnow()
    per_script = script.limits.get(
        "concurrency", config["JSSCRIPTS_DEFAULT_CONCURRENCY_PER_SCRIPT"]
    )
    if _active_runs(session, now, Execution.script_id == script.id) >= per_script:
        raise RunRefused(
            f"the script already has {per_script} runs in progress (its concurrency limit)",
            "script_concurrency",
        )
    per_tenant = config["JSSCRIPTS_MAX_CONCURRENCY_PER_TENANT"]
    if _active_runs(session, now) >= per_tenant:
        raise RunRefused(
            f"this tenant already has {per_tenant} runs in progress", "tenant_concurrency"
        )
    limits = effective_limits(script.limits, config)
    execution = Execution(
        tenant_id=script.tenant_id,
        script_id=script.id,
        version=script.current_version,
        trigger=trigger,
        status="pending",
        input=json.loads(encoded),
        attempt=attempt,
        event_id=event_id,
        actor_id=(user_ref(user) or {}).get("id"),
        deadline_at=now + timedelta(seconds=limits.timeout) + DEADLINE_MARGIN,
    )
    session.add(execution)
    session.commit()
    return execution


def _lock_script(session: Session, script_id: str) -> Script:
    # FOR UPDATE serialises concurrent starts of one script on PostgreSQL (exact per-script cap).
    script = (
        session.scalars(select(Script).where(Script.id == script_id).with_for_update()).first()
        if isinstance(script_id, str)
        else None
    )
    if script is None:
        raise NotFound("script not found")
    return script


def _active_runs(session: Session, now: datetime, *criteria: Any) -> int:
    query = (
        select(func.count())
        .select_from(Execution)
        .where(Execution.status.in_(ACTIVE), Execution.deadline_at > now, *criteria)
    )
    return session.scalar(query) or 0


def execute(
    session: Session,
    rc: RunContext,
    execution_id: str,
    *,
    user: Any = None,
    extra_context: Mapping[str, Any] | None = None,
) -> Execution:
    """Run a ``pending`` execution to its end and record the outcome. Never runs a row twice:
    a row that is no longer pending is returned as it is. ``extra_context`` adds trigger data
    to ``ctx`` (``request`` for HTTP runs, ``event`` for event runs)."""
    claimed = session.execute(
        update(Execution)
        .where(Execution.id == execution_id, Execution.status == "pending")
        .values(status="running", started_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    execution = tenancy.get(session, Execution, execution_id)
    if execution is None:
        raise NotFound("execution not found")
    if claimed.rowcount != 1:
        return execution
    script = get_script(session, execution.script_id)
    limits = effective_limits(script.limits, rc.config)
    try:
        version, compiled = compiled_version(session, script, rc.runtime, execution.version)
    except Exception as exc:  # the stored version no longer compiles (e.g. engine change)
        return _record(
            session,
            execution,
            RunResult(
                "failed",
                error={
                    "name": "SyntaxError",
                    "message": str(exc),
                    "stack": "",
                    "line": getattr(exc, "line", None),
                    "column": getattr(exc, "column", None),
                },
            ),
        )
    context: dict[str, Any] = {
        "tenant": {"id": execution.tenant_id},
        "user": user_ref(user),
        "script": {"id": script.id, "name": script.name, "version": version.number},
        "execution": {
            "id": execution.id,
            "trigger": execution.trigger,
            "attempt": execution.attempt,
        },
    }
    context.update(extra_context or {})
    broker = ScriptBroker(
        engine=rc.engine,
        config=rc.config,
        exposed=rc.exposed,
        tenant_id=execution.tenant_id,
        script_id=script.id,
        user=user,
    )
    result = rc.runtime.run(
        compiled,
        execution.input,
        limits=limits,
        context=context,
        broker=broker,
        isolation=execution.tenant_id,
    )
    return _record(session, execution, result)


def _record(session: Session, execution: Execution, result: RunResult) -> Execution:
    execution.status = STATUS_OF_END[result.status]
    execution.end_reason = result.status
    execution.output = result.value if result.status == "completed" else None
    execution.error = result.error
    execution.console = result.console
    execution.logs = result.logs
    execution.metrics = result.metrics
    execution.finished_at = utcnow()
    session.commit()
    return execution


def run_script(
    session: Session,
    rc: RunContext,
    script_id: str,
    trigger: str = "manual",
    input: Any = None,
    *,
    user: Any = None,
    extra_context: Mapping[str, Any] | None = None,
) -> Execution:
    """Record and run synchronously (manual runs, the CLI, HTTP endpoints)."""
    execution = start_run(session, rc, script_id, trigger, input, user=user)
    return execute(session, rc, execution.id, user=user, extra_context=extra_context)


def get_execution(session: Session, execution_id: Any) -> Execution:
    execution = (
        tenancy.get(session, Execution, execution_id) if isinstance(execution_id, str) else None
    )
    if execution is None:
        raise NotFound("execution not found")
    return execution


def list_executions(
    session: Session, script_id: str, *, limit: int = 50, before: datetime | None = None
) -> list[Execution]:
    script = get_script(session, script_id)
    query = select(Execution).where(Execution.script_id == script.id)
    if before is not None:
        query = query.where(Execution.created_at < before)
    return list(
        session.scalars(query.order_by(Execution.created_at.desc()).limit(min(max(1, limit), 500)))
    )


def reap_stale(session: Session, *, now: datetime | None = None, grace_seconds: int = 60) -> int:
    """Mark runs whose process died (still pending/running well past their deadline) as failed.
    System job: call inside ``tenancy.all_tenants()``."""
    cutoff = (now or utcnow()) - timedelta(seconds=grace_seconds)
    result = session.execute(
        update(Execution)
        .where(Execution.status.in_(ACTIVE), Execution.deadline_at < cutoff)
        .values(
            status="failed",
            end_reason="crashed",
            finished_at=now or utcnow(),
            error={
                "name": "AbandonedError",
                "message": "the run was abandoned: the process "
                "running it stopped before recording an outcome",
                "stack": "",
                "line": None,
                "column": None,
            },
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount or 0


def prune(session: Session, *, retention_days: int, now: datetime | None = None) -> int:
    """Delete finished executions older than ``retention_days``. System job: call inside
    ``tenancy.all_tenants()`` (or a tenant scope to prune one tenant)."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    result = session.execute(
        delete(Execution)
        .where(Execution.created_at < cutoff, Execution.status.notin_(ACTIVE))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount or 0
