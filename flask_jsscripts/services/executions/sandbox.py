"""A run in the sandbox: compile (cached), build ``ctx`` and the capability broker, run;
every ending, including a refusal around the sandbox, is a RunResult."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ...runtime import (
    CompiledScript,
    RunResult,
    RuntimeBusyError,
    RuntimeClosedError,
    ScriptSyntaxError,
)
from ..broker import ScriptBroker
from ..context import RunContext, user_ref
from ..errors import NotFound
from ..scripts import compiled_version
from ..validation import effective_limits
from .snapshot import POOL_BUSY, ExecutionSnapshot, failure


def run_snapshot(
    session: Session,
    rc: RunContext,
    run: ExecutionSnapshot,
    user: Any,
    extra_context: Mapping[str, Any] | None,
) -> RunResult:
    """Compile (cached) and run one execution's version in the sandbox."""
    try:
        compiled = compiled_version(session, run.script_id, run.version, rc.runtime)
    except NotFound as exc:
        return failure("NotFoundError", exc.message, code="VERSION_MISSING")
    except ScriptSyntaxError as exc:  # a stored version that no longer compiles
        return failure("SyntaxError", exc.message, exc.line, exc.column, code="COMPILE_ERROR")
    except RuntimeBusyError:  # retryable, like a busy run pool
        return failure("RuntimeBusyError", "no compile worker was free", code=POOL_BUSY)
    return run_compiled(rc, run, compiled, user, extra_context)


def script_context(
    run: ExecutionSnapshot, user: Any, extra_context: Mapping[str, Any] | None
) -> tuple[dict[str, Any], Any]:
    """``ctx`` of the run and its ``ctx.input``."""
    context: dict[str, Any] = {
        "tenant": {"id": run.tenant_id},
        "user": user_ref(user),
        "script": {"id": run.script_id, "name": run.script_name, "version": run.version},
        "execution": {"id": run.execution_id, "trigger": run.trigger, "attempt": run.attempt},
    }
    run_input = run.input
    if run.trigger == "event" and isinstance(run_input, dict):
        # Event runs store the whole envelope as their input: ctx.event is the envelope,
        # ctx.input its data (so a replay long after the outbox row was pruned still works).
        context["event"] = run_input
        run_input = run_input.get("data")
    elif run.trigger == "http" and isinstance(run_input, dict):
        # Endpoint calls store the request as their input: ctx.request is all of it,
        # ctx.input its body.
        context["request"] = run_input
        run_input = run_input.get("body")
    context.update(extra_context or {})
    return context, run_input


def run_compiled(
    rc: RunContext,
    run: ExecutionSnapshot,
    compiled: CompiledScript,
    user: Any,
    extra_context: Mapping[str, Any] | None,
) -> RunResult:
    context, run_input = script_context(run, user, extra_context)
    try:
        return rc.runtime.run(
            compiled,
            run_input,
            limits=effective_limits(run.script_limits, rc.config),
            context=context,
            broker=ScriptBroker.for_run(rc, run, user),
            isolation=run.tenant_id,
        )
    except (ValueError, RecursionError) as exc:
        # Input or context the runtime refuses (extra_context with NaN or a huge integer):
        # recorded as a failure, not left "running" for the reaper.
        return failure("ValueError", str(exc), code="INPUT_REFUSED")
    except RuntimeBusyError:
        # No sandbox worker freed up in time: the row is closed now, not by the reaper later.
        return failure("RuntimeBusyError", "no sandbox worker was free", code=POOL_BUSY)
    except RuntimeClosedError:
        return failure("RuntimeClosedError", "the sandbox is shutting down", code=POOL_BUSY)
