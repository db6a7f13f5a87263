"""The SQLAlchemy ``Session`` listeners of the extension, registered in one place.

They are registered on the ``Session`` class, so they also act on sessions that tasks and
host code open themselves; each one only ever acts on the extension's own models and state.
:func:`install` is called by ``JSScripts.init_app``: importing a module registers nothing.

* tenant scoping of every statement and flush (:mod:`flask_jsscripts.tenancy`);
* dropping cached HTTP routes after a commit that changed them
  (:mod:`flask_jsscripts.services.endpoints`);
* the outbox hand-off below: events published in a transaction go to the queue after it commits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from . import tenancy
from .services import endpoints
from .services.queue import TaskQueue

# session.info: (queue, {tenant: event ids}) to dispatch after commit
_OUTBOX_KEY = "jsscripts_outbox"


def dispatch_after_commit(session: Session, queue: TaskQueue, tenant: str, event_id: str) -> None:
    """Hand the event to the queue once ``session`` commits (forgotten if it rolls back)."""
    by_tenant = session.info.setdefault(_OUTBOX_KEY, (queue, {}))[1]
    by_tenant.setdefault(tenant, []).append(event_id)


def _dispatch_committed_events(session: Session) -> None:
    pending = session.info.pop(_OUTBOX_KEY, None)
    if pending is not None:
        queue, by_tenant = pending
        for tenant, event_ids in by_tenant.items():
            queue.dispatch_events(event_ids, tenant_id=tenant)


def _forget_rolled_back_events(session: Session) -> None:
    session.info.pop(_OUTBOX_KEY, None)


_OUTBOX_LISTENERS = (
    ("after_commit", _dispatch_committed_events),
    ("after_rollback", _forget_rolled_back_events),
)

SESSION_LISTENERS: tuple[tuple[str, Callable[..., Any]], ...] = (
    *tenancy.SESSION_LISTENERS,
    *endpoints.SESSION_LISTENERS,
    *_OUTBOX_LISTENERS,
)


def install() -> None:
    """Register every listener on the ``Session`` class, once per process (idempotent)."""
    for name, listener in SESSION_LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
