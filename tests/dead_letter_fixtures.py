"""Dead letters for the UI and CLI tests: real rows, written the way the event machinery
leaves them (an event script, its failed attempts as executions, the dead letter that lists
them in order)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask_jsscripts import tenancy
from flask_jsscripts.models import DeadLetter, Execution, utcnow
from flask_jsscripts.services import scripts
from flask_jsscripts.services.events import envelope
from flask_jsscripts.services.validation import ScriptInput

__all__ = ["ERROR", "add_dead_letter", "add_event_script", "seed_dead_letters"]

ERROR = {
    "name": "TypeError",
    "message": "Cannot read properties of undefined (reading 'total')",
    "stack": "TypeError: Cannot read properties of undefined (reading 'total')\n"
    "    at main (script.js:3:22)",
    "line": 3,
    "column": 22,
    "code": "runtime_error",
}


def add_event_script(app: Any, db: Any, tenant: str, name: str, status: str = "active") -> str:
    """An event script subscribed to order.*, created through the service like the UI does."""
    state = app.extensions["jsscripts"]
    with app.app_context(), tenancy.tenant_scope(tenant):
        saved = scripts.create_script(
            db.session,
            ScriptInput(
                name=name,
                type="event",
                status=status,
                event_types=["order.*"],
                source="function main(ctx) { return ctx.input.order.total }",
            ),
            config=app.config,
            runtime=state.runtime,
            actor="seed",
        )
        return saved.script.id


def add_dead_letter(
    app: Any,
    db: Any,
    tenant: str,
    script_id: str,
    *,
    attempts: int = 3,
    event_type: str = "order.created",
    payload: Any = None,
    error: dict[str, Any] | None = None,
    age_minutes: int = 0,
) -> str:
    """A dead letter with ``attempts`` failed executions of one event; returns its id."""
    payload = {"order": {"id": 7, "customer": "Wile E."}} if payload is None else payload
    error = dict(ERROR) if error is None else error
    now = utcnow() - timedelta(minutes=age_minutes)
    event_id = str(uuid.uuid4())
    with app.app_context(), tenancy.tenant_scope(tenant):
        ids = []
        for number in range(1, attempts + 1):
            execution = Execution(
                script_id=script_id,
                trigger="event",
                status="failed",
                end_reason="failed",
                version=1,
                attempt=number,
                event_id=event_id,
                input=envelope(event_id, event_type, payload, now),
                error=error,
                created_at=now - timedelta(seconds=10 * (attempts - number)),
                started_at=now - timedelta(seconds=10 * (attempts - number)),
                finished_at=now - timedelta(seconds=10 * (attempts - number)),
            )
            db.session.add(execution)
            db.session.flush()
            ids.append(execution.id)
        letter = DeadLetter(
            script_id=script_id,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            error=error,
            attempts=ids,
            created_at=now,
        )
        db.session.add(letter)
        db.session.commit()
        return letter.id


def seed_dead_letters(web: Any) -> None:
    """Give each seeded tenant of a ``make_web`` app an event script with two open dead
    letters: ``seed.dead_letter_id`` and ``seed.other_letter_id`` (and ``seed.dl_script_id``)."""
    for tenant, seed in (("acme", web.acme), ("globex", web.globex)):
        seed.dl_script_id = add_event_script(web.app, web.db, tenant, f"{tenant}-listener")
        seed.dead_letter_id = add_dead_letter(web.app, web.db, tenant, seed.dl_script_id)
        seed.other_letter_id = add_dead_letter(
            web.app, web.db, tenant, seed.dl_script_id, age_minutes=5
        )
