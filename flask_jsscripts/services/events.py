"""Domain events: the outbox, matching to subscriptions, retries and dead letters.

The path of an event: ``publish()`` writes an outbox row in the publisher's transaction; after
commit a task calls :func:`dispatch`, which claims the row, finds the active subscriptions of
its tenant whose pattern and filter match, and writes one ``pending`` execution per match in
the same transaction. Each execution runs in a task; :class:`EventFollowUp`, called in the
transaction that records the outcome, schedules the next attempt of a retryable failure or
writes the dead letter. Every step is a database claim, so a re-driven message finds the work
already done and does nothing (idempotency by event id, execution id, and the unique
``(event_id, script_id, attempt)`` index).
"""

from __future__ import annotations

import functools
import json
import logging
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from .. import metrics
from ..models import DeadLetter, EventSubscription, Execution, OutboxEvent, Script, new_id, utcnow
from ..runtime import jsonvalues
from . import filters
from .executions import pending_deadline, unindexed
from .scripts import plausible_id

log = logging.getLogger(__name__)

EVENT_TYPE_RE = re.compile(r"[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*")
MAX_EVENT_TYPE_LENGTH = 200
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


def validate_event_type(event_type: Any) -> str:
    """Lower-case dotted names (``order.created``); wildcards belong to subscriptions only."""
    if (
        not isinstance(event_type, str)
        or len(event_type) > MAX_EVENT_TYPE_LENGTH
        or not EVENT_TYPE_RE.fullmatch(event_type)
    ):
        raise ValueError(
            f"invalid event type {event_type!r}: lower-case dotted words like 'order.created'"
        )
    return event_type


def new_outbox_event(
    config: Mapping[str, Any],
    *,
    tenant_id: str,
    event_type: str,
    payload: Any,
    depth: int = 0,
    actor_id: str | None = None,
    causation_execution_id: str | None = None,
) -> OutboxEvent:
    """A checked outbox row (not added to any session). Raises ValueError with the reason.

    A depth past ``JSSCRIPTS_EVENT_MAX_DEPTH`` is not an error here: the row comes back with
    status ``refused``, so the refusal is recorded; the caller decides what to tell whom."""
    validate_event_type(event_type)
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ValueError("depth must be a non-negative integer")
    try:
        jsonvalues.check(payload)
    except jsonvalues.JSONValueError as exc:
        raise ValueError(f"event payload: {exc.message}") from None
    encoded = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    if len(encoded.encode()) > config["JSSCRIPTS_MAX_EVENT_BYTES"]:
        raise ValueError(f"event payload exceeds JSSCRIPTS_MAX_EVENT_BYTES for {event_type!r}")
    refused = depth > config["JSSCRIPTS_EVENT_MAX_DEPTH"]
    return OutboxEvent(
        id=new_id(),  # known before the flush: the after-commit hook enqueues it by id
        tenant_id=tenant_id,
        event_type=event_type,
        payload=json.loads(encoded),  # a detached copy: later mutation cannot leak in
        depth=depth,
        actor_id=actor_id,
        causation_execution_id=causation_execution_id,
        status="refused" if refused else "pending",
        last_error=(
            f"causation depth {depth} exceeds JSSCRIPTS_EVENT_MAX_DEPTH="
            f"{config['JSSCRIPTS_EVENT_MAX_DEPTH']} (an event loop?)"
            if refused
            else None
        ),
        created_at=utcnow(),
        available_at=utcnow(),
    )


def patterns_for(event_type: str) -> list[str]:
    """Every subscription pattern that matches ``event_type``: itself, each ``prefix.*``
    and ``*`` (``order.*`` matches ``order.created`` and ``order.item.added``)."""
    parts = event_type.split(".")
    return [event_type, "*"] + [".".join(parts[:i]) + ".*" for i in range(1, len(parts))]


def envelope(event_id: str, event_type: str, payload: Any, timestamp: datetime) -> dict[str, Any]:
    """What a script sees as ``ctx.event`` (and what its execution stores as input)."""
    return {"id": event_id, "type": event_type, "data": payload, "timestamp": timestamp.isoformat()}


@functools.cache
def _claim_statement() -> Any:
    return (
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(bindparam("ids", expanding=True)))
        .where(unindexed(OutboxEvent.status) == "pending")
        .values(
            status="dispatched", dispatched_at=bindparam("now"), attempts=OutboxEvent.attempts + 1
        )
        .returning(
            OutboxEvent.id,
            OutboxEvent.tenant_id,
            OutboxEvent.event_type,
            OutboxEvent.payload,
            OutboxEvent.created_at,
        )
        .execution_options(synchronize_session=False)
    )


