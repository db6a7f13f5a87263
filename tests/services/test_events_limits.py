"""What scripts may publish, and the order in which the queue serves tenants.

The publish budgets (per run, per tenant and minute) through real runs on SQLite and
PostgreSQL, with the minute's clock injected through the run context; the per-minute counter
counted by two processes at once; the queue's tenant turns on each real storage (SQLite file,
Redis, memory), read back in the order a consumer would take the messages. The same through a
real consumer process: tests/e2e/test_events_consumer.py.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time

import pytest
import redis
from consumer_fixtures import REDIS_URL, _flush_redis
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from flask_jsscripts import JSScripts, models, tenancy
from flask_jsscripts.models import OutboxEvent, QuotaUsage
from flask_jsscripts.services import events, executions, quotas, scripts
from flask_jsscripts.services.validation import ScriptInput

PUBLISHER = """
function main(ctx) {
  var ids = [], errors = [];
  for (var i = 0; i < ctx.input.n; i++) {
    try { ids.push(sdk.events.publish('order.noted', {i: i}).id); }
    catch (e) { errors.push({code: e.code, message: e.message}); }
  }
  return {ids: ids, errors: errors};
}
"""


class Clock:
    """The minute windows' clock, moved by the test (Unix seconds)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def env(host_app):
    app, db, ext = host_app
    state = app.extensions["jsscripts"]
    made = {}
    for tenant in ("acme", "globex"):
        with tenancy.tenant_scope(tenant):
            made[tenant] = scripts.create_script(
                db.session,
                ScriptInput(name="publisher", source=PUBLISHER),
                config=app.config,
                runtime=state.runtime,
            ).script.id
    clock = Clock(1_800_000_030.0)  # 30 s into a minute window
    rc = dataclasses.replace(state.run_context(), clock=clock)

    def run(tenant: str, n: int):
        with tenancy.tenant_scope(tenant):
            return executions.run_script(db.session, rc, made[tenant], "manual", {"n": n})

    yield app, db, ext, run, clock


def limited(budget: str) -> float:
    """jsscripts_publish_limited_total{budget} in this process."""
    return REGISTRY.get_sample_value("jsscripts_publish_limited_total", {"budget": budget}) or 0


def outbox_of(db, execution_id: str) -> list[str]:
    with tenancy.all_tenants():
        return list(
            db.session.scalars(
                select(OutboxEvent.id)
                .where(OutboxEvent.causation_execution_id == execution_id)
                .order_by(OutboxEvent.created_at)
            )
        )


def test_a_run_publishes_at_most_its_budget_and_nothing_past_it(env):
    app, db, _, run, _ = env
    assert app.config["JSSCRIPTS_EVENT_PUBLISH_PER_RUN"] == 10
    before = limited("run")
    done = run("acme", 15)
    assert limited("run") - before == 5
    assert done.status == "completed"
    assert len(done.output["ids"]) == 10
    assert [e["code"] for e in done.output["errors"]] == ["PUBLISH_LIMIT"] * 5
    message = done.output["errors"][0]["message"]
    assert "JSSCRIPTS_EVENT_PUBLISH_PER_RUN" in message and "at most 10 events" in message
    assert sorted(outbox_of(db, done.id)) == sorted(done.output["ids"])
    # The budget is the run's: the next run has its own.
    assert len(run("acme", 10).output["ids"]) == 10


def test_an_uncaught_publish_limit_fails_the_run_with_its_code(env):
    app, db, _, _, _ = env
    app.config["JSSCRIPTS_EVENT_PUBLISH_PER_RUN"] = 2
    state = app.extensions["jsscripts"]
    with tenancy.tenant_scope("acme"):
        script = scripts.create_script(
            db.session,
            ScriptInput(
                name="eager",
                source="function main() {\n  for (var i = 0; i < 3; i++) {\n"
                "    sdk.events.publish('order.noted', {i: i});\n  }\n}",
            ),
            config=app.config,
            runtime=state.runtime,
        ).script
        eager = executions.run_script(db.session, state.run_context(), script.id, "manual")
    assert eager.status == "failed"
    assert eager.error["code"] == "PUBLISH_LIMIT" and eager.error["line"] == 3
    assert len(outbox_of(db, eager.id)) == 2  # published before the limit: kept


