"""From outbox rows to runs: claim the rows, match them to subscriptions, and write one
``pending`` execution per match, in one transaction."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from ... import metrics
from ...models import Execution, OutboxEvent, utcnow
from ..executions import pending_deadline, pending_row
from ..outbox import envelope
from ..scripts import plausible_id
from ..sql import unindexed
from .subscriptions import SubscriptionTable, match, subscriptions


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
            table = tables[tenant_id] = subscriptions.table(session, tenant_id)
        for script_id, version in match(table, event_type, payload):
            rows.append(
                pending_row(
                    tenant_id=tenant_id,
                    script_id=script_id,
                    version=version,
                    trigger="event",
                    input=envelope(event_id, event_type, payload, created_at),
                    event_id=event_id,
                    deadline_at=pending_deadline(now, config),
                    created_at=now,
                )
            )
    if rows:
        # Core with RETURNING: SQLAlchemy sends the rows as multi-row INSERTs
        # ("insertmanyvalues") instead of one statement per row.
        session.execute(insert(Execution.__table__).returning(Execution.id), rows).close()
    session.commit()
    metrics.EVENTS_RECEIVED.inc(len(claimed))
    metrics.EVENTS_MATCHED.inc(len(rows))
    metrics.EXECUTIONS_QUEUED.labels("event").inc(len(rows))
    queued: dict[str, list[str]] = {}
    for row in rows:
        queued.setdefault(row["tenant_id"], []).append(row["id"])
    return queued
