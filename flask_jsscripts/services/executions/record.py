"""The end of a run: its outcome written to its row, with what a follow-up adds and, in a
batch, the claim of the script's next run, in one commit."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, case, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ... import metrics, tenancy
from ...models import Execution, utcnow
from ...runtime import RunResult
from ..sql import EXECUTIONS, insert_execution_statement, unindexed, update_execution_while
from .snapshot import ExecutionSnapshot, FollowUp, outcome_columns

_OUTCOME_COLUMNS = (
    "status",
    "end_reason",
    "output",
    "error",
    "console",
    "logs",
    "metrics",
    "finished_at",
)


class NextRun(Protocol):
    """The rest of a script's runs in a batch (``batch.HandOver``)."""

    def candidate(self) -> Any: ...

    def deadline(self, now: datetime) -> datetime: ...

    def settle(self, session: Session, claimed: bool) -> None: ...


@functools.cache
def _record_statement() -> Any:
    # Only a row still running: one the reaper already closed keeps the reaper's verdict
    # (and its follow-up), so an event is never retried twice for one attempt.
    return tenancy.tenant_bound(
        update_execution_while("running").values(
            {name: bindparam(f"new_{name}") for name in _OUTCOME_COLUMNS}
        )
    )


@functools.cache
def _hand_over_statement() -> Any:
    """:func:`_record_statement` and the claim of ``next_id`` as one UPDATE of two rows: the
    outcome goes to the running row, the start to the pending one. Returns the ids of the
    rows it changed. (One statement instead of two: a batch pays it once per run.)"""
    run = EXECUTIONS.c
    this = run.id == bindparam("execution_id")

    def outcome(name: str) -> Any:
        return case((this, bindparam(f"new_{name}", type_=run[name].type)), else_=run[name])

    values = {name: outcome(name) for name in _OUTCOME_COLUMNS}
    values["status"] = case((this, bindparam("new_status")), else_="running")
    values["started_at"] = case((this, run.started_at), else_=bindparam("next_started_at"))
    values["deadline_at"] = case((this, run.deadline_at), else_=bindparam("next_deadline_at"))
    return tenancy.tenant_bound(
        update(EXECUTIONS)
        .where(
            unindexed(run.tenant_id) == tenancy.TENANT,
            or_(
                and_(this, unindexed(run.status) == "running"),
                and_(run.id == bindparam("next_id"), unindexed(run.status) == "pending"),
            ),
        )
        .values(values)
        .returning(run.id)
    )


def record(
    session: Session,
    execution_id: str,
    result: RunResult,
    run: ExecutionSnapshot | None = None,
    follow_up: FollowUp | None = None,
    *,
    hand_over: NextRun | None = None,
) -> str | None:
    """Write the outcome of a ``running`` row, what ``follow_up`` adds and, for a batch,
    the claim of the next run (``hand_over``), in one commit. Returns the status written,
    None when the reaper had closed the row."""
    now = utcnow()
    outcome = outcome_columns(result, now)
    params = {f"new_{name}": value for name, value in outcome.items()}
    params["execution_id"] = execution_id
    after = hand_over.candidate() if hand_over is not None else None
    if after is None:
        recorded = tenancy.execute_bound(session, _record_statement(), params).rowcount == 1
    else:
        params.update(
            next_id=after.id, next_started_at=now, next_deadline_at=hand_over.deadline(now)
        )
        changed = set(tenancy.execute_bound(session, _hand_over_statement(), params).scalars())
        recorded = execution_id in changed
        hand_over.settle(session, after.id in changed)
    if recorded and follow_up is not None and run is not None:
        follow_up(session, run, outcome)
    session.commit()
    if recorded:
        metrics.observe_execution(
            run.trigger if run is not None else "unknown", outcome["status"], result.metrics
        )
        return outcome["status"]
    return None


def insert_outcome(
    session: Session, run: ExecutionSnapshot, result: RunResult, started: datetime, user: Any
) -> bool:
    """The finished run as one row; False when the script was deleted meanwhile."""
    row = run.row(user, started, started_at=started, **outcome_columns(result, utcnow()))
    try:
        tenancy.execute_bound(session, insert_execution_statement(), row)
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def reference(session: Session, execution_id: str, status: str | None = None) -> Execution:
    """The row of an id this process just wrote, without a SELECT: an expired instance in
    the session, loaded (tenant-scoped, like any load) only if the caller reads it; ``status``,
    when this process knows it, is set as loaded (the consumer reads only that)."""
    execution = session.identity_map.get(session.identity_key(Execution, execution_id))
    if execution is None:
        execution = Execution(id=execution_id)
        make_transient_to_detached(execution)
        session.add(execution)
    session.expire(execution)
    if status is not None:
        set_committed_value(execution, "status", status)
    return execution
