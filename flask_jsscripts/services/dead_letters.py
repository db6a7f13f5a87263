"""Dead letters: event deliveries that failed for good, to inspect, replay or discard.

A dead letter is *open* until it is replayed or discarded. Replaying writes the next attempt
of the same event for the same script, on the script's current version (so a fix saved after
the failure is what runs), and queues it; the replay is one more attempt in the event's
history, so the ``(event_id, script_id, attempt)`` index keeps it unique too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import tenancy
from ..models import DeadLetter, Execution, Script, utcnow
from .context import RunContext
from .errors import NotFound, RunRefused
from .executions import pending_deadline
from .outbox import envelope
from .scripts import plausible_id
from .sql import find

STATES = ("open", "replayed", "discarded", "all")


def _state_filter(query: Any, state: str) -> Any:
    if state == "open":
        return query.where(DeadLetter.replayed_at.is_(None), DeadLetter.discarded_at.is_(None))
    if state == "replayed":
        return query.where(DeadLetter.replayed_at.is_not(None))
    if state == "discarded":
        return query.where(DeadLetter.discarded_at.is_not(None))
    return query


def list_dead_letters(
    session: Session,
    *,
    state: str = "open",
    script_id: str | None = None,
    event_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[DeadLetter], int]:
    """The tenant's dead letters, newest first, and how many match in all."""
    if state not in STATES:
        state = "open"
    query = _state_filter(select(DeadLetter), state)
    if script_id:
        query = query.where(DeadLetter.script_id == script_id)
    if event_type:
        query = query.where(DeadLetter.event_type == event_type)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DeadLetter.created_at.desc(), DeadLetter.id)
        .limit(min(max(1, limit), 500))
        .offset(max(0, offset))
    ).all()
    return list(rows), total


def get_dead_letter(session: Session, dead_letter_id: Any) -> DeadLetter:
    found = find(session, DeadLetter, dead_letter_id)
    if found is None:
        raise NotFound("dead letter not found")
    return found


def attempts_of(session: Session, dead_letter: DeadLetter) -> list[Execution]:
    """The executions of every attempt, in order (pruned ones are simply missing)."""
    ids = [i for i in dead_letter.attempts or [] if plausible_id(i)]
    if not ids:
        return []
    rows = session.scalars(select(Execution).where(Execution.id.in_(ids))).all()
    return sorted(rows, key=lambda e: e.attempt)


def replay(session: Session, rc: RunContext, dead_letter_id: Any) -> Execution:
    """Queue the event again for its script, on the current version. Refused (RunRefused)
    for a closed dead letter or a script that is not active."""
    execution = _replay(session, rc, get_dead_letter(session, dead_letter_id), utcnow())
    session.commit()
    if rc.queue is not None:
        rc.queue.run_executions([execution.id], tenant_id=tenancy.current_tenant())
    return execution


def replay_all(
    session: Session, rc: RunContext, *, script_id: str | None = None
) -> tuple[list[Execution], list[tuple[DeadLetter, str]]]:
    """Replay every open dead letter (of one script, or all): returns the executions queued
    and the dead letters that were refused, with the reason."""
    letters, _ = list_dead_letters(session, script_id=script_id, limit=500)
    queued: list[Execution] = []
    refused: list[tuple[DeadLetter, str]] = []
    now = utcnow()
    for letter in letters:
        try:
            queued.append(_replay(session, rc, letter, now))
        except RunRefused as exc:
            refused.append((letter, exc.message))
    session.commit()
    if rc.queue is not None:
        rc.queue.run_executions([e.id for e in queued], tenant_id=tenancy.current_tenant())
    return queued, refused


def _replay(session: Session, rc: RunContext, letter: DeadLetter, now: datetime) -> Execution:
    if letter.state != "open":
        raise RunRefused("this dead letter was already replayed or discarded", "closed")
    if not (rc.config["JSSCRIPTS_ENABLED"] and rc.config["JSSCRIPTS_ENABLE_EVENTS"]):
        raise RunRefused("event runs are switched off", "disabled")
    script = tenancy.get(session, Script, letter.script_id)
    if script is None:
        raise RunRefused("the script was deleted", "inactive")
    if script.status != "active":
        raise RunRefused(f"the script is {script.status}: activate it to replay", "inactive")
    last = session.scalar(
        select(func.max(Execution.attempt)).where(
            Execution.script_id == letter.script_id, Execution.event_id == letter.event_id
        )
    )
    first = attempts_of(session, letter)[:1]
    original = first[0].input if first and isinstance(first[0].input, dict) else None
    execution = Execution(
        tenant_id=letter.tenant_id,
        script_id=script.id,
        version=script.current_version,
        trigger="event",
        status="pending",
        input=original
        or envelope(letter.event_id or "", letter.event_type or "", letter.payload, now),
        attempt=(last or 0) + 1,
        event_id=letter.event_id,
        deadline_at=pending_deadline(now, rc.config),
    )
    session.add(execution)
    letter.replayed_at = now
    session.flush()
    return execution


def discard(session: Session, dead_letter_id: Any) -> DeadLetter:
    """Close a dead letter without running it (kept for the record)."""
    letter = get_dead_letter(session, dead_letter_id)
    if letter.state == "open":
        letter.discarded_at = utcnow()
        session.commit()
    return letter


def discard_all(session: Session, ids: Sequence[str] | None = None) -> int:
    """Discard the given open dead letters (or every open one of the tenant)."""
    letters, _ = list_dead_letters(session, limit=500)
    now = utcnow()
    count = 0
    for letter in letters:
        if ids is None or letter.id in ids:
            letter.discarded_at = now
            count += 1
    session.commit()
    return count


# --- read side shared by the admin pages and the CLI ----------------------------------------


def count_open(session: Session, script_id: str) -> int:
    """How many open dead letters the script has."""
    query = _state_filter(select(func.count()).select_from(DeadLetter), "open")
    return session.scalar(query.where(DeadLetter.script_id == script_id)) or 0


def runs_of(session: Session, letter: DeadLetter) -> list[Execution]:
    """Every run of the letter's event for its script: the recorded attempts and the replays
    since, in attempt order."""
    found = {e.id: e for e in attempts_of(session, letter)}
    if letter.event_id:
        for e in session.scalars(
            select(Execution).where(
                Execution.script_id == letter.script_id, Execution.event_id == letter.event_id
            )
        ):
            found.setdefault(e.id, e)
    return sorted(found.values(), key=lambda e: (e.attempt, e.created_at))


def script_names(session: Session, extra: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(id, name) of the scripts that have dead letters and of the ``extra`` ids, by name."""
    with_letters = select(DeadLetter.script_id).distinct().scalar_subquery()
    rows = session.execute(
        select(Script.id, Script.name)
        .where(Script.id.in_(with_letters) | Script.id.in_(list(extra)))
        .order_by(Script.name)
    )
    return [(row.id, row.name) for row in rows]
