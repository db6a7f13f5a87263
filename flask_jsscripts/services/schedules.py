"""Cron schedules: when a schedule fires next, and the every-minute claim of due schedules.

Time zones and daylight saving time. A schedule is a 5-field cron expression read as wall-clock
time in an IANA time zone; ``next_run_at`` is stored in UTC. How a transition day is handled
depends on the hour field, as in Vixie cron / cronie:

* a fixed hour (``30 2 * * *``, ``0 9-17 * * 1-5``, ``*/10 2 * * *``) names wall-clock times.
  Each one fires once a day: a time inside a spring-forward gap fires once at the first valid
  instant after the gap (02:30 that does not exist runs at 03:00); a time repeated by a
  fall-back fires at its first occurrence only, not twice.
* an hour field starting with ``*`` (``* * * * *``, ``*/15 * * * *``, ``30 * * * *``) is
  periodic: it fires at each real instant whose local time matches. No extra run is made up
  for times skipped by a gap, and the repeated hour of a fall-back runs again, so an
  every-15-minutes job keeps its rhythm in elapsed time.

Exactly once. :func:`claim_due` is run every minute by every consumer (``jsscripts.cron``).
Each due schedule is claimed by a conditional ``UPDATE ... WHERE id = :id AND next_run_at =
:seen``: only the process whose update matched a row writes the run, whatever the number of
consumers, on SQLite and PostgreSQL alike. On PostgreSQL the due rows are also selected
``FOR UPDATE SKIP LOCKED``, so consumers share the work instead of waiting on each other.
The new ``next_run_at`` is the first cron time strictly after ``now``: after downtime a schedule
that missed many times runs once, not once per missed time.

Overlaps. A schedule remembers its last run (``running_execution_id``). While that run is still
``pending`` (queued: it will run) or ``running`` before its deadline, a due time does not start
another one: it is recorded as a ``cancelled`` execution with ``end_reason="skipped"``, so the
history shows it. A ``running`` row past its deadline does not block: its process died and the
reaper closes it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, insert, select, update
from sqlalchemy.orm import Session, aliased

from .. import metrics, tenancy
from ..models import Execution, Schedule, Script
from .cron import next_run_after
from .executions import pending_deadline, pending_row

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # due schedules claimed per transaction


# --- the every-minute claim -----------------------------------------------------------------


def _due_rows(session: Session, now: datetime, limit: int) -> Sequence[Row[Any]]:
    """Due schedules of active scheduled scripts, with what the claim needs to decide."""
    previous = aliased(Execution)
    query = (
        select(
            Schedule.id,
            Schedule.tenant_id,
            Schedule.script_id,
            Schedule.cron,
            Schedule.timezone,
            Schedule.next_run_at,
            Schedule.running_execution_id,
            Script.current_version,
            previous.status.label("previous_status"),
            previous.deadline_at.label("previous_deadline"),
        )
        .join(
            Script,
            and_(Script.tenant_id == Schedule.tenant_id, Script.id == Schedule.script_id),
        )
        .outerjoin(previous, previous.id == Schedule.running_execution_id)
        .where(
            Schedule.next_run_at <= now,
            Script.status == "active",
            Script.type == "scheduled",
        )
        .order_by(Schedule.next_run_at, Schedule.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Rows another consumer is claiming right now are its business: skip them.
        query = query.with_for_update(of=Schedule, skip_locked=True)
    return session.execute(query).all()


def _still_running(row: Row[Any], now: datetime) -> bool:
    """Is the schedule's previous run still going? Queued (``pending``) runs will run, so they
    count; a ``running`` row past its deadline does not: its process died."""
    if row.previous_status == "pending":
        return True
    if row.previous_status == "running":
        return row.previous_deadline is None or row.previous_deadline > now
    return False


def _next_time(row: Row[Any], now: datetime) -> datetime | None:
    try:
        return next_run_after(row.cron, row.timezone, now)
    except ValueError as exc:  # stored before validation got stricter: stop, loudly
        log.warning("schedule %s stops: %s", row.id, exc)
        return None


def _execution_row(row: Row[Any], now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    return pending_row(
        tenant_id=row.tenant_id,
        script_id=row.script_id,
        version=row.current_version,
        trigger="cron",
        input=None,
        deadline_at=pending_deadline(now, config),
        created_at=now,
    )


def _skipped_row(row: Row[Any], now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    message = (
        f"skipped: the previous run ({row.running_execution_id}) is still {row.previous_status}"
    )
    skipped = _execution_row(row, now, config)
    skipped.update(
        status="cancelled",
        end_reason="skipped",
        error={
            "name": "Skipped",
            "message": message,
            "stack": "",
            "line": None,
            "column": None,
            "code": "SKIPPED",
        },
        deadline_at=None,
        started_at=now,
        finished_at=now,
    )
    return skipped


def claim_due(session: Session, config: Mapping[str, Any], *, now: datetime) -> list[str]:
    """Claim every schedule due at ``now`` and record its run: a ``pending`` execution, or a
    ``cancelled``/``skipped`` one while the previous run is still going. Exactly once across
    concurrent callers (see the module docstring). Commits; returns the ids of the pending
    executions, for the caller to enqueue. System job: call inside ``tenancy.all_tenants()``.
    """
    if not tenancy.in_all_tenants():
        raise tenancy.TenantScopeError("claim_due is a system job: run it in all_tenants()")
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if not (config["JSSCRIPTS_ENABLED"] and config["JSSCRIPTS_ENABLE_CRON"]):
        return []
    now = now.astimezone(UTC)
    queued: list[str] = []
    skipped = 0
    while True:
        rows = _due_rows(session, now, BATCH_SIZE)
        executions: list[dict[str, Any]] = []
        for row in rows:
            busy = _still_running(row, now)
            execution = (_skipped_row if busy else _execution_row)(row, now, config)
            values: dict[str, Any] = {
                "next_run_at": _next_time(row, now),
                "last_run_at": row.next_run_at,
            }
            if not busy:
                values["running_execution_id"] = execution["id"]
            claimed = session.execute(
                update(Schedule)
                .where(Schedule.id == row.id, Schedule.next_run_at == row.next_run_at)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount == 1:  # else another process claimed this due time first
                executions.append(execution)
        if executions:
            session.execute(insert(Execution), executions)
        session.commit()
        pending = [e["id"] for e in executions if e["status"] == "pending"]
        queued.extend(pending)
        skipped += len(executions) - len(pending)
        if len(rows) < BATCH_SIZE or not executions:
            break
    if queued:
        metrics.CRON_RUNS.labels("queued").inc(len(queued))
        metrics.EXECUTIONS_QUEUED.labels("cron").inc(len(queued))
    if skipped:
        metrics.CRON_RUNS.labels("skipped").inc(skipped)
    return queued
