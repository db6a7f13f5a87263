"""Executions: every run is a database row first (``pending``), then ``running`` with a
deadline, then its outcome. A run the runtime kills is still recorded; a row whose process died
is found by the reaper. Old rows are pruned after ``JSSCRIPTS_RETENTION_DAYS``.

``deadline_at`` means two things, by status: for a ``running`` row, when its process must have
recorded an outcome (else the reaper closes it); for a ``pending`` row, when it must have been
picked up (else the sweep enqueues it again, which is harmless: only one claim succeeds).
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from .. import metrics, tenancy
from ..models import EXECUTION_TRIGGERS, Execution, Script, new_id, utcnow
from ..runtime import (
    CompiledScript,
    RunResult,
    Runtime,
    RuntimeBusyError,
    RuntimeClosedError,
    ScriptSyntaxError,
    jsonvalues,
)
from .broker import ScriptBroker
from .errors import NotFound, RunRefused, ValidationError
from .queue import TaskQueue
from .scripts import compiled_version, get_script, plausible_id
from .validation import effective_limits

log = logging.getLogger(__name__)

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
DEADLINE_MARGIN = timedelta(seconds=5)  # transport and recording on top of the timeout
DEFER_SECONDS = 1.0  # a claim refused by a concurrency cap is tried again this much later
# Error code of a run that found no free sandbox worker (or a pool shutting down).
POOL_BUSY = "POOL_BUSY"
# A run whose row records its input as given (see _Plan.recorded_input).
AS_GIVEN: Any = object()


@dataclass
class RunContext:
    """What the services need of the app to run a script (no Flask import below the web layer
    except ``current_app`` in the helpers that build this)."""

    config: Mapping[str, Any]
    runtime: Runtime
    engine: Any
    exposed: Mapping[str, Any]
    queue: TaskQueue | None = None  # where async work goes after commit (None: the sweep)
    clock: Callable[[], float] = time.time  # Unix seconds, for budgets counted per minute


# Called with the session, the run's plan and its recorded outcome, inside the transaction
# that records the outcome: what it writes (a retry, a dead letter) commits with it or not at all.
FollowUp = Callable[[Session, "_Plan", Mapping[str, Any]], None]


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
    session: Session, rc: RunContext, script_id: str, trigger: str, input: Any = None, **kwargs: Any
) -> Execution:
    """Check that the run may start and record it as ``pending`` (committed), for a task to
    pick up. Keyword arguments: ``user``, ``event_id``, ``attempt``, ``delay`` (seconds before
    the row counts as lost, on top of ``JSSCRIPTS_REAPER_GRACE_SECONDS``)."""
    plan = _start(session, rc, script_id, trigger, input, **kwargs)
    return _reference(session, plan.execution_id, "pending")


def _start(
    session: Session,
    rc: RunContext,
    script_id: str,
    trigger: str,
    input: Any = None,
    *,
    user: Any = None,
    event_id: str | None = None,
    attempt: int = 1,
    delay: float = 0,
    running: bool = False,
    recorded_input: Any = AS_GIVEN,
) -> _Plan:
    """Record a run (committed): ``pending``, or already ``running`` for one this process
    starts at once. Returns what the run needs (its row is not read back).

    Concurrency caps are checked here for runs a person or host code waits for; automatic
    runs queue up as ``pending`` and meet the caps when a consumer claims them."""
    config = rc.config
    _check_trigger(config, trigger)
    encoded = _check_input(config, input)
    now = utcnow()
    script = _lock_script(session, script_id, now)
    if script.status in ("archived", "disabled"):
        raise RunRefused(f"the script is {script.status}", "inactive")
    if trigger in AUTOMATIC_TRIGGERS and script.status != "active":
        raise RunRefused(
            f"the script is {script.status}: only active scripts run on {trigger}", "inactive"
        )
    if running or trigger not in AUTOMATIC_TRIGGERS:
        _check_concurrency(script, script.for_script, script.for_tenant, config)
    limits = effective_limits(script.limits, config)
    plan = _Plan.new(script, trigger, json.loads(encoded), attempt, event_id, recorded_input)
    row = plan.row(
        user,
        now,
        status="running" if running else "pending",
        started_at=now if running else None,
        deadline_at=running_deadline(now, limits.timeout)
        if running
        else pending_deadline(now, config, delay),
    )
    tenancy.execute_bound(session, _insert_statement(), row)
    if running:
        _commit_without_flush_wait(session)
    else:
        session.commit()
    return plan


def _check_trigger(config: Mapping[str, Any], trigger: str) -> None:
    if trigger not in EXECUTION_TRIGGERS:
        raise ValidationError({"trigger": [f"must be one of {', '.join(EXECUTION_TRIGGERS)}"]})
    if not config["JSSCRIPTS_ENABLED"] or not config[TRIGGER_FLAGS[trigger]]:
        raise RunRefused(f"{trigger} runs are switched off", "disabled")


def _check_input(config: Mapping[str, Any], input: Any) -> str:
    """The input as JSON text, or ValidationError for one no run can take."""
    try:
        # Found by tests/test_services_fuzz.py, each escaped as a raw exception: very deep
        # nesting (RecursionError), integers beyond a double (the runtime's ValueError, after
        # the row was already written, left it "running"), lone surrogates (the drivers
        # cannot encode them: UnicodeEncodeError here).
        jsonvalues.check(input)
        encoded = json.dumps(input, allow_nan=False, ensure_ascii=False)
        size = len(encoded.encode("utf-8"))
    except (TypeError, ValueError, RecursionError):
        raise ValidationError(
            {"input": [f"the input must be JSON, nested at most {jsonvalues.MAX_DEPTH} levels"]}
        ) from None
    if size > config["JSSCRIPTS_MAX_INPUT_BYTES"]:
        raise ValidationError(
            {"input": [f"the input exceeds {config['JSSCRIPTS_MAX_INPUT_BYTES']} bytes"]}
        )
    return encoded


def _commit_without_flush_wait(session: Session) -> None:
    """Commit a row that only has to survive this process, not a crash of the database
    server: a lost ``running`` mark leaves the row ``pending`` (re-driven) or is overwritten
    by the run's final, synchronous commit. On PostgreSQL this saves one WAL flush per run,
    and releases the script's row lock (held since ``_lock_script``) that much sooner."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    session.commit()


