"""Every Huey task of the extension, in this one module, with fixed names (``jsscripts.*``).

Huey is the transport, the database the truth: a task receives ids only, reads the rows, and
does its work as a claim in the database, so a message delivered twice (a re-drive after a
lost consumer) finds nothing left to do. Tasks run inside the app context, tenant-scoped for
the one tenant a row belongs to or in ``all_tenants()`` for the system jobs.

Three periodic tasks run every minute on every consumer; each claims rows, so several
consumers can all run them: ``jsscripts.cron`` (due schedules), ``jsscripts.sweep`` (re-drive
outbox rows and executions whose message was lost, close runs whose process died),
``jsscripts.prune`` (retention, hourly).

Tenants take turns in the queue (:class:`FairHuey`): a message's priority is its place in a
fair schedule by tenant, so a tenant with one event waits behind at most about one message of
each other tenant, however many another tenant has queued; and a message of runs gives up its
consumer thread after :data:`RUN_SLICE_SECONDS`, putting its remaining runs back in the queue.

Feature flags decide what exists: with ``JSSCRIPTS_ENABLE_CRON`` off there is no cron task,
with ``JSSCRIPTS_ENABLE_EVENTS`` off no event dispatch (the queue drops dispatch requests), and
with ``JSSCRIPTS_ENABLED`` off no task at all. A message for a task that is not registered
(queued before the switch) is refused by the consumer; its rows stay in the database and the
sweep re-drives them once the feature is back on.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from huey import Huey, crontab
from huey.api import Task
from huey.storage import MemoryStorage, PriorityRedisStorage, SqliteStorage
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from . import tenancy
from .models import utcnow
from .services import events, executions, outbox, schedules

log = logging.getLogger(__name__)

SQLITE_FILENAME = "jsscripts-huey.sqlite3"
DISPATCH_BATCH = 200  # outbox ids per dispatch message
# Executions per run message: one message costs a queue round trip and, in the task, a few
# statements before the first run; so a burst is split into at least RUN_SPREAD messages
# (for the consumers' threads to share) of at most RUN_BATCH runs each.
RUN_BATCH = 32
RUN_SPREAD = 4
# A message of runs starts no further run after this long; the rest go back to the queue and
# wait for their tenant's next turn (a tenant's slow runs hold a thread for one run at a time).
RUN_SLICE_SECONDS = 0.5
# Turn tags count in microseconds: when the queue is empty, a lane starts at the current time.
TAG_UNITS_PER_SECOND = 1_000_000
# Redis keeps the queue as a sorted set (priorities) under a name of its own: the plain list
# of earlier versions, under "jsscripts", is not read any more (the sweep re-sends its work).
REDIS_QUEUE_NAME = "jsscripts_fair"


def make_huey(app: Flask) -> Huey:
    """The app's Huey, from ``JSSCRIPTS_HUEY_URL``: None is SqliteHuey in the instance
    folder (an absolute path, shared by the web process and the consumer), ``sqlite:///path``
    another file, ``redis://`` / ``rediss://`` Redis, ``memory://`` an in-process queue. Each
    is a :class:`FairHuey` on a storage that orders by priority."""
    url = app.config["JSSCRIPTS_HUEY_URL"]
    immediate = app.config["JSSCRIPTS_HUEY_IMMEDIATE"]
    # Results live in the executions table; Huey's result store would only grow.
    common: dict[str, Any] = {"name": "jsscripts", "results": False, "immediate": immediate}
    if url is None or url.startswith("sqlite:///"):
        # SQLAlchemy's convention: sqlite:////abs/path, or sqlite:///name in the instance folder
        path = url[len("sqlite:///") :] if url else SQLITE_FILENAME
        if not os.path.isabs(path):
            os.makedirs(app.instance_path, exist_ok=True)
            path = os.path.join(app.instance_path, path)
        # Immediate mode keeps the real storage, so a test sees what a consumer would.
        # fsync off: the queue is not the record (the database is), and what a power cut
        # takes from it the sweep re-drives; each enqueue and dequeue saves a disk flush.
        return FairHuey(
            storage_class=SqliteStorage,
            filename=path,
            fsync=False,
            immediate_use_memory=False,
            **common,
        )
    if url.startswith(("redis://", "rediss://")):
        return FairHuey(
            storage_class=PriorityRedisStorage,
            url=url,
            immediate_use_memory=False,
            **{**common, "name": REDIS_QUEUE_NAME},
        )
    return FairHuey(storage_class=MemoryStorage, **common)


class TenantTurns:
    """The turn each message takes: start-time fair queuing by lane (tenant).

    A message's tag is where it starts in a virtual schedule: where its lane's previous message
    ends, or, when that is already behind, the tag at the head of the queue; the lane then ends
    the message's cost (its number of ids) further on. The queue serves the smallest tag first,
    so a lane with one message waits behind about one message of each other lane, whatever
    their backlogs, and lanes with backlogs share in proportion to the ids they send.

    The head is read from the storage, which every process shares. An empty queue has none:
    then the current time in microseconds stands in for it, which is further on than any tag a
    queue reached by serving ids (it would take a million ids a second to keep up), so after a
    quiet moment every lane starts afresh, in every process alike. Where lanes end is known per
    process: a tenant whose messages several processes enqueue gets a turn from each.
    """

    MAX_LANES = 10_000  # past this, lanes whose turn has come are forgotten

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._ends: dict[str, float] = {}
        self._lock = threading.Lock()

    def base(self, head: float | None) -> float:
        """Where a lane with nothing waiting starts."""
        return head if head is not None else float(int(self.clock() * TAG_UNITS_PER_SECOND))

    def start(self, head: float | None, lane: str, cost: int) -> float:
        """The tag of a message of ``lane`` costing ``cost``, the lane's end moved past it."""
        base = self.base(head)
        with self._lock:
            tag = max(base, self._ends.get(lane, base))
            self._ends[lane] = tag + cost
            if len(self._ends) > self.MAX_LANES:
                self._ends = {k: end for k, end in self._ends.items() if end > base}
        return tag


