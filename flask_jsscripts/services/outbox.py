"""The outbox: domain events as rows, written in the publisher's transaction.

What an event is (its type, its checked payload, its causation depth), the envelope a script
sees as ``ctx.event``, the patterns a type answers to, and the outbox's own upkeep (re-drive of
rows whose message was lost, retention). Matching and running subscribers is
:mod:`flask_jsscripts.services.events`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..models import OutboxEvent, new_id, utcnow
from ..runtime import jsonvalues
from .sql import take_overdue

EVENT_TYPE_RE = re.compile(r"[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*")
MAX_EVENT_TYPE_LENGTH = 200


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


def redrive_outbox(
    session: Session, config: Mapping[str, Any], *, now: datetime | None = None, limit: int = 5000
) -> list[str]:
    """Pending outbox rows older than the grace period (their message was never sent or was
    lost): their ids, with ``available_at`` moved on so the next sweep skips them for a while.
    System job: call inside ``tenancy.all_tenants()``."""
    now = now or utcnow()
    grace = timedelta(seconds=config["JSSCRIPTS_REAPER_GRACE_SECONDS"])
    return take_overdue(
        session, OutboxEvent, "available_at", before=now - grace, moved_to=now, limit=limit
    )


def prune_outbox(session: Session, *, retention_days: int, now: datetime | None = None) -> int:
    """Delete dispatched and refused outbox rows older than ``retention_days``. System job:
    call inside ``tenancy.all_tenants()``."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    result = session.execute(
        delete(OutboxEvent)
        .where(OutboxEvent.created_at < cutoff, OutboxEvent.status != "pending")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount or 0