def running_deadline(started: datetime, timeout: float) -> datetime:
    return started + timedelta(seconds=timeout) + DEADLINE_MARGIN


def pending_deadline(now: datetime, config: Mapping[str, Any], delay: float = 0) -> datetime:
    return now + timedelta(seconds=delay + config["JSSCRIPTS_REAPER_GRACE_SECONDS"])


@dataclass(frozen=True)
class _Plan:
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
    def load(cls, session: Session, execution: Execution) -> _Plan | None:
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
    ) -> _Plan:
        """A run of the script's current version with a new execution id; ``script``: the
        row of columns that ``_lock_script`` reads, or a ``ScriptRef``."""
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

    def row(self, user: Any, created_at: datetime, **columns: Any) -> dict[str, Any]:
        """The execution row of this plan, for ``_insert_statement``, with ``columns``."""
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

    @classmethod
    def of(cls, script: Any, execution: Execution) -> _Plan:
        """``script``: the ORM row, or the row of columns that ``_lock_script`` reads."""
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


# The statements of a run's start and end: built once (constructing a statement costs more
# than running it on this path), Core on the tables, scoped by tenancy.TENANT.
_SCRIPTS = Script.__table__
_EXECUTIONS = Execution.__table__


@functools.cache
def _lock_statement() -> Any:
    # Only runs in progress count: a backlog of pending rows waits its turn, it does not
    # refuse new runs. Rows past their deadline do not count either: their process died.
    runs = _EXECUTIONS.c
    active = (
        runs.tenant_id == tenancy.TENANT,
        runs.status == "running",
        runs.deadline_at > bindparam("now"),
    )
    # Both counts read only the tenant's running rows: with the script id in the WHERE,
    # PostgreSQL walked an index on (tenant, ..., script) through every past run of the script
    # (the endpoint benchmark's rate fell as the history grew).
    of_script = case((runs.script_id == _SCRIPTS.c.id, 1), else_=0)
    for_script = select(func.coalesce(func.sum(of_script), 0)).where(*active).scalar_subquery()
    for_tenant = select(func.count()).where(*active).scalar_subquery()
    script = _SCRIPTS.c
    return tenancy.tenant_bound(
        select(
            script.id,
            script.tenant_id,
            script.name,
            script.status,
            script.limits,
            script.current_version,
            for_script.label("for_script"),
            for_tenant.label("for_tenant"),
        )
        .where(script.tenant_id == tenancy.TENANT, script.id == bindparam("script_id"))
        .with_for_update(of=_SCRIPTS)
    )