def queue_head(storage: Any) -> float | None:
    """The tag of the message the storage serves next (its priority, negated); None if empty.
    A message an older version queued without a priority counts as tag 0: served first."""
    if isinstance(storage, PriorityRedisStorage):
        first = storage.conn.zrange(storage.queue_key, 0, 0, withscores=True)
        return float(first[0][1]) if first else None
    if isinstance(storage, SqliteStorage):
        rows = storage.sql(
            "select priority from task where queue = ? order by priority desc, id limit 1",
            (storage.name,),
            results=True,
        )
        return -float(rows[0][0]) if rows else None
    if isinstance(storage, MemoryStorage):
        with storage._lock:  # no public way to peek at its heap of (-priority, n, data)
            return float(storage._queue[0][0]) if storage._queue else None
    raise TypeError(f"no fair queue on {type(storage).__name__}")


class FairHuey(Huey):
    """Huey whose queue serves tenants in turn (:class:`TenantTurns`).

    A message names its lane in the ``lane`` keyword (the tenant; None shares one lane) and its
    ids in its first argument. Its priority is set each time it enters the queue, which includes
    the scheduler moving a delayed message in when it is due: a retry or a deferred batch takes
    its turn then, not when it was scheduled. Until then it only passes through the queue on its
    way to the schedule, at the head's priority.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.turns = TenantTurns()

    def enqueue(self, task: Any) -> Any:
        if isinstance(task, Task) and not self.immediate:
            head = queue_head(self.storage)
            if self.ready_to_run(task):
                ids = task.args[0] if task.args else None
                cost = len(ids) if isinstance(ids, list | tuple) and ids else 1
                tag = self.turns.start(head, task.kwargs.get("lane") or "", cost)
            else:
                tag = self.turns.base(head)
            task.priority = -tag
        return super().enqueue(task)


class ShutdownCutOff(RuntimeError):
    """Raised into a database write that a consumer refuses after its shutdown grace period:
    the run it would have recorded keeps its ``running`` row for the reaper."""


class TasksInProgress:
    """How many of the extension's tasks this process is running, counted by the tasks.

    A consumer cannot ask its worker threads: once a signal has interrupted Huey's join of a
    thread, Python 3.11 reports that thread as stopped while it still runs (CPython issue
    90882), and a shutdown that believed no run was in progress let the run record its own
    kill as a crash."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @contextmanager
    def counting(self) -> Iterator[None]:
        with self._changed:
            self._count += 1
        try:
            yield
        finally:
            with self._changed:
                self._count -= 1
                self._changed.notify_all()

    @property
    def count(self) -> int:
        return self._count

    def wait_until_none(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the tasks in progress to end; True if they did."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout)


class HueyQueue:
    """The services' :class:`~flask_jsscripts.services.queue.TaskQueue`, on Huey tasks.

    A task that is switched off (None) takes nothing: the rows stay in the database.
    ``stopping`` is set by a consumer that shuts down: a task in progress then finishes the
    run it is in but starts no further run of its batch (those go back to the queue).
    ``in_progress`` counts the tasks running in this process.
    """

    def __init__(self, dispatch_task: Any, run_task: Any) -> None:
        self._dispatch = dispatch_task
        self._run = run_task
        self.stopping = threading.Event()
        self.in_progress = TasksInProgress()

    def dispatch_events(self, event_ids: Sequence[str], *, tenant_id: str | None = None) -> None:
        if self._dispatch is None:
            return
        ids = list(event_ids)
        for start in range(0, len(ids), DISPATCH_BATCH):
            _enqueue(self._dispatch, ids[start : start + DISPATCH_BATCH], tenant_id)

    def run_executions(
        self, execution_ids: Sequence[str], delay: float = 0, *, tenant_id: str | None = None
    ) -> None:
        if self._run is None:
            return
        ids = list(execution_ids)
        size = max(1, min(RUN_BATCH, -(-len(ids) // RUN_SPREAD)))  # ceil: every id is sent
        for start in range(0, len(ids), size):
            _enqueue(self._run, ids[start : start + size], tenant_id, delay=delay)

    def run_retries(
        self, retries: Sequence[tuple[str, float]], *, tenant_id: str | None = None
    ) -> None:
        if self._run is None:
            return
        for execution_id, delay in retries:
            _enqueue(self._run, [execution_id], tenant_id, delay=delay)


def _enqueue(task: Any, arg: Any, lane: str | None, delay: float = 0) -> None:
    """Enqueue, never raise: the rows are committed, and the sweep re-drives what the queue
    did not take (Redis down, SQLite busy)."""
    try:
        if delay > 0:
            task.schedule((arg,), {"lane": lane}, delay=delay)
        else:
            task(arg, lane=lane)
    except Exception:  # noqa: BLE001 - logged; the sweep is the fallback
        log.warning("could not enqueue %s; the sweep will re-drive it", task.name, exc_info=True)


def register(huey: Huey, app: Flask) -> HueyQueue:
    """Define the tasks on ``huey`` for ``app`` (those its feature flags leave on) and return
    the queue the services use."""
    config = app.config
    enabled = config["JSSCRIPTS_ENABLED"]
    jobs = _Jobs(app)
    huey.on_startup(name="jsscripts.prepare_engine")(jobs.prepare_engine)
    dispatch_task = run_task = None
    if enabled and config["JSSCRIPTS_ENABLE_EVENTS"]:
        dispatch_task = huey.task(name="jsscripts.dispatch_events")(jobs.in_app(jobs.dispatch))
    if enabled:
        run_task = huey.task(name="jsscripts.run_executions")(jobs.in_app(jobs.run))
        huey.periodic_task(crontab(), name="jsscripts.sweep")(jobs.in_app(jobs.sweep))
        huey.periodic_task(crontab(minute="17"), name="jsscripts.prune")(jobs.in_app(jobs.prune))
    if enabled and config["JSSCRIPTS_ENABLE_CRON"]:
        huey.periodic_task(crontab(), name="jsscripts.cron")(jobs.in_app(jobs.cron))
    jobs.queue = HueyQueue(dispatch_task, run_task)
    return jobs.queue


class _Jobs:
    """The bodies of the extension's tasks for one app. ``lane``: the tenant whose turn the
    message took (FairHuey); it orders the queue only, the rows say whose they are."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.state = app.extensions["jsscripts"]
        self.queue: HueyQueue = None  # type: ignore[assignment]  # set once the tasks exist

    def in_app(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.queue.in_progress.counting(), self.app.app_context():
                return fn(*args, **kwargs)

        return wrapper

    def dispatch(self, event_ids: list[str], lane: str | None = None) -> None:
        """Match outbox events to subscriptions and queue one run per match."""
        with tenancy.all_tenants():
            queued = events.dispatch(self.state.db.session, self.app.config, event_ids)
        for tenant, ids in queued.items():
            self.queue.run_executions(ids, tenant_id=tenant)

    def run(self, execution_ids: list[str], lane: str | None = None) -> None:
        """Run pending executions, each tenant's as one batch (services.executions.
        run_batch); retry or dead-letter failed event runs; put back, a moment later,
        those whose script is at its concurrency cap. When the consumer is stopping, or the
        message has run for RUN_SLICE_SECONDS, the runs not started yet go back to the queue
        at once, each tenant's in its own turn."""
        until = time.monotonic() + RUN_SLICE_SECONDS
        outcomes: dict[str, _TenantRuns] = {}
        # One connection for the whole message: each run commits, and the app's session
        # would hand its connection back to the pool at every commit.
        with self.state.db.engine.connect() as connection, Session(bind=connection) as session:
            with tenancy.all_tenants():
                by_tenant = executions.tenants_of(session, execution_ids)
            ran = False
            for tenant, ids in by_tenant.items():
                if self.queue.stopping.is_set() or (ran and time.monotonic() >= until):
                    outcomes[tenant] = _TenantRuns(not_started=ids)
                    continue
                outcomes[tenant] = self._run_tenant(session, tenant, ids, until)
                ran = ran or outcomes[tenant].ran
        for tenant, runs in outcomes.items():
            self.queue.run_executions(runs.not_started, tenant_id=tenant)
            self.queue.run_executions(
                runs.waiting, delay=executions.DEFER_SECONDS, tenant_id=tenant
            )
            self.queue.run_retries(runs.retries, tenant_id=tenant)

    def _run_tenant(
        self, session: Session, tenant: str, ids: list[str], until: float
    ) -> _TenantRuns:
        """One tenant's batch; an error is logged, never raised into the other tenants'."""
        follow_up = events.EventFollowUp(self.app.config)
        runs = _TenantRuns(retries=follow_up.retries)
        with tenancy.tenant_scope(tenant):
            try:
                batch = executions.run_batch(
                    session,
                    self.state.run_context(),
                    ids,
                    follow_up=follow_up,
                    stopping=self.queue.stopping.is_set,
                    until=until,
                )
                runs.ran = bool(batch.finished)
                runs.waiting = batch.waiting
                runs.not_started = batch.not_started
            except ShutdownCutOff:
                log.warning("runs of %s cut off by the shutdown; left to the reaper", ids)
                session.rollback()
            except Exception:  # noqa: BLE001 - one tenant's batch must not sink the others
                log.exception("executions %s could not be run; the sweep retries them", ids)
                session.rollback()
        return runs

    def cron(self) -> None:
        """Claim the due cron schedules (exactly once across consumers) and queue their runs."""
        with tenancy.all_tenants():
            queued = schedules.claim_due(self.state.db.session, self.app.config, now=utcnow())
        self.queue.run_executions(queued)

    def sweep(self) -> None:
        """Re-drive what a lost message or a dead consumer left behind."""
        sweep_once(self.app)

    def prune(self) -> None:
        """Delete executions and dispatched events past the retention period."""
        prune_once(self.app)

    def prepare_engine(self) -> None:
        with self.app.app_context():
            engine = self.state.db.engine
            if engine.dialect.name == "postgresql" and not sa_event.contains(
                engine, "connect", plan_each_statement
            ):
                sa_event.listen(engine, "connect", plan_each_statement)
            # A process worker is forked: connections inherited from the parent must not be
            # shared, so drop them from the pool without closing the parent's sockets (new
            # connections get the setting above).
            engine.dispose(close=False)


@dataclass
class _TenantRuns:
    """What became of one tenant's runs in a message."""

    ran: bool = False
    waiting: list[str] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)
    retries: list[tuple[str, float]] = field(default_factory=list)


def plan_each_statement(dbapi_connection: Any, _record: Any) -> None:
    """A consumer's PostgreSQL connections plan every statement for its values.

    A consumer's tables are queues whose contents swing within seconds, far faster than
    autovacuum's statistics follow. A generic plan (which a driver that prepares statements
    lets PostgreSQL settle on) made while a table was nearly empty can walk an index through a
    whole burst's rows, or scan the table; planning each statement for its values costs the
    server little next to that. The statements that find a run by id also leave the planner
    only the key (services.sql.unindexed)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SET plan_cache_mode = force_custom_plan")
    cursor.close()
    dbapi_connection.commit()


def sweep_once(app: Flask) -> dict[str, int]:
    """One pass of the sweep (also ``flask jsscripts reap``): returns what it did."""
    state = app.extensions["jsscripts"]
    session = state.db.session
    config = app.config
    follow_up = events.EventFollowUp(config)
    with tenancy.all_tenants():
        redriven = outbox.redrive_outbox(session, config)
        reaped = executions.reap_stale(
            session, grace_seconds=config["JSSCRIPTS_REAPER_GRACE_SECONDS"], follow_up=follow_up
        )
        pending = executions.redrive_pending(session, config)
    queue = state.queue
    queue.dispatch_events(redriven)
    queue.run_executions(pending)
    queue.run_retries(follow_up.retries)
    if redriven or reaped or pending:
        log.info(
            "sweep: %d events and %d runs re-driven, %d abandoned runs closed",
            len(redriven),
            len(pending),
            reaped,
        )
    return {"events": len(redriven), "executions": len(pending), "reaped": reaped}


def prune_once(app: Flask) -> dict[str, int]:
    """Retention: finished executions and dispatched or refused outbox rows."""
    session = app.extensions["jsscripts"].db.session
    days = app.config["JSSCRIPTS_RETENTION_DAYS"]
    with tenancy.all_tenants():
        pruned = executions.prune(session, retention_days=days)
        events_pruned = outbox.prune_outbox(session, retention_days=days)
    return {"executions": pruned, "events": events_pruned}