@functools.cache
def _stamp_statement() -> Any:
    # Every save, status change and rollback of a script moves its updated_at (onupdate), and
    # a delete or create moves the count: together they tell whether the cache is stale.
    # Two subqueries: alone, max() reads one index entry; together with count() (which reads
    # every entry of the tenant anyway) SQLite computed both the slow way, twice the time.
    of_tenant = Script.tenant_id == bindparam("tenant_id")
    return select(
        select(func.count()).select_from(Script).where(of_tenant).scalar_subquery(),
        select(func.max(Script.updated_at)).where(of_tenant).scalar_subquery(),
    )


@functools.cache
def _subscriptions_statement() -> Any:
    return (
        select(
            EventSubscription.id,
            EventSubscription.event_type,
            EventSubscription.filter,
            EventSubscription.script_id,
            Script.current_version,
        )
        .join(
            Script,
            and_(
                Script.tenant_id == EventSubscription.tenant_id,
                Script.id == EventSubscription.script_id,
            ),
        )
        .where(
            EventSubscription.tenant_id == bindparam("tenant_id"),
            Script.status == "active",
            Script.type == "event",
        )
    )


_NEVER = filters.compile_filter({"any": []})


@dataclass(frozen=True)
class _Subscription:
    script_id: str
    version: int
    predicate: filters.Predicate


# A tenant's active subscriptions, by pattern, with their filters compiled.
SubscriptionTable = dict[str, list[_Subscription]]


class SubscriptionCache:
    """Each tenant's subscription table, per process, reloaded when the tenant's scripts
    changed (one small query per look: another process may have saved a script), and at
    least every ``max_age`` seconds: two saves racing could leave the stamp unmoved (the
    later commit carrying the earlier timestamp)."""

    def __init__(self, max_tenants: int = 256, max_age: float = 5.0) -> None:
        self.max_tenants = max_tenants
        self.max_age = max_age
        self._tables: OrderedDict[str, tuple[Any, float, SubscriptionTable]] = OrderedDict()
        self._lock = threading.Lock()

    def table(self, session: Session, tenant_id: str) -> SubscriptionTable:
        # The stamp is read before the rows: a save committed in between makes the next look
        # reload (the rows are newer than the stamp), never the other way round.
        stamp = tuple(session.execute(_stamp_statement(), {"tenant_id": tenant_id}).one())
        now = time.monotonic()
        cached = self._tables.get(tenant_id)
        if cached is not None and cached[0] == stamp and now - cached[1] < self.max_age:
            return cached[2]
        table = _load_subscriptions(session, tenant_id)
        with self._lock:
            self._tables[tenant_id] = (stamp, now, table)
            self._tables.move_to_end(tenant_id)
            while len(self._tables) > self.max_tenants:
                self._tables.popitem(last=False)
        return table


def _load_subscriptions(session: Session, tenant_id: str) -> SubscriptionTable:
    table: SubscriptionTable = {}
    rows = session.execute(_subscriptions_statement(), {"tenant_id": tenant_id})
    for sub_id, pattern, tree, script_id, version in rows:
        try:
            predicate = filters.compile_filter(tree)
        except ValueError:  # stored before filters were validated: never matches
            log.warning("event subscription %s has an invalid filter", sub_id)
            predicate = _NEVER
        table.setdefault(pattern, []).append(_Subscription(script_id, version, predicate))
    return table


_subscriptions = SubscriptionCache()


def _match(table: SubscriptionTable, event_type: str, payload: Any) -> list[tuple[str, int]]:
    matched: dict[str, int] = {}
    for pattern in patterns_for(event_type):
        for sub in table.get(pattern, ()):
            if sub.script_id not in matched and sub.predicate(payload):
                matched[sub.script_id] = sub.version
    return list(matched.items())


def matching_scripts(
    session: Session, tenant_id: str, event_type: str, payload: Any
) -> list[tuple[str, int]]:
    """``(script_id, current_version)`` of every active event script of the tenant whose
    subscription pattern and filter match (a script subscribed twice runs once)."""
    return _match(_subscriptions.table(session, tenant_id), event_type, payload)