@functools.cache
def _insert_statement() -> Any:
    return tenancy.tenant_bound(insert(_EXECUTIONS).values(tenant_id=tenancy.TENANT))


def _lock_script(session: Session, script_id: str, now: datetime) -> Any:
    """The script, locked (FOR UPDATE serialises concurrent starts of one script on
    PostgreSQL, so its cap is exact), with the runs in progress of the script and of the
    tenant, in one round trip. Rows past their deadline do not count: their process died
    and the reaper will close them."""
    if not plausible_id(script_id):  # see scripts.plausible_id
        raise NotFound("script not found")
    row = tenancy.execute_bound(
        session, _lock_statement(), {"script_id": script_id, "now": now}
    ).first()
    if row is None:
        raise NotFound("script not found")
    return row


def _check_concurrency(
    script: Any, for_script: int, for_tenant: int, config: Mapping[str, Any]
) -> None:
    per_script = script.limits.get(
        "concurrency", config["JSSCRIPTS_DEFAULT_CONCURRENCY_PER_SCRIPT"]
    )
    if for_script >= per_script:
        raise RunRefused(
            f"the script already has {per_script} runs in progress (its concurrency limit)",
            "script_concurrency",
        )
    per_tenant = config["JSSCRIPTS_MAX_CONCURRENCY_PER_TENANT"]
    if for_tenant >= per_tenant:
        raise RunRefused(
            f"this tenant already has {per_tenant} runs in progress", "tenant_concurrency"
        )


def execute(
    session: Session,
    rc: RunContext,
    execution_id: str,
    *,
    user: Any = None,
    extra_context: Mapping[str, Any] | None = None,
    follow_up: FollowUp | None = None,
) -> Execution:
    """Run a ``pending`` execution to its end and record the outcome (:func:`execute_many`
    for one id). A row that is no longer pending (another consumer claimed it) is returned
    as it is; one whose script is at a concurrency cap stays ``pending``."""
    batch = execute_many(
        session, rc, [execution_id], user=user, extra_context=extra_context, follow_up=follow_up
    )
    if execution_id in batch.finished:
        return _reference(session, execution_id, batch.finished[execution_id])
    execution = (
        tenancy.get(session, Execution, execution_id) if plausible_id(execution_id) else None
    )
    if execution is None:
        raise NotFound("execution not found")
    return execution


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


@dataclass
class Batch:
    """What :func:`execute_many` did with each id it was given."""

    # Run here: the status recorded (None: the reaper had closed the row meanwhile).
    finished: dict[str, str | None] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)  # pending: a concurrency cap is full
    not_started: list[str] = field(default_factory=list)  # pending: ``stopping`` was set
    # Not pending (run elsewhere, or not an execution of this tenant): nothing done.
    skipped: list[str] = field(default_factory=list)


