"""The start of a run: the script locked with its runs in progress counted, the rules
checked, and the execution row written, in one transaction."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from ... import tenancy
from ...models import Execution, utcnow
from ..context import RunContext
from ..errors import NotFound
from ..scripts import plausible_id
from ..sql import EXECUTIONS, SCRIPTS, commit_without_flush_wait, insert_execution_statement
from ..validation import effective_limits
from .record import reference
from .rules import (
    AUTOMATIC_TRIGGERS,
    check_concurrency,
    check_input,
    check_may_run,
    check_trigger,
    pending_deadline,
    running_deadline,
)
from .snapshot import AS_GIVEN, ExecutionSnapshot


@functools.cache
def _lock_statement() -> Any:
    # Only runs in progress count: a backlog of pending rows waits its turn, it does not
    # refuse new runs. Rows past their deadline do not count either: their process died.
    runs = EXECUTIONS.c
    active = (
        runs.tenant_id == tenancy.TENANT,
        runs.status == "running",
        runs.deadline_at > bindparam("now"),
    )
    # Both counts read only the tenant's running rows: with the script id in the WHERE,
    # PostgreSQL walks an index through every past run of the script.
    of_script = case((runs.script_id == SCRIPTS.c.id, 1), else_=0)
    for_script = select(func.coalesce(func.sum(of_script), 0)).where(*active).scalar_subquery()
    for_tenant = select(func.count()).where(*active).scalar_subquery()
    script = SCRIPTS.c
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
        .with_for_update(of=SCRIPTS)
    )


def lock_script(session: Session, script_id: str, now: datetime) -> Any:
    """The script, locked (FOR UPDATE serialises concurrent starts of one script on
    PostgreSQL, so its cap is exact), with the runs in progress of the script and of the
    tenant, in one round trip. Rows past their deadline do not count: their process died
    and the reaper will close them."""
    if not plausible_id(script_id):
        raise NotFound("script not found")
    row = tenancy.execute_bound(
        session, _lock_statement(), {"script_id": script_id, "now": now}
    ).first()
    if row is None:
        raise NotFound("script not found")
    return row


def start(
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
) -> ExecutionSnapshot:
    """Record a run (committed): ``pending``, or already ``running`` for one this process
    starts at once. Returns what the run needs (its row is not read back).

    Concurrency caps are checked here for runs a person or host code waits for; automatic
    runs queue up as ``pending`` and meet the caps when a consumer claims them. ``delay``:
    seconds before a pending row counts as lost, on top of the reaper's grace."""
    config = rc.config
    check_trigger(config, trigger)
    encoded = check_input(config, input)
    now = utcnow()
    script = lock_script(session, script_id, now)
    check_may_run(script.status, trigger)
    if running or trigger not in AUTOMATIC_TRIGGERS:
        check_concurrency(script.limits, script.for_script, script.for_tenant, config)
    limits = effective_limits(script.limits, config)
    run = ExecutionSnapshot.new(
        script, trigger, json.loads(encoded), attempt, event_id, recorded_input
    )
    row = run.row(
        user,
        now,
        status="running" if running else "pending",
        started_at=now if running else None,
        deadline_at=running_deadline(now, limits.timeout)
        if running
        else pending_deadline(now, config, delay),
    )
    tenancy.execute_bound(session, insert_execution_statement(), row)
    if running:
        commit_without_flush_wait(session)
    else:
        session.commit()
    return run


def _start_run(
    session: Session, rc: RunContext, script_id: str, trigger: str, input: Any = None, **kwargs: Any
) -> Execution:
    """A ``pending`` row for a consumer to pick up (committed), as the row; for tests, which
    queue runs by hand. Keyword arguments as :func:`start`."""
    run = start(session, rc, script_id, trigger, input, **kwargs)
    return reference(session, run.execution_id, "pending")
