"""Runs a consumer picks up: the ``pending`` executions of one message, run one after the
other, each script's runs keeping one place under its concurrency caps."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ... import tenancy
from ...models import Execution, utcnow
from ..context import RunContext
from ..errors import NotFound, RunRefused
from ..scripts import plausible_id
from ..sql import EXECUTIONS, commit_without_flush_wait, find, unindexed, update_execution_while
from ..validation import effective_limits
from .record import record, reference
from .rules import check_concurrency, refusal, running_deadline
from .sandbox import run_snapshot
from .snapshot import ExecutionSnapshot, FollowUp, failure
from .start import lock_script

log = logging.getLogger(__name__)

DEFER_SECONDS = 1.0  # a claim refused by a concurrency cap is tried again this much later


@dataclass
class Batch:
    """What :func:`run_batch` did with each id it was given."""

    # Run here: the status recorded (None: the reaper had closed the row meanwhile).
    finished: dict[str, str | None] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)  # pending: a concurrency cap is full
    not_started: list[str] = field(default_factory=list)  # pending: ``stopping`` was set
    # Not pending (run elsewhere, or not an execution of this tenant): nothing done.
    skipped: list[str] = field(default_factory=list)


def tenants_of(session: Session, execution_ids: Sequence[str]) -> dict[str, list[str]]:
    """The ids of existing executions by tenant, in the order given. System job: call
    inside ``tenancy.all_tenants()``."""
    ids = [i for i in execution_ids if plausible_id(i)]
    tenants = dict(
        session.execute(
            select(Execution.id, Execution.tenant_id).where(Execution.id.in_(ids))
        ).all()
    )
    by_tenant: dict[str, list[str]] = {}
    for execution_id in ids:
        if execution_id in tenants:
            by_tenant.setdefault(tenants[execution_id], []).append(execution_id)
    return by_tenant


@functools.cache
def _pending_statement() -> Any:
    run = EXECUTIONS.c
    return tenancy.tenant_bound(
        select(
            run.id,
            run.tenant_id,
            run.script_id,
            run.status,
            run.version,
            run.trigger,
            run.attempt,
            run.input,
            run.event_id,
        ).where(
            unindexed(run.tenant_id) == tenancy.TENANT,
            run.id.in_(bindparam("ids", expanding=True)),
        )
    )


@functools.cache
def _claim_statement() -> Any:
    return tenancy.tenant_bound(
        update_execution_while("pending").values(
            status="running",
            started_at=bindparam("new_started_at"),
            deadline_at=bindparam("new_deadline_at"),
        )
    )


def run_batch(
    session: Session,
    rc: RunContext,
    execution_ids: Sequence[str],
    *,
    user: Any = None,
    extra_context: Mapping[str, Any] | None = None,
    follow_up: FollowUp | None = None,
    stopping: Callable[[], bool] = lambda: False,
    until: float | None = None,
) -> Batch:
    """Run the current tenant's ``pending`` executions among ``execution_ids`` one after the
    other, recording each outcome as it ends. Never runs a row twice.

    The runs of one script take one place under its concurrency caps (the script locked,
    its runs in progress counted, the first run claimed) and then hand it on: the
    transaction that records a run's outcome claims the script's next run, so a row is
    ``running`` only while it runs and the caps count exactly the runs in progress. A script
    whose caps are full leaves its runs ``pending`` (``waiting``). The script's row (status,
    limits) is read when it takes its place: pausing it stops the runs of later
    batches. Once ``stopping()`` is true, or ``time.monotonic()`` has passed ``until`` once a
    run has started, no further run starts (``not_started``, still pending). A run whose
    outcome cannot be written (a database error) is logged and left to the reaper, and the
    script's other runs wait; while ``stopping()`` the error is raised instead (a consumer
    refusing writes after its shutdown grace)."""
    batch = Batch()
    started = False

    def no_more_runs() -> bool:
        # The first run always starts: a batch given back unstarted would make no progress.
        return stopping() or (until is not None and started and time.monotonic() >= until)

    by_script = _pending_by_script(session, execution_ids, batch)
    for rows in by_script.values():
        if no_more_runs():
            batch.not_started.extend(row.id for row in rows)
            continue
        script, running = _take_place(session, rc.config, rows)
        if running is None:
            batch.waiting.extend(row.id for row in rows)
            continue
        started = True
        hand_over = HandOver(rows, _timeout(script, rc.config), no_more_runs)
        runner = functools.partial(_run_claimed, session, rc, script, user, extra_context)
        _run_script_rows(session, running, hand_over, runner, follow_up, stopping, batch)
    return batch


def _pending_by_script(
    session: Session, execution_ids: Sequence[str], batch: Batch
) -> dict[str, list[Any]]:
    """The pending rows among ``execution_ids`` by script, in the order given; the others
    go to ``batch.skipped``."""
    ids = list(dict.fromkeys(i for i in execution_ids if plausible_id(i)))
    found = {
        row.id: row
        for row in tenancy.execute_bound(session, _pending_statement(), {"ids": ids})
        if row.status == "pending"
    }
    by_script: dict[str, list[Any]] = {}
    for execution_id in ids:
        if execution_id in found:
            by_script.setdefault(found[execution_id].script_id, []).append(found[execution_id])
    batch.skipped = [i for i in execution_ids if i not in found]
    if not by_script:
        session.rollback()  # end the read's transaction (a claim would have gone on in it)
    return by_script


def _run_script_rows(
    session: Session,
    running: Any,
    hand_over: HandOver,
    runner: Callable[..., str | None],
    follow_up: FollowUp | None,
    stopping: Callable[[], bool],
    batch: Batch,
) -> None:
    """Run the claimed row of one script, then each next one its outcome's commit claims."""
    rows = hand_over.rows
    while running is not None:
        hand_over.next = None
        try:
            batch.finished[running.id] = runner(running, follow_up, hand_over)
        except Exception:
            if stopping():
                raise
            log.exception("execution %s could not be recorded; the reaper closes it", running.id)
            session.rollback()
            if hand_over.next is not None:  # its claim was rolled back with the outcome
                rows.insert(0, hand_over.next)
            batch.waiting.extend(row.id for row in rows)
            rows.clear()
            break
        running = hand_over.next
    batch.not_started.extend(row.id for row in rows)