def execute_many(
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

    ids = list(dict.fromkeys(i for i in execution_ids if plausible_id(i)))
    found = {
        row.id: row
        for row in tenancy.execute_bound(session, _pending_statement(), {"ids": ids})
        if row.status == "pending"
    }
    by_script: dict[str, list[Any]] = {}  # in the order given
    for execution_id in ids:
        if execution_id in found:
            by_script.setdefault(found[execution_id].script_id, []).append(found[execution_id])
    batch.skipped = [i for i in execution_ids if i not in found]
    if not by_script:
        session.rollback()  # end the read's transaction (a claim would have gone on in it)
    for rows in by_script.values():
        if no_more_runs():
            batch.not_started.extend(row.id for row in rows)
            continue
        script, running = _take_place(session, rc.config, rows)
        if running is None:
            batch.waiting.extend(row.id for row in rows)
            continue
        started = True
        hand_over = _HandOver(rows, _timeout(script, rc.config), no_more_runs)
        while running is not None:
            hand_over.next = None
            try:
                batch.finished[running.id] = _run_claimed(
                    session, rc, running, script, user, extra_context, follow_up, hand_over
                )
            except Exception:
                if stopping():
                    raise
                log.exception(
                    "execution %s could not be recorded; the reaper closes it", running.id
                )
                session.rollback()
                if hand_over.next is not None:  # its claim was rolled back with the outcome
                    rows.insert(0, hand_over.next)
                batch.waiting.extend(row.id for row in rows)
                rows.clear()
                break
            running = hand_over.next
        batch.not_started.extend(row.id for row in rows)
    return batch


def _take_place(session: Session, config: Mapping[str, Any], rows: list[Any]) -> tuple[Any, Any]:
    """Claim the first still-pending row of ``rows`` (the runs of one script, taken off the
    list) if the script's caps allow it, committed. Returns the script's row (None: the
    script was deleted) and the claimed row (None: caps full, or nothing left pending)."""
    try:
        script = _lock_script(session, rows[0].script_id, utcnow())
    except NotFound:
        script = None
    if script is not None:
        try:
            _check_concurrency(script, script.for_script, script.for_tenant, config)
        except RunRefused:
            session.rollback()
            return script, None
    running = _claim_next(session, rows, _timeout(script, config))
    _commit_without_flush_wait(session)
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


class _HandOver:
    """The rest of a script's runs in a batch, for :func:`_record`: the transaction that
    records one run claims the next there, keeping the script's place under the caps (no
    further run once ``stopping()``)."""

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
    row: Any,
    script: Any,
    user: Any,
    extra_context: Mapping[str, Any] | None,
    follow_up: FollowUp | None,
    hand_over: _HandOver | None = None,
) -> str | None:
    """Run one claimed row and record its outcome; returns the status recorded."""
    if script is None:  # deleted after the row was written
        failure = _failure("NotFoundError", "the script was deleted", code="SCRIPT_DELETED")
        return _record(session, row.id, failure, hand_over=hand_over)
    plan = _Plan.of(script, row)
    if script.status != "active" and plan.trigger in AUTOMATIC_TRIGGERS:
        # Paused or disabled after the run was queued: it must not run any more.
        failure = _failure(
            "RunRefused",
            f"the script is {script.status}: only active scripts run on {plan.trigger}",
            code="SCRIPT_INACTIVE",
        )
        return _record(session, row.id, failure, plan, follow_up, hand_over=hand_over)
    result = _run_plan(session, rc, plan, user, extra_context)
    return _record(session, row.id, result, plan, follow_up, hand_over=hand_over)


def _recorded(
    session: Session,
    execution_id: str,
    result: RunResult,
    plan: _Plan | None = None,
    follow_up: FollowUp | None = None,
) -> Execution:
    """:func:`_record`, answering with the row (see :func:`_reference`)."""
    return _reference(
        session, execution_id, _record(session, execution_id, result, plan, follow_up)
    )


def _reference(session: Session, execution_id: str, status: str | None = None) -> Execution:
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


@functools.cache
def _pending_statement() -> Any:
    run = _EXECUTIONS.c
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