def test_the_minute_budget_is_the_tenants_and_renews_with_the_window(env):
    app, db, ext, run, clock = env
    app.config["JSSCRIPTS_EVENT_PUBLISH_PER_MINUTE"] = 5
    before = limited("minute")
    first = run("acme", 3)
    assert len(first.output["ids"]) == 3 and first.output["errors"] == []
    second = run("acme", 3)  # another run of the tenant: the budget is shared
    assert len(second.output["ids"]) == 2
    (error,) = second.output["errors"]
    assert error["code"] == "PUBLISH_LIMIT"
    assert "JSSCRIPTS_EVENT_PUBLISH_PER_MINUTE" in error["message"]
    assert "at most 5 events a minute" in error["message"]
    assert "renews in 30 s" in error["message"]
    assert len(outbox_of(db, second.id)) == 2  # nothing written for the refused call
    assert limited("minute") - before == 1

    # Another tenant has its own budget.
    assert len(run("globex", 5).output["ids"]) == 5

    # Host code's own publish() is neither counted nor refused.
    with tenancy.tenant_scope("acme"):
        for i in range(8):
            ext.publish("order.placed", {"i": i})
        db.session.commit()
    clock.now += 29  # still the same window
    assert run("acme", 1).output["errors"][0]["code"] == "PUBLISH_LIMIT"
    clock.now += 1  # the next minute
    third = run("acme", 6)
    assert len(third.output["ids"]) == 5 and len(third.output["errors"]) == 1
    with tenancy.tenant_scope("acme"):
        (usage,) = db.session.scalars(select(QuotaUsage)).all()
    assert (usage.quota, usage.used, usage.window_start) == ("script_publishes", 5, clock.now)


def test_events_refused_for_their_depth_count_against_the_budgets(env):
    app, db, _, _, clock = env
    app.config["JSSCRIPTS_EVENT_MAX_DEPTH"] = 0  # every event a script publishes is too deep
    app.config["JSSCRIPTS_EVENT_PUBLISH_PER_MINUTE"] = 3
    state = app.extensions["jsscripts"]
    rc = dataclasses.replace(state.run_context(), clock=clock)
    with tenancy.tenant_scope("acme"):
        script_id = db.session.scalar(select(models.Script.id))
        done = executions.run_script(db.session, rc, script_id, "manual", {"n": 5})
    codes = [e["code"] for e in done.output["errors"]]
    assert codes == ["EVENT_DEPTH_EXCEEDED"] * 3 + ["PUBLISH_LIMIT"] * 2
    with tenancy.all_tenants():
        statuses = db.session.scalars(
            select(OutboxEvent.status).where(OutboxEvent.causation_execution_id == done.id)
        ).all()
    assert statuses == ["refused"] * 3


def test_publish_limit_goes_straight_to_the_dead_letters():
    failed = {"status": "failed", "end_reason": "failed"}
    assert not events.is_retryable({**failed, "error": {"code": "PUBLISH_LIMIT"}})
    assert events.is_retryable({**failed, "error": {"code": "HOST_ERROR"}})


# --- the counter ---------------------------------------------------------------------------


@pytest.fixture
def quota_db(database_url):
    engine = create_engine(database_url)
    models.metadata.create_all(engine)
    yield database_url, engine
    engine.dispose()


def take(engine, tenant: str, now: float, limit: int = 3) -> tuple[str, float]:
    """("used", the count after the take) or ("wait", seconds until the window ends)."""
    with Session(engine) as session, tenancy.tenant_scope(tenant):
        try:
            used = quotas.take(session, "script_publishes", limit, now=now)
        except quotas.QuotaExceeded as exc:
            return ("wait", exc.retry_after)
        session.commit()
        return ("used", used)


def test_quota_windows_limits_and_tenants(quota_db):
    _, engine = quota_db
    used, wait = "used", "wait"
    assert [take(engine, "acme", 1000.0) for _ in range(4)] == [
        (used, 1),
        (used, 2),
        (used, 3),
        (wait, 20.0),
    ]
    assert take(engine, "globex", 1000.0) == (used, 1)  # its own count
    assert take(engine, "acme", 1019.5) == (wait, 0.5)  # same window, still full
    assert take(engine, "acme", 1020.0) == (used, 1)  # a new window
    # A process whose clock lags counts into the window a faster one opened, not an old one.
    assert take(engine, "acme", 1019.0) == (used, 2)
    assert take(engine, "acme", 1021.0) == (used, 3)
    assert take(engine, "acme", 1019.0)[0] == wait
    with Session(engine) as session, tenancy.tenant_scope("acme"):
        with pytest.raises(quotas.QuotaExceeded):
            quotas.take(session, "script_publishes", 3, now=2000.0, amount=4)
        # A take rolled back with the work it allowed is given back.
        assert quotas.take(session, "script_publishes", 3, now=3000.0, amount=3) == 3
        session.rollback()
        assert quotas.take(session, "script_publishes", 3, now=3000.0, amount=3) == 3


TAKER = """
import sys, time
from pathlib import Path
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from flask_jsscripts import tenancy
from flask_jsscripts.services import quotas

url, go, attempts, limit = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
args = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
engine = create_engine(url, **args)
while not go.exists():
    time.sleep(0.001)
taken = 0
with tenancy.tenant_scope("acme"):
    for _ in range(attempts):
        with Session(engine) as session:
            try:
                quotas.take(session, "script_publishes", limit, now=1_800_000_030.0)
            except quotas.QuotaExceeded:
                continue
            session.commit()
            taken += 1
print(taken)
"""


