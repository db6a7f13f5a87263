"""The upkeep of the executions table, as system jobs (call inside ``tenancy.all_tenants()``):
runs whose process died closed, pending rows whose message was lost re-driven, old rows
pruned after ``JSSCRIPTS_RETENTION_DAYS``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ...models import Execution, utcnow
from ..sql import take_overdue
from .rules import ACTIVE, pending_deadline
from .snapshot import ExecutionSnapshot, FollowUp

ABANDONED_ERROR = {
    "name": "AbandonedError",
    "message": "the run was abandoned: the process running it stopped before recording an outcome",
    "stack": "",
    "line": None,
    "column": None,
    "code": "ABANDONED",
}


def reap_stale(
    session: Session,
    *,
    now: datetime | None = None,
    grace_seconds: int = 60,
    follow_up: FollowUp | None = None,
    limit: int = 500,
) -> int:
    """Close runs whose process died: ``running`` well past their deadline become ``failed``
    (``crashed``), each in its own claim, so ``follow_up`` (retries of event runs) happens
    once even when two reapers meet."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=grace_seconds)
    stale = session.scalars(
        select(Execution)
        .where(Execution.status == "running", Execution.deadline_at < cutoff)
        .limit(limit)
    ).all()
    reaped = 0
    for execution in stale:
        claimed = session.execute(
            update(Execution)
            .where(Execution.id == execution.id, Execution.status == "running")
            .values(status="failed", end_reason="crashed", finished_at=now, error=ABANDONED_ERROR)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1 and follow_up is not None:
            run = ExecutionSnapshot.load(session, execution)
            if run is not None:
                follow_up(
                    session,
                    run,
                    {"status": "failed", "end_reason": "crashed", "error": ABANDONED_ERROR},
                )
        session.commit()
        reaped += claimed.rowcount or 0
    return reaped


def redrive_pending(
    session: Session, config: Mapping[str, Any], *, now: datetime | None = None, limit: int = 1000
) -> list[str]:
    """Pending rows nobody picked up by their deadline (a lost message, a consumer that died
    before claiming): their ids, to enqueue again, with the deadline moved on so the next sweep
    does not enqueue them twice."""
    now = now or utcnow()
    return take_overdue(
        session,
        Execution,
        "deadline_at",
        before=now,
        moved_to=pending_deadline(now, config),
        limit=limit,
    )


def prune(session: Session, *, retention_days: int, now: datetime | None = None) -> int:
    """Delete finished executions older than ``retention_days`` (a tenant scope prunes one
    tenant)."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    result = session.execute(
        delete(Execution)
        .where(Execution.created_at < cutoff, Execution.status.notin_(ACTIVE))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount or 0