def unindexed(column: Any) -> Any:
    """``column || ''``: the column's value, which no index can serve. Statements that find
    queue rows (executions, outbox events) by id compare their other columns this way, so
    that the primary key is the only way to the rows: without statistics (a new or
    fast-growing table) PostgreSQL rated the (tenant, status) index as good as the key and
    walked it through every pending run of a burst to find one (0.39 ms and ~210 buffers per
    claim; 0.08 ms and 20 by the key)."""
    return column.concat("")


def _update_while(status: str) -> Any:
    """An UPDATE of one execution of the current tenant (by ``execution_id``), done only while
    the row still has ``status``."""
    run = _EXECUTIONS.c
    return update(_EXECUTIONS).where(
        unindexed(run.tenant_id) == tenancy.TENANT,
        run.id == bindparam("execution_id"),
        unindexed(run.status) == status,
    )


@functools.cache
def _claim_statement() -> Any:
    return tenancy.tenant_bound(
        _update_while("pending").values(
            status="running",
            started_at=bindparam("new_started_at"),
            deadline_at=bindparam("new_deadline_at"),
        )
    )


def _run_plan(
    session: Session,
    rc: RunContext,
    plan: _Plan,
    user: Any,
    extra_context: Mapping[str, Any] | None,
) -> RunResult:
    """Compile (cached) and run one plan in the sandbox; every ending is a RunResult."""
    try:
        compiled = compiled_version(session, plan.script_id, plan.version, rc.runtime)
    except NotFound as exc:
        return _failure("NotFoundError", exc.message, code="VERSION_MISSING")
    except ScriptSyntaxError as exc:  # a stored version that no longer compiles
        return _failure("SyntaxError", exc.message, exc.line, exc.column, code="COMPILE_ERROR")
    except RuntimeBusyError:  # retryable, like a busy run pool
        return _failure("RuntimeBusyError", "no compile worker was free", code=POOL_BUSY)
    return _run_compiled(rc, plan, compiled, user, extra_context)


def _run_compiled(
    rc: RunContext,
    plan: _Plan,
    compiled: CompiledScript,
    user: Any,
    extra_context: Mapping[str, Any] | None,
) -> RunResult:
    context: dict[str, Any] = {
        "tenant": {"id": plan.tenant_id},
        "user": user_ref(user),
        "script": {"id": plan.script_id, "name": plan.script_name, "version": plan.version},
        "execution": {"id": plan.execution_id, "trigger": plan.trigger, "attempt": plan.attempt},
    }
    run_input = plan.input
    if plan.trigger == "event" and isinstance(run_input, dict):
        # Event runs store the whole envelope as their input: ctx.event is the envelope,
        # ctx.input its data (so a replay long after the outbox row was pruned still works).
        context["event"] = run_input
        run_input = run_input.get("data")
    elif plan.trigger == "http" and isinstance(run_input, dict):
        # Endpoint calls store the request as their input: ctx.request is all of it,
        # ctx.input its body.
        context["request"] = run_input
        run_input = run_input.get("body")
    context.update(extra_context or {})
    broker = ScriptBroker(
        engine=rc.engine,
        config=rc.config,
        exposed=rc.exposed,
        tenant_id=plan.tenant_id,
        script_id=plan.script_id,
        user=user,
        execution_id=plan.execution_id,
        event_id=plan.event_id,
        queue=rc.queue,
        clock=rc.clock,
    )
    try:
        return rc.runtime.run(
            compiled,
            run_input,
            limits=effective_limits(plan.script_limits, rc.config),
            context=context,
            broker=broker,
            isolation=plan.tenant_id,
        )
    except (ValueError, RecursionError) as exc:
        # Input/context the runtime refuses (e.g. extra_context with NaN or a huge integer)
        # escaped raw and left the row "running" until the reaper (tests/test_services_fuzz.py)
        return _failure("ValueError", str(exc), code="INPUT_REFUSED")
    except RuntimeBusyError:
        # No sandbox worker freed up in time: the row is closed now, not by the reaper later.
        return _failure("RuntimeBusyError", "no sandbox worker was free", code=POOL_BUSY)
    except RuntimeClosedError:
        return _failure("RuntimeClosedError", "the sandbox is shutting down", code=POOL_BUSY)