def test_two_processes_count_against_one_budget(quota_db, tmp_path):
    url, engine = quota_db
    go = tmp_path / "go"
    limit, attempts = 150, 120
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TAKER, url, str(go), str(attempts), str(limit)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(0.5)  # both have connected and wait for the same start
    go.touch()
    taken = [int(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(taken) == limit and min(taken) > 0, taken
    with engine.connect() as conn:
        used = conn.execute(select(QuotaUsage.__table__.c.used)).scalar_one()
    assert used == limit


# --- the queue's turns ---------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "redis", "memory"])
def fair_queue(request, tmp_path):
    """An app's queue and Huey on a real storage of each kind (no consumer: the test takes
    the messages in the order a consumer would)."""
    url = {
        "sqlite": f"sqlite:///{tmp_path / 'huey.sqlite3'}",
        "redis": REDIS_URL,
        "memory": "memory://",
    }[request.param]
    if request.param == "redis":
        _flush_redis(url)
    app = Flask("fair")
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.db'}", JSSCRIPTS_HUEY_URL=url
    )
    db = SQLAlchemy()
    db.init_app(app)
    JSScripts().init_app(app, db=db)
    state = app.extensions["jsscripts"]
    yield state.queue, state.huey
    if request.param == "redis":
        _flush_redis(url)


def taken_in_order(huey) -> list[tuple[str | None, str]]:
    order = []
    while (task := huey.dequeue()) is not None:
        order.append((task.kwargs.get("lane"), task.args[0][0]))
    return order


def test_a_tenant_with_one_event_does_not_wait_for_another_tenants_backlog(fair_queue):
    queue, huey = fair_queue
    for i in range(50):
        queue.dispatch_events([f"a{i}"], tenant_id="acme")
    queue.dispatch_events(["b0"], tenant_id="globex")
    queue.run_executions([f"r{i}" for i in range(64)], tenant_id="acme")  # 4 messages of 16
    queue.dispatch_events(["s0"])  # the sweep's: one shared turn
    order = taken_in_order(huey)
    assert len(order) == 50 + 1 + 4 + 1
    assert order[1] == ("globex", "b0"), order[:5]
    assert order[2] == (None, "s0"), order[:5]
    # The tenant's own messages keep their order.
    assert [i for lane, i in order if lane == "acme"] == [f"a{i}" for i in range(50)] + [
        f"r{16 * k}" for k in range(4)
    ]


def test_tenants_with_backlogs_take_turns_by_cost(fair_queue):
    queue, huey = fair_queue
    for i in range(10):
        queue.dispatch_events([f"a{i}"] * 2, tenant_id="acme")  # cost 2 each
    for i in range(10):
        queue.dispatch_events([f"b{i}"], tenant_id="globex")  # cost 1 each
    lanes = [lane for lane, _ in taken_in_order(huey)]
    # Two of globex's messages for each of acme's, which cost twice as much.
    a, g = "acme", "globex"
    assert lanes[:12] == [a, g, g, a, g, g, a, g, g, a, g, g], lanes


def test_a_delayed_message_takes_its_turn_when_it_is_due(fair_queue):
    queue, huey = fair_queue
    queue.run_executions(["late"], delay=0.2, tenant_id="acme")
    passing = huey.dequeue()
    assert passing.args[0] == ["late"] and not huey.ready_to_run(passing)
    huey.add_schedule(passing)  # what the consumer does with a message not yet due
    for i in range(20):
        queue.dispatch_events([f"a{i}"], tenant_id="acme")
    time.sleep(0.3)
    for task in huey.read_schedule():  # what the consumer's scheduler does when it is due
        huey.enqueue(task)
    queue.dispatch_events(["b0"], tenant_id="globex")
    order = [i for _, i in taken_in_order(huey)]
    # Behind the tenant's own earlier backlog, not ahead of it; globex's event ahead of both.
    assert order[1] == "b0" and order[-1] == "late", order


def test_queue_head_reads_every_storage(fair_queue):
    from flask_jsscripts.tasks import queue_head

    queue, huey = fair_queue
    assert queue_head(huey.storage) is None
    queue.dispatch_events(["x"], tenant_id="acme")
    head = queue_head(huey.storage)
    assert head is not None and abs(head - time.time() * 1e6) < 60e6
    assert huey.pending_count() == 1


def test_a_list_left_by_an_older_version_does_not_break_the_redis_queue(tmp_path):
    """Earlier versions kept the Redis queue as a list under "jsscripts"; the sorted set the
    turns need lives under another name, so the old key neither breaks it nor is read."""
    _flush_redis(REDIS_URL)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.lpush("huey.redis.jsscripts", b"a message of the old version")
        app = Flask("upgraded")
        app.config.update(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.db'}",
            JSSCRIPTS_HUEY_URL=REDIS_URL,
        )
        db = SQLAlchemy()
        db.init_app(app)
        JSScripts().init_app(app, db=db)
        state = app.extensions["jsscripts"]
        state.queue.dispatch_events(["x"], tenant_id="acme")
        assert taken_in_order(state.huey) == [("acme", "x")]
        assert client.llen("huey.redis.jsscripts") == 1
    finally:
        client.close()
        _flush_redis(REDIS_URL)