def _take_place(session: Session, config: Mapping[str, Any], rows: list[Any]) -> tuple[Any, Any]:
    """Claim the first still-pending row of ``rows`` (the runs of one script, taken off the
    list) if the script's caps allow it, committed. Returns the script's row (None: the
    script was deleted) and the claimed row (None: caps full, or nothing left pending)."""
    try:
        script = lock_script(session, rows[0].script_id, utcnow())
    except NotFound:
        script = None
    if script is not None:
        try:
            check_concurrency(script.limits, script.for_script, script.for_tenant, config)
        except RunRefused:
            session.rollback()
            return script, None
    running = _claim_next(session, rows, _timeout(script, config))
    commit_without_flush_wait(session)
    return script, running


def _claim_next(session: Session, rows: list[Any], timeout: float) -> Any:
    """Claim (in the session's transaction) the first row of ``rows`` still pending, taking
    it and those another consumer claimed meanwhile off the list; None if none is left."""
    while rows:
        row = rows.pop(0)
        now = utcnow()
        claimed = tenancy.execute_bound(
            session,
            _claim_statement(),
            {
                "execution_id": row.id,
                "new_started_at": now,
                "new_deadline_at": running_deadline(now, timeout),
            },
        )
        if claimed.rowcount == 1:
            return row
    return None


def _timeout(script: Any, config: Mapping[str, Any]) -> float:
    if script is None:
        return config["JSSCRIPTS_DEFAULT_TIMEOUT"]
    return effective_limits(script.limits, config).timeout


class HandOver:
    """The rest of a script's runs in a batch, for ``record``: the transaction that records
    one run claims the next there, keeping the script's place under the caps (no further run
    once ``stopping()``)."""

    def __init__(self, rows: list[Any], timeout: float, stopping: Callable[[], bool]) -> None:
        self.rows, self.timeout, self.stopping = rows, timeout, stopping
        self.next: Any = None  # the run claimed with the last outcome written

    def candidate(self) -> Any:
        """The run to claim with the outcome; None: nothing more to start."""
        return None if self.stopping() or not self.rows else self.rows[0]

    def deadline(self, now: datetime) -> datetime:
        return running_deadline(now, self.timeout)

    def settle(self, session: Session, claimed: bool) -> None:
        """After the outcome's statement: the candidate is ``next``, or, when another consumer
        took it meanwhile, the first of the rest still pending is claimed now."""
        candidate = self.rows.pop(0)
        if claimed:
            self.next = candidate
        elif not self.stopping():
            self.next = _claim_next(session, self.rows, self.timeout)


def _run_claimed(
    session: Session,
    rc: RunContext,
    script: Any,
    user: Any,
    extra_context: Mapping[str, Any] | None,
    row: Any,
    follow_up: FollowUp | None,
    hand_over: HandOver | None = None,
) -> str | None:
    """Run one claimed row and record its outcome; returns the status recorded."""
    if script is None:  # deleted after the row was written
        gone = failure("NotFoundError", "the script was deleted", code="SCRIPT_DELETED")
        return record(session, row.id, gone, hand_over=hand_over)
    run = ExecutionSnapshot.of(script, row)
    reason = refusal(script.status, run.trigger, new=False)
    if reason is not None:  # paused or disabled after the run was queued
        refused = failure("RunRefused", reason, code="SCRIPT_INACTIVE")
        return record(session, row.id, refused, run, follow_up, hand_over=hand_over)
    result = run_snapshot(session, rc, run, user, extra_context)
    return record(session, row.id, result, run, follow_up, hand_over=hand_over)


def _execute(
    session: Session,
    rc: RunContext,
    execution_id: str,
    *,
    user: Any = None,
    extra_context: Mapping[str, Any] | None = None,
    follow_up: FollowUp | None = None,
) -> Execution:
    """:func:`run_batch` of one id, answering with the row; for tests, which run the rows
    they queued by hand. A row no longer pending is returned as it is."""
    batch = run_batch(
        session, rc, [execution_id], user=user, extra_context=extra_context, follow_up=follow_up
    )
    if execution_id in batch.finished:
        return reference(session, execution_id, batch.finished[execution_id])
    execution = find(session, Execution, execution_id)
    if execution is None:
        raise NotFound("execution not found")
    return execution
