"""Reading executions back: one by id, a script's history, the last run of each script (the
admin pages and the CLI share these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Execution, Script
from ..errors import NotFound
from ..scripts import get_script
from ..sql import find


def get_execution(session: Session, execution_id: Any) -> Execution:
    execution = find(session, Execution, execution_id)
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


# A run in one of these may still change: pages showing it refresh themselves.
LIVE_STATUSES = ("pending", "running")


def last_runs(session: Session, script_ids: list[str]) -> dict[str, Any]:
    """The latest run of each listed script (a row with ``status`` and ``created_at``), in one
    query. Each script's two correlated subqueries read one entry of the (tenant, script,
    created_at) index, so the cost does not grow with the history; a join with a grouped
    subquery scans the whole table instead."""
    if not script_ids:
        return {}

    def newest(column: Any) -> Any:
        return (
            select(column)
            .where(Execution.script_id == Script.id)
            .order_by(Execution.created_at.desc())
            .limit(1)
            .correlate(Script)
            .scalar_subquery()
        )

    rows = session.execute(
        select(
            Script.id.label("script_id"),
            newest(Execution.status).label("status"),
            newest(Execution.created_at).label("created_at"),
        ).where(Script.id.in_(script_ids))
    )
    return {row.script_id: row for row in rows if row.status is not None}


def any_live(runs: list[Execution]) -> bool:
    """Whether one of ``runs`` may still change."""
    return any(run.status in LIVE_STATUSES for run in runs)
