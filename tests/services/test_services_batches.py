"""A consumer's batch of runs (executions.execute_many), on SQLite and PostgreSQL: each run is
claimed, committed, before it starts; a script keeps one place under its caps for the whole
batch; stopping starts nothing more; a row claimed elsewhere is never run here."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, select, text

from flask_jsscripts import tenancy
from flask_jsscripts.models import Execution, new_id, utcnow
from flask_jsscripts.services import executions, scripts
from flask_jsscripts.services.validation import ScriptInput


@pytest.fixture
def env(host_app):
    app, db, ext = host_app
    with tenancy.tenant_scope("acme"):
        yield app, db, ext


def _script(env, source: str, concurrency: int = 1):
    app, db, _ = env
    return scripts.create_script(
        db.session,
        ScriptInput(name="batch", source=source, limits={"concurrency": concurrency}),
        config=app.config,
        runtime=app.extensions["jsscripts"].runtime,
    ).script


def _pending(env, script, count: int) -> list[str]:
    app, db, _ = env
    rc = app.extensions["jsscripts"].run_context()
    return [
        executions.start._start_run(db.session, rc, script.id, "manual").id for _ in range(count)
    ]


def _rows(env, ids):
    _, db, _ = env
    db.session.expire_all()
    found = {e.id: e for e in db.session.scalars(select(Execution).where(Execution.id.in_(ids)))}
    return [found[i] for i in ids]


def _running_of(db, script_id: str) -> int:
    """Runs in progress as another process sees them: committed rows only."""
    with db.engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM jsscripts_executions WHERE script_id = :s AND status = :r"),
            {"s": script_id, "r": "running"},
        ).scalar_one()


def test_a_batch_keeps_one_place_under_the_cap_and_claims_each_run_before_it_starts(env):
    app, db, ext = env
    script = _script(env, "function main() { return sdk.host.batch.running() }")
    ext.expose("batch.running", lambda: _running_of(db, script.id))
    ids = _pending(env, script, 5)
    batch = executions.run_batch(db.session, app.extensions["jsscripts"].run_context(), ids)
    assert batch.finished == {i: "completed" for i in ids}
    assert not (batch.waiting or batch.not_started or batch.skipped)
    # Each run saw itself running (claimed and committed first) and nothing else: the cap of
    # one held for the whole batch of five.
    rows = _rows(env, ids)
    assert [r.output for r in rows] == [1] * 5
    timeout = app.config["JSSCRIPTS_DEFAULT_TIMEOUT"]
    for row in rows:  # each run's own deadline, from its own start
        assert row.deadline_at - row.started_at == timedelta(seconds=timeout) + (
            executions.DEADLINE_MARGIN
        )


def test_a_batch_waits_while_the_cap_is_full(env):
    app, db, _ = env
    script = _script(env, "function main() { return 1 }")
    busy, *ids = _pending(env, script, 3)
    db.session.execute(
        Execution.__table__.update()
        .where(Execution.id == busy)
        .values(status="running", started_at=utcnow(), deadline_at=utcnow() + timedelta(minutes=1))
    )
    db.session.commit()
    batch = executions.run_batch(db.session, app.extensions["jsscripts"].run_context(), ids)
    assert batch.waiting == ids and not batch.finished
    assert [r.status for r in _rows(env, ids)] == ["pending", "pending"]


def test_once_stopping_a_batch_starts_no_further_run(env):
    app, db, ext = env
    stop = threading.Event()
    script = _script(env, "function main() { sdk.host.batch.stop(); return 1 }")
    ext.expose("batch.stop", lambda: stop.set())
    ids = _pending(env, script, 3)
    batch = executions.run_batch(
        db.session, app.extensions["jsscripts"].run_context(), ids, stopping=stop.is_set
    )
    assert batch.finished == {ids[0]: "completed"} and batch.not_started == ids[1:]
    assert [r.status for r in _rows(env, ids)] == ["completed", "pending", "pending"]


def test_a_batch_past_its_time_slice_starts_no_further_run(env):
    """A consumer's message of runs gives its thread back once its slice is over (the rest wait
    for the tenant's next turn); its first run starts anyway, or a batch would never progress."""
    app, db, _ = env
    rc = app.extensions["jsscripts"].run_context()
    script = _script(env, "function main() { return 1 }", concurrency=5)
    ids = _pending(env, script, 3)
    batch = executions.run_batch(db.session, rc, ids, until=time.monotonic())
    assert batch.finished == {ids[0]: "completed"} and batch.not_started == ids[1:]
    assert [r.status for r in _rows(env, ids)] == ["completed", "pending", "pending"]
    batch = executions.run_batch(db.session, rc, ids[1:], until=time.monotonic() + 60)
    assert batch.finished == {i: "completed" for i in ids[1:]} and not batch.not_started


def test_a_run_claimed_elsewhere_meanwhile_is_not_run_here(env):
    app, db, ext = env
    script = _script(env, "function main() { sdk.host.batch.steal(); return 1 }", concurrency=5)
    ids = _pending(env, script, 3)

    def steal() -> None:
        # Another consumer claims the second run while the first one runs here.
        with db.engine.begin() as conn:
            conn.execute(
                text("UPDATE jsscripts_executions SET status = :r WHERE id = :i AND status = :p"),
                {"r": "running", "i": ids[1], "p": "pending"},
            )

    ext.expose("batch.steal", steal)
    batch = executions.run_batch(db.session, app.extensions["jsscripts"].run_context(), ids)
    assert batch.finished == {ids[0]: "completed", ids[2]: "completed"}
    first, second, third = _rows(env, ids)
    assert second.status == "running" and second.output is None and second.finished_at is None


@pytest.fixture
def pg_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner")


def test_claims_and_outcomes_find_their_row_by_its_primary_key(env, pg_only):
    """In a new table (no statistics) holding a burst of pending runs, PostgreSQL planned the
    claim of a run by id through the (tenant, status) index, reading every pending row's entry;
    the statements must leave it only the primary key, in a plan for their values and in the
    generic plan a driver that prepares statements (psycopg 3) ends up with."""
    app, db, _ = env
    script = _script(env, "function main() { return 1 }", concurrency=5)
    now = utcnow()
    db.session.execute(
        insert(Execution.__table__),
        [
            dict(
                id=new_id(),
                tenant_id="acme",
                script_id=script.id,
                version=1,
                trigger="manual",
                status="pending",
                attempt=1,
                created_at=now,
                deadline_at=now + timedelta(minutes=5),
                console=[],
                logs=[],
                metrics={},
            )
            for _ in range(3000)
        ],
    )
    db.session.commit()
    ids = _pending(env, script, 3)
    sent: list[tuple[str, dict]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("UPDATE jsscripts_executions"):
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        executions.run_batch(db.session, app.extensions["jsscripts"].run_context(), ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    # the claim of the first run, two outcome-and-claim hand-overs, the last outcome
    assert len(sent) == 4
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for mode in ("force_custom_plan", "force_generic_plan"):
            cursor.execute(f"SET plan_cache_mode = {mode}")
            for statement, parameters in sent:
                cursor.execute("EXPLAIN " + statement, parameters)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                indexes = re.findall(r"Index (?:Only )?Scan (?:using|on) (\w+)", plan)
                assert indexes and set(indexes) == {"pk_jsscripts_executions"}, (mode, plan)
        raw.rollback()
    finally:
        raw.close()


def test_a_consumer_plans_each_statement_for_its_values(env, pg_only):
    app, db, _ = env
    app.extensions["jsscripts"].huey._startup["jsscripts.prepare_engine"]()
    with db.engine.connect() as conn:
        assert conn.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
