"""Runs a caller waits for: a manual run, the CLI's, the host's ``jsscripts.run`` and HTTP
endpoint calls. Each is recorded ``running`` before it starts (a crash mid-run leaves it to the
reaper), except :func:`run_then_record`, which records afterwards and only if asked to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ... import metrics, tenancy
from ...models import Execution, utcnow
from ...runtime import RunResult, RuntimeBusyError, ScriptSyntaxError
from ..context import RunContext
from ..errors import NotFound
from ..scripts import compiled_version, plausible_id
from .record import insert_outcome, record, reference
from .rules import STATUS_OF_END, check_input, check_may_run, check_trigger
from .sandbox import run_compiled, run_snapshot
from .snapshot import AS_GIVEN, POOL_BUSY, ExecutionSnapshot, failure
from .start import start


@dataclass(frozen=True)
class RunOutcome:
    """A finished synchronous run, for a caller that answers from its result (HTTP
    endpoints) without reading the row back: the runtime's result, and whether a row
    records it."""

    execution_id: str
    result: RunResult
    recorded: bool


@dataclass(frozen=True)
class ScriptRef:
    """What a run needs of a script, read earlier by the caller (a cached HTTP route)."""

    id: str
    tenant_id: str
    name: str
    status: str
    limits: Mapping[str, Any]
    current_version: int


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
    """Record and run synchronously; returns the execution row (loaded when read)."""
    run, result, status = _run_recorded(session, rc, script_id, trigger, input, user, extra_context)
    return reference(session, run.execution_id, status)


def run_for_outcome(
    session: Session,
    rc: RunContext,
    script_id: str,
    trigger: str = "manual",
    input: Any = None,
    *,
    user: Any = None,
    recorded_input: Any = AS_GIVEN,
) -> RunOutcome:
    """:func:`run_script`, answering with the runtime's result instead of the row, which
    would cost a reload. An ``http`` run's input is the request: the script sees it as
    ``ctx.request`` and its body as ``ctx.input``. ``recorded_input``: what the row keeps
    instead of ``input``."""
    run, result, _ = _run_recorded(
        session, rc, script_id, trigger, input, user, None, recorded_input
    )
    return RunOutcome(run.execution_id, result, True)


def _run_recorded(
    session: Session,
    rc: RunContext,
    script_id: str,
    trigger: str,
    input: Any,
    user: Any,
    extra_context: Mapping[str, Any] | None,
    recorded_input: Any = AS_GIVEN,
) -> tuple[ExecutionSnapshot, RunResult, str | None]:
    """A ``running`` row first, then the run, then its outcome: the run, its result and the
    status recorded."""
    run = start(
        session,
        rc,
        script_id,
        trigger,
        input,
        user=user,
        running=True,
        recorded_input=recorded_input,
    )
    result = run_snapshot(session, rc, run, user, extra_context)
    return run, result, record(session, run.execution_id, result, run)


def run_then_record(
    session: Session,
    rc: RunContext,
    script: ScriptRef,
    trigger: str,
    input: Any = None,
    *,
    user: Any = None,
    keep: Callable[[RunResult], bool] = lambda result: True,
    recorded_input: Any = AS_GIVEN,
) -> RunOutcome:
    """Run without writing a row first; afterwards record the run (one INSERT) only if
    ``keep(result)``: sampled HTTP calls write nothing for most successful calls.

    No ``running`` row counts this run towards the concurrency caps, so the caller must hold
    a slot of its own (``services.endpoints`` does), and a process that dies mid-run leaves
    no trace of it. Raises NotFound for a script of another tenant or one that is gone. As
    with :func:`run_for_outcome`, an ``http`` run's input is the request (``ctx.request``),
    and ``recorded_input`` what the row keeps instead of it."""
    config = rc.config
    check_trigger(config, trigger)
    if script.tenant_id != tenancy.require_tenant() or not plausible_id(script.id):
        raise NotFound("script not found")
    check_input(config, input)
    run = ExecutionSnapshot.new(script, trigger, input, recorded_input=recorded_input)
    try:
        compiled = compiled_version(session, script.id, script.current_version, rc.runtime)
    except NotFound:
        raise NotFound("script not found") from None
    except ScriptSyntaxError as exc:
        compiled = None
        result = failure("SyntaxError", exc.message, exc.line, exc.column, code="COMPILE_ERROR")
    except RuntimeBusyError:
        compiled = None
        result = failure("RuntimeBusyError", "no compile worker was free", code=POOL_BUSY)
    check_may_run(script.status, trigger, new=False)
    started = utcnow()
    if compiled is not None:
        result = run_compiled(rc, run, compiled, user, None)
    status = STATUS_OF_END[result.status]
    recorded = keep(result) and insert_outcome(session, run, result, started, user)
    metrics.observe_execution(trigger, status, result.metrics)
    return RunOutcome(run.execution_id, result, recorded)
