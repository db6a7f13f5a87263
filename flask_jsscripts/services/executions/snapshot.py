"""What a run is made of once its row exists: :class:`ExecutionSnapshot`, the rows it writes,
and the failures decided around the sandbox rather than in it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ... import tenancy
from ...models import Execution, Script, new_id
from ...runtime import RunResult
from ..context import user_ref
from .rules import STATUS_OF_END

# A run whose row records its input as given (see ExecutionSnapshot.recorded_input).
AS_GIVEN: Any = object()
# Error code of a run that found no free sandbox worker (or a pool shutting down).
POOL_BUSY = "POOL_BUSY"


@dataclass(frozen=True)
class ExecutionSnapshot:
    """One execution as its run needs it: the script's name and limits, the version, the
    trigger and the input, read once when the run starts."""

    script_id: str
    script_name: str
    script_limits: dict[str, Any]
    execution_id: str
    tenant_id: str
    version: int
    trigger: str
    attempt: int
    input: Any
    event_id: str | None = None
    # What the row keeps as the input when it is not the input itself: an HTTP call's record
    # cuts a long body short (services.endpoints.recorded_request), the run gets all of it.
    recorded_input: Any = AS_GIVEN

    @classmethod
    def load(cls, session: Session, execution: Execution) -> ExecutionSnapshot | None:
        script = tenancy.get(session, Script, execution.script_id)
        return None if script is None else cls.of(script, execution)

    @classmethod
    def new(
        cls,
        script: Any,
        trigger: str,
        input: Any,
        attempt: int = 1,
        event_id: str | None = None,
        recorded_input: Any = AS_GIVEN,
    ) -> ExecutionSnapshot:
        """A run of the script's current version with a new execution id; ``script``: a row
        with the script's columns, or a ``ScriptRef``."""
        return cls(
            script.id,
            script.name,
            dict(script.limits),
            new_id(),
            script.tenant_id,
            script.current_version,
            trigger,
            attempt,
            input,
            event_id,
            recorded_input,
        )

    @classmethod
    def of(cls, script: Any, execution: Any) -> ExecutionSnapshot:
        """``script``: the ORM row or a row with its columns; ``execution``: likewise."""
        return cls(
            script.id,
            script.name,
            dict(script.limits),
            execution.id,
            execution.tenant_id,
            execution.version,
            execution.trigger,
            execution.attempt,
            execution.input,
            execution.event_id,
        )

    def row(self, user: Any, created_at: datetime, **columns: Any) -> dict[str, Any]:
        """The execution row of this run, with ``columns``."""
        return {
            "id": self.execution_id,
            "script_id": self.script_id,
            "version": self.version,
            "trigger": self.trigger,
            "input": self.input if self.recorded_input is AS_GIVEN else self.recorded_input,
            "attempt": self.attempt,
            "event_id": self.event_id,
            "actor_id": (user_ref(user) or {}).get("id"),
            "created_at": created_at,
            **columns,
        }


# Called with the session, the run's snapshot and its recorded outcome, inside the transaction
# that records the outcome: what it writes (a retry, a dead letter) commits with it or not at all.
FollowUp = Callable[[Session, ExecutionSnapshot, Mapping[str, Any]], None]


def outcome_columns(result: RunResult, finished_at: datetime) -> dict[str, Any]:
    """The columns that record how a run ended."""
    return {
        "status": STATUS_OF_END[result.status],
        "end_reason": result.status,
        "output": result.value if result.status == "completed" else None,
        "error": result.error,
        "console": result.console,
        "logs": result.logs,
        "metrics": result.metrics,
        "finished_at": finished_at,
    }


def pending_row(
    *,
    tenant_id: str,
    script_id: str,
    version: int,
    trigger: str,
    input: Any,
    deadline_at: datetime | None,
    created_at: datetime,
    attempt: int = 1,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A new ``pending`` execution as a row for a Core INSERT (every column given, so rows
    of one INSERT may differ in any of them)."""
    return {
        "id": new_id(),
        "tenant_id": tenant_id,
        "script_id": script_id,
        "version": version,
        "trigger": trigger,
        "status": "pending",
        "end_reason": None,
        "input": input,
        "error": None,
        "attempt": attempt,
        "event_id": event_id,
        "deadline_at": deadline_at,
        "created_at": created_at,
        "started_at": None,
        "finished_at": None,
        "console": [],
        "logs": [],
        "metrics": {},
    }


def failure(
    name: str,
    message: str,
    line: int | None = None,
    column: int | None = None,
    *,
    code: str,
) -> RunResult:
    """An outcome decided before or around the sandbox; ``code`` tells retries apart from
    failures that would only fail again (see services.events.is_retryable)."""
    return RunResult(
        "failed",
        error={
            "name": name,
            "message": message,
            "stack": f"{name}: {message}",
            "line": line,
            "column": column,
            "code": code,
        },
    )
