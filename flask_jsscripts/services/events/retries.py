"""After an event run failed: the next attempt of a retryable failure, or the dead letter."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ... import metrics
from ...models import DeadLetter, Execution, Script, new_id, utcnow
from ..executions import ExecutionSnapshot, pending_deadline, pending_row

# Failures that would only fail again: no retry, straight to the dead letters.
PERMANENT_CODES = frozenset(
    {
        "PERMISSION_DENIED",  # a host function the run's user may not call
        "NOT_AVAILABLE",  # a capability the script may not use
        "BAD_REQUEST",
        "EVENT_DEPTH_EXCEEDED",
        # a publish budget: a retry would publish the run's first events again and most likely
        # meet the same budget (retries come within the minute); replay the dead letter instead
        "PUBLISH_LIMIT",
        "SCRIPT_INACTIVE",  # paused or disabled after the event matched
        "SCRIPT_DELETED",
        "VERSION_MISSING",
        "COMPILE_ERROR",
        "INPUT_REFUSED",
        # sdk.http refusals that depend on the URL, not on the moment: a retry fails the same way
        "SSRF_BLOCKED",
        "TOO_MANY_REDIRECTS",
        "RESPONSE_TOO_LARGE",
        "output_limit",
        "host_call_limit",
    }
)
RETRYABLE_END_REASONS = frozenset({"failed", "timeout", "memory", "crashed"})


def is_retryable(outcome: Mapping[str, Any]) -> bool:
    """Timeouts, memory, crashes, JavaScript errors and host errors are worth another try;
    refusals, compile errors and limit violations would fail the same way again."""
    if outcome["status"] == "completed" or outcome["end_reason"] not in RETRYABLE_END_REASONS:
        return False
    code = (outcome.get("error") or {}).get("code")
    return code not in PERMANENT_CODES


def retry_delay(config: Mapping[str, Any], attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: base × factor^(attempt − 1), ± jitter."""
    base = config["JSSCRIPTS_RETRY_BASE_SECONDS"] * config["JSSCRIPTS_RETRY_FACTOR"] ** (
        attempt - 1
    )
    jitter = config["JSSCRIPTS_RETRY_JITTER"]
    return max(0.0, base * (1 + (rng or random).uniform(-jitter, jitter)))


class EventFollowUp:
    """After an event run ends: schedule the next attempt, or write the dead letter.

    Called by the execution service inside the transaction that records the outcome, so the
    outcome and its consequence commit together. ``retries`` collects ``(execution_id,
    delay)`` for the caller to enqueue after that commit."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.retries: list[tuple[str, float]] = []

    def __call__(
        self, session: Session, run: ExecutionSnapshot, outcome: Mapping[str, Any]
    ) -> None:
        if run.trigger != "event" or run.event_id is None or outcome["status"] == "completed":
            return
        if is_retryable(outcome) and run.attempt <= self.config["JSSCRIPTS_RETRY_ATTEMPTS"]:
            delay = retry_delay(self.config, run.attempt)
            now = utcnow()
            retry = pending_row(
                tenant_id=run.tenant_id,
                script_id=run.script_id,
                version=_current_version(session, run),
                trigger="event",
                input=run.input,
                attempt=run.attempt + 1,
                event_id=run.event_id,
                deadline_at=pending_deadline(now, self.config, delay),
                created_at=now,
            )
            session.execute(insert(Execution), [retry])
            self.retries.append((retry["id"], delay))
            metrics.RETRIES.inc()
            return
        dead_letter(session, run, outcome.get("error"))


def _current_version(session: Session, run: ExecutionSnapshot) -> int:
    """A retry runs the script as it is now (a fix saved between attempts is picked up)."""
    version = session.scalar(
        select(Script.current_version).where(
            Script.tenant_id == run.tenant_id, Script.id == run.script_id
        )
    )
    return run.version if version is None else version


def dead_letter(session: Session, run: ExecutionSnapshot, error: Mapping[str, Any] | None) -> None:
    """Record a delivery that failed for good, with every attempt's execution id in order."""
    attempts = list(
        session.scalars(
            select(Execution.id)
            .where(
                Execution.tenant_id == run.tenant_id,
                Execution.script_id == run.script_id,
                Execution.event_id == run.event_id,
            )
            .order_by(Execution.attempt)
        )
    )
    envelope_ = run.input if isinstance(run.input, dict) else {}
    session.execute(
        insert(DeadLetter),
        [
            {
                "id": new_id(),
                "tenant_id": run.tenant_id,
                "script_id": run.script_id,
                "event_id": run.event_id,
                "event_type": envelope_.get("type"),
                "payload": envelope_.get("data"),
                "error": dict(error) if error else None,
                "attempts": attempts,
                "created_at": utcnow(),
            }
        ],
    )
    metrics.DEAD_LETTERS.inc()