def _failure(
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


@functools.cache
def _record_statement() -> Any:
    # Only a row still running: one the reaper already closed keeps the reaper's verdict
    # (and its follow-up), so an event is never retried twice for one attempt.
    return tenancy.tenant_bound(
        _update_while("running").values(
            {name: bindparam(f"new_{name}") for name in _OUTCOME_COLUMNS}
        )
    )


@functools.cache
def _hand_over_statement() -> Any:
    """:func:`_record_statement` and :func:`_claim_statement` (for ``next_id``) as one
    UPDATE of two rows: the outcome goes to the running row, the start to the pending one.
    Returns the ids of the rows it changed. (One statement instead of two: a consumer's
    batch pays it once per run.)"""
    run = _EXECUTIONS.c
    this = run.id == bindparam("execution_id")

    def outcome(name: str) -> Any:
        return case((this, bindparam(f"new_{name}", type_=run[name].type)), else_=run[name])

    values = {name: outcome(name) for name in _OUTCOME_COLUMNS}
    values["status"] = case((this, bindparam("new_status")), else_="running")
    values["started_at"] = case((this, run.started_at), else_=bindparam("next_started_at"))
    values["deadline_at"] = case((this, run.deadline_at), else_=bindparam("next_deadline_at"))
    return tenancy.tenant_bound(
        update(_EXECUTIONS)
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


def _record(
    session: Session,
    execution_id: str,
    result: RunResult,
    plan: _Plan | None = None,
    follow_up: FollowUp | None = None,
    *,
    hand_over: _HandOver | None = None,
) -> str | None:
    """Write the outcome of a ``running`` row, what ``follow_up`` adds and, for a batch,
    the claim of the next run (``hand_over``), in one commit. Returns the status written,
    None when the reaper had closed the row."""
    now = utcnow()
    outcome = {
        "status": STATUS_OF_END[result.status],
        "end_reason": result.status,
        "output": result.value if result.status == "completed" else None,
        "error": result.error,
        "console": result.console,
        "logs": result.logs,
        "metrics": result.metrics,
        "finished_at": now,
    }
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
    if recorded and follow_up is not None and plan is not None:
        follow_up(session, plan, outcome)
    session.commit()
    if recorded:
        metrics.observe_execution(
            plan.trigger if plan is not None else "unknown", outcome["status"], result.metrics
        )
        return outcome["status"]
    return None


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
    """Record and run synchronously (manual runs, the CLI, HTTP endpoints): the row is written
    as ``running`` straight away, so a crash mid-run leaves it for the reaper."""
    plan = _start(session, rc, script_id, trigger, input, user=user, running=True)
    result = _run_plan(session, rc, plan, user, extra_context)
    return _recorded(session, plan.execution_id, result, plan)


@dataclass(frozen=True)
class Ran:
    """A synchronous run, for a caller that answers from its result (HTTP endpoints) without
    reading the row back: the runtime's result, and whether a row records it."""

    execution_id: str
    result: RunResult
    recorded: bool


def run_recorded(
    session: Session,
    rc: RunContext,
    script_id: str,
    trigger: str = "manual",
    input: Any = None,
    *,
    user: Any = None,
    recorded_input: Any = AS_GIVEN,
) -> Ran:
    """:func:`run_script` (row first, concurrency caps counted from the rows), answering with
    the runtime's result instead of the row, which would cost a reload. An ``http`` run's
    input is the request: the script sees it as ``ctx.request`` and its body as ``ctx.input``.
    ``recorded_input``: what the row keeps instead of ``input``."""
    plan = _start(
        session,
        rc,
        script_id,
        trigger,
        input,
        user=user,
        running=True,
        recorded_input=recorded_input,
    )
    result = _run_plan(session, rc, plan, user, None)
    _record(session, plan.execution_id, result, plan)
    return Ran(plan.execution_id, result, True)


@dataclass(frozen=True)
class ScriptRef:
    """What a run needs of a script, read earlier by the caller (a cached HTTP route)."""

    id: str
    tenant_id: str
    name: str
    status: str
    limits: Mapping[str, Any]
    current_version: int


def run_detached(
    session: Session,
    rc: RunContext,
    script: ScriptRef,
    trigger: str,
    input: Any = None,
    *,
    user: Any = None,
    keep: Callable[[RunResult], bool] = lambda result: True,
    recorded_input: Any = AS_GIVEN,
) -> Ran:
    """Run without writing a row first; afterwards record the run (one INSERT) only if
    ``keep(result)``: sampled HTTP calls write nothing for most successful calls.

    No ``running`` row counts this run towards the concurrency caps, so the caller must hold
    a slot of its own (``services.endpoints`` does), and a process that dies mid-run leaves
    no trace of it. Raises NotFound for a script of another tenant or one that is gone. As
    with :func:`run_recorded`, an ``http`` run's input is the request (``ctx.request``), and
    ``recorded_input`` what the row keeps instead of it."""
    config = rc.config
    _check_trigger(config, trigger)
    if script.tenant_id != tenancy.require_tenant() or not plausible_id(script.id):
        raise NotFound("script not found")
    _check_input(config, input)
    plan = _Plan.new(script, trigger, input, recorded_input=recorded_input)
    try:
        compiled = compiled_version(session, script.id, script.current_version, rc.runtime)
    except NotFound:
        raise NotFound("script not found") from None
    except ScriptSyntaxError as exc:
        compiled = None
        result = _failure("SyntaxError", exc.message, exc.line, exc.column, code="COMPILE_ERROR")
    except RuntimeBusyError:
        compiled = None
        result = _failure("RuntimeBusyError", "no compile worker was free", code=POOL_BUSY)
    if trigger in AUTOMATIC_TRIGGERS and script.status != "active":
        raise RunRefused(
            f"the script is {script.status}: only active scripts run on {trigger}", "inactive"
        )
    started = utcnow()
    if compiled is not None:
        result = _run_compiled(rc, plan, compiled, user, None)
    status = STATUS_OF_END[result.status]
    recorded = keep(result) and _insert_outcome(session, plan, result, started, user)
    metrics.observe_execution(trigger, status, result.metrics)
    return Ran(plan.execution_id, result, recorded)


def _insert_outcome(
    session: Session, plan: _Plan, result: RunResult, started: datetime, user: Any
) -> bool:
    """The finished run as one row; False when the script was deleted meanwhile."""
    row = plan.row(
        user,
        started,
        status=STATUS_OF_END[result.status],
        end_reason=result.status,
        output=result.value if result.status == "completed" else None,
        error=result.error,
        console=result.console,
        logs=result.logs,
        metrics=result.metrics,
        started_at=started,
        finished_at=utcnow(),
    )
    try:
        tenancy.execute_bound(session, _insert_statement(), row)
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def get_execution(session: Session, execution_id: Any) -> Execution:
    execution = (
        tenancy.get(session, Execution, execution_id) if plausible_id(execution_id) else None
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
    once even when two reapers meet. System job: call inside ``tenancy.all_tenants()``."""
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
            plan = _Plan.load(session, execution)
            if plan is not None:
                follow_up(
                    session,
                    plan,
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
    does not enqueue them twice. System job: call inside ``tenancy.all_tenants()``."""
    now = now or utcnow()
    ids = list(
        session.scalars(
            select(Execution.id)
            .where(Execution.status == "pending", Execution.deadline_at < now)
            .order_by(Execution.deadline_at)
            .limit(limit)
        )
    )
    if ids:
        session.execute(
            update(Execution)
            .where(Execution.id.in_(ids), Execution.status == "pending")
            .values(deadline_at=pending_deadline(now, config))
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return ids


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
