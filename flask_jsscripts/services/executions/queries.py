"""Reading executions back: one by id, a script's history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Execution
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