def dispatch(
    session: Session, config: Mapping[str, Any], event_ids: Sequence[str]
) -> dict[str, list[str]]:
    """Claim these outbox rows and write one pending execution per matching subscription, in
    one transaction. Returns the ids of the executions written by tenant (to enqueue after
    commit, each tenant in its own turn). Rows already dispatched (a re-driven message) are
    skipped. System job: all_tenants()."""
    ids = [i for i in event_ids if plausible_id(i)]
    if not ids or not (config["JSSCRIPTS_ENABLED"] and config["JSSCRIPTS_ENABLE_EVENTS"]):
        return {}
    now = utcnow()
    claimed = session.execute(_claim_statement(), {"ids": ids, "now": now}).all()
    rows: list[dict[str, Any]] = []
    tables: dict[str, SubscriptionTable] = {}  # one look per tenant for the whole batch
    for event_id, tenant_id, event_type, payload, created_at in claimed:
        table = tables.get(tenant_id)
        if table is None:
            table = tables[tenant_id] = _subscriptions.table(session, tenant_id)
        for script_id, version in _match(table, event_type, payload):
            rows.append(
                {
                    "id": new_id(),
                    "tenant_id": tenant_id,
                    "script_id": script_id,
                    "version": version,
                    "trigger": "event",
                    "status": "pending",
                    "input": envelope(event_id, event_type, payload, created_at),
                    "attempt": 1,
                    "event_id": event_id,
                    "deadline_at": pending_deadline(now, config),
                    "created_at": now,
                    "console": [],
                    "logs": [],
                    "metrics": {},
                }
            )
    if rows:
        # Core, not the ORM's bulk insert (these rows need none of its bookkeeping); with
        # RETURNING, SQLAlchemy sends the rows as multi-row INSERTs ("insertmanyvalues")
        # instead of one statement per row.
        session.execute(insert(Execution.__table__).returning(Execution.id), rows).close()
    session.commit()
    metrics.EVENTS_RECEIVED.inc(len(claimed))
    metrics.EVENTS_MATCHED.inc(len(rows))
    metrics.EXECUTIONS_QUEUED.labels("event").inc(len(rows))
    queued: dict[str, list[str]] = {}
    for row in rows:
        queued.setdefault(row["tenant_id"], []).append(row["id"])
    return queued


def redrive_outbox(
    session: Session, config: Mapping[str, Any], *, now: datetime | None = None, limit: int = 5000
) -> list[str]:
    """Pending outbox rows older than the grace period (their message was never sent or was
    lost): their ids, with ``available_at`` moved on so the next sweep skips them for a while.
    System job: call inside ``tenancy.all_tenants()``."""
    now = now or utcnow()
    grace = timedelta(seconds=config["JSSCRIPTS_REAPER_GRACE_SECONDS"])
    ids = list(
        session.scalars(
            select(OutboxEvent.id)
            .where(OutboxEvent.status == "pending", OutboxEvent.available_at < now - grace)
            .order_by(OutboxEvent.available_at)
            .limit(limit)
        )
    )
    if ids:
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(ids), OutboxEvent.status == "pending")
            .values(available_at=now)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return ids


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

    def __call__(self, session: Session, plan: Any, outcome: Mapping[str, Any]) -> None:
        if plan.trigger != "event" or plan.event_id is None or outcome["status"] == "completed":
            return
        if is_retryable(outcome) and plan.attempt <= self.config["JSSCRIPTS_RETRY_ATTEMPTS"]:
            delay = retry_delay(self.config, plan.attempt)
            retry_id = new_id()
            now = utcnow()
            session.execute(
                insert(Execution),
                [
                    {
                        "id": retry_id,
                        "tenant_id": plan.tenant_id,
                        "script_id": plan.script_id,
                        "version": _current_version(session, plan),
                        "trigger": "event",
                        "status": "pending",
                        "input": plan.input,
                        "attempt": plan.attempt + 1,
                        "event_id": plan.event_id,
                        "deadline_at": pending_deadline(now, self.config, delay),
                        "created_at": now,
                        "console": [],
                        "logs": [],
                        "metrics": {},
                    }
                ],
            )
            self.retries.append((retry_id, delay))
            metrics.RETRIES.inc()
            return
        dead_letter(session, plan, outcome.get("error"))


def _current_version(session: Session, plan: Any) -> int:
    """A retry runs the script as it is now (a fix saved between attempts is picked up)."""
    version = session.scalar(
        select(Script.current_version).where(
            Script.tenant_id == plan.tenant_id, Script.id == plan.script_id
        )
    )
    return plan.version if version is None else version


def dead_letter(session: Session, plan: Any, error: Mapping[str, Any] | None) -> None:
    """Record a delivery that failed for good, with every attempt's execution id in order."""
    attempts = list(
        session.scalars(
            select(Execution.id)
            .where(
                Execution.tenant_id == plan.tenant_id,
                Execution.script_id == plan.script_id,
                Execution.event_id == plan.event_id,
            )
            .order_by(Execution.attempt)
        )
    )
    envelope_ = plan.input if isinstance(plan.input, dict) else {}
    session.execute(
        insert(DeadLetter),
        [
            {
                "id": new_id(),
                "tenant_id": plan.tenant_id,
                "script_id": plan.script_id,
                "event_id": plan.event_id,
                "event_type": envelope_.get("type"),
                "payload": envelope_.get("data"),
                "error": dict(error) if error else None,
                "attempts": attempts,
                "created_at": utcnow(),
            }
        ],
    )
    metrics.DEAD_LETTERS.inc()
