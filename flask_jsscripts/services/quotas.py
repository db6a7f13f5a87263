"""Tenant quotas: how much of something a tenant may do per time window.

Counted in the database, so that every web process and consumer that shares it counts
against the same number. One row per tenant and quota (``jsscripts_quota_usage``) holds the
current window's start and count, and :func:`take` is one conditional upsert: it opens a new
window, or adds to the current one only while the sum stays within the limit. When it would
go over, the row is left as it was and :class:`QuotaExceeded` says how long the window still
runs. The upsert runs in the caller's transaction: a take rolled back together with the work
it allowed is given back, and takes of one tenant wait for each other on the row (PostgreSQL)
or the database lock (SQLite), so the limit holds exactly, not per process.

Windows are fixed and aligned on the Unix epoch, like the endpoints' rate limits: a burst
across a boundary may see up to twice the limit within a few seconds. A process whose clock
lags counts into the latest window another process opened rather than reopening an old one.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, case, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import tenancy
from ..models import QuotaUsage, new_id

WINDOW_SECONDS = 60
# Events published by scripts (sdk.events.publish), per JSSCRIPTS_EVENT_PUBLISH_PER_MINUTE.
SCRIPT_PUBLISHES = "script_publishes"


class QuotaExceeded(Exception):
    """The take would have gone over the limit; nothing was counted."""

    def __init__(self, quota: str, limit: int, retry_after: float) -> None:
        super().__init__(f"quota {quota!r} of {limit} per window is used up")
        self.quota = quota
        self.limit = limit
        self.retry_after = retry_after  # seconds until the current window ends


@functools.cache
def _take_statement(dialect: str) -> Any:
    table = QuotaUsage.__table__
    make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = make_insert(table).values(
        id=bindparam("row_id"),
        tenant_id=tenancy.TENANT,
        quota=bindparam("quota_name"),
        window_start=bindparam("window"),
        used=bindparam("amount"),
    )
    new = statement.excluded
    # The stored window is the current one, or a later one a process with a faster clock opened.
    current = table.c.window_start >= new.window_start
    return tenancy.tenant_bound(
        statement.on_conflict_do_update(
            index_elements=[table.c.tenant_id, table.c.quota],
            set_={
                "used": case((current, table.c.used + new.used), else_=new.used),
                "window_start": case((current, table.c.window_start), else_=new.window_start),
            },
            where=or_(~current, table.c.used + new.used <= bindparam("limit")),
        ).returning(table.c.used)
    )


def take(
    session: Session,
    quota: str,
    limit: int,
    *,
    now: float,
    amount: int = 1,
    window: int = WINDOW_SECONDS,
) -> int:
    """Count ``amount`` against the current tenant's ``quota`` in the window holding ``now``
    (Unix seconds), in the session's transaction; returns the window's count with it. Raises
    :class:`QuotaExceeded`, counting nothing, when the count would go over ``limit``."""
    start = int(now // window) * window
    if amount > limit:
        raise QuotaExceeded(quota, limit, start + window - now)
    used = tenancy.execute_bound(
        session,
        _take_statement(session.get_bind().dialect.name),
        {
            "row_id": new_id(),
            "quota_name": quota,
            "window": start,
            "amount": amount,
            "limit": limit,
        },
    ).scalar()
    if used is None:
        raise QuotaExceeded(quota, limit, start + window - now)
    return used
