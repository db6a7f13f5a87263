"""Statement helpers shared by the services that treat tables as queues (executions, the
outbox): ways to reach a row by its key only, look-ups by id, and the re-drive of overdue rows.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from .. import tenancy
from ..models import Execution, Script
from .scripts import plausible_id

SCRIPTS = Script.__table__
EXECUTIONS = Execution.__table__

Row = TypeVar("Row")


def unindexed(column: Any) -> Any:
    """``column || ''``: the column's value, which no index can serve. Statements that find
    queue rows (executions, outbox events) by id compare their other columns this way, so that
    the primary key is the only way to the rows: without statistics (a new or fast-growing
    table) PostgreSQL would rate the (tenant, status) index as good as the key."""
    return column.concat("")


def update_execution_while(status: str) -> Any:
    """An UPDATE of one execution of the current tenant (by ``execution_id``), done only while
    the row still has ``status``."""
    run = EXECUTIONS.c
    return update(EXECUTIONS).where(
        unindexed(run.tenant_id) == tenancy.TENANT,
        run.id == bindparam("execution_id"),
        unindexed(run.status) == status,
    )


@functools.cache
def insert_execution_statement() -> Any:
    """An INSERT of execution rows of the current tenant; built once, as the statements of
    a run's start and end are (building one costs more than running it on this path)."""
    return tenancy.tenant_bound(insert(EXECUTIONS).values(tenant_id=tenancy.TENANT))


def commit_without_flush_wait(session: Session) -> None:
    """Commit a row that only has to survive this process, not a crash of the database
    server: a lost ``running`` mark leaves the row ``pending`` (re-driven) or is overwritten
    by the run's final, synchronous commit. On PostgreSQL this saves one WAL flush, and
    releases the row locks taken in the transaction that much sooner."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    session.commit()


def find(session: Session, model: type[Row], row_id: Any) -> Row | None:
    """The current tenant's row of ``model`` with this id, or None (also for a value that
    cannot be an id, which never reaches the driver)."""
    return tenancy.get(session, model, row_id) if plausible_id(row_id) else None


def take_overdue(
    session: Session, model: Any, due: str, *, before: datetime, moved_to: datetime, limit: int
) -> list[str]:
    """The ids of ``pending`` rows of ``model`` whose ``due`` column is before ``before``,
    oldest first, with ``due`` moved to ``moved_to`` so the next sweep does not take them
    again at once. Commits."""
    column = getattr(model, due)
    ids = list(
        session.scalars(
            select(model.id)
            .where(model.status == "pending", column < before)
            .order_by(column)
            .limit(limit)
        )
    )
    if ids:
        session.execute(
            update(model)
            .where(model.id.in_(ids), model.status == "pending")
            .values({due: moved_to})
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return ids
