"""Which scripts an event runs: each tenant's active subscriptions, by pattern, with their
filters compiled, cached per process and reloaded when the tenant's scripts change."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session

from ...models import EventSubscription, Script
from .. import filters
from ..outbox import patterns_for

log = logging.getLogger(__name__)


@functools.cache
def _stamp_statement() -> Any:
    # Every save, status change and rollback of a script moves its updated_at (onupdate), and
    # a delete or create moves the count: together they tell whether the cache is stale.
    # Two subqueries: together in one SELECT, SQLite computes max() and count() the slow way.
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
class Subscription:
    script_id: str
    version: int
    predicate: filters.Predicate


# A tenant's active subscriptions, by pattern, with their filters compiled.
SubscriptionTable = dict[str, list[Subscription]]


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
        table.setdefault(pattern, []).append(Subscription(script_id, version, predicate))
    return table


subscriptions = SubscriptionCache()  # the process's cache


def match(table: SubscriptionTable, event_type: str, payload: Any) -> list[tuple[str, int]]:
    """``(script_id, current_version)`` of every subscribed script whose pattern and filter
    match (a script subscribed twice runs once)."""
    matched: dict[str, int] = {}
    for pattern in patterns_for(event_type):
        for sub in table.get(pattern, ()):
            if sub.script_id not in matched and sub.predicate(payload):
                matched[sub.script_id] = sub.version
    return list(matched.items())


def _matching_scripts(
    session: Session, tenant_id: str, event_type: str, payload: Any
) -> list[tuple[str, int]]:
    """:func:`match` on the tenant's cached table (what dispatch does for one event)."""
    return match(subscriptions.table(session, tenant_id), event_type, payload)
