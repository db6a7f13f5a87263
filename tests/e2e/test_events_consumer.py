"""Events through a real Huey consumer process, on SqliteHuey and on Redis + PostgreSQL.

publish -> outbox -> dispatch (match, filter) -> execution -> recorded; retries with the
delays observed; dead letters and replay; SIGKILL of the consumer with 500 events in flight;
a Redis outage while the host publishes.
"""

from __future__ import annotations

import signal
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from consumer_fixtures import TENANT, RedisServer, free_port, wait_for
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from flask_jsscripts import tenancy
from flask_jsscripts.models import DeadLetter, Execution, OutboxEvent
from flask_jsscripts.services import dead_letters, scripts
from flask_jsscripts.services.validation import ScriptInput

pytestmark = pytest.mark.timeout(300)

ECHO = """
function main(ctx) {
  return {type: ctx.event.type, id: ctx.event.id, total: ctx.input.total,
          ts: ctx.event.timestamp, attempt: ctx.execution.attempt};
}
"""


def executions_of(stack, script_id):
    return stack.query(
        lambda s: s.scalars(
            select(Execution)
            .options(undefer(Execution.output))  # read after the session is gone
            .where(Execution.script_id == script_id)
            .order_by(Execution.created_at, Execution.attempt)
        ).all()
    )


def finished(stack, script_id, count):
    rows = executions_of(stack, script_id)
    done = [r for r in rows if r.status not in ("pending", "running")]
    return rows if len(done) >= count else None


def test_publish_match_filter_execute_record(stack):
    s = stack()
    big = s.create_script(
        "big-orders",
        ECHO,
        event_types=["order.*"],
        event_filter={"all": [{"path": "total", "op": "gt", "value": 100}]},
    )
    exact = s.create_script("created-only", ECHO, event_types=["order.created"])
    paused = s.create_script("paused", ECHO, event_types=["order.created"], status="paused")
    ids = s.publish(
        [
            ("order.created", {"total": 250}),
            ("order.created", {"total": 5}),
            ("order.item.added", {"total": 900}),
            ("user.signed_up", {"total": 1000}),
        ]
    )
    # A rolled-back host transaction publishes nothing.
    with s.app.app_context(), tenancy.tenant_scope(TENANT):
        s.ext.publish("order.created", {"total": 7777})
        s.session.rollback()

    s.start_consumer()
    big_runs = wait_for(lambda: finished(s, big, 2), 60, "the filtered runs")
    exact_runs = wait_for(lambda: finished(s, exact, 2), 60, "the exact-type runs")
    assert sorted(r.output["total"] for r in big_runs) == [250, 900]
    assert sorted(r.output["total"] for r in exact_runs) == [5, 250]
    for run in big_runs + exact_runs:
        assert run.status == "completed" and run.trigger == "event" and run.attempt == 1
        assert run.output["id"] == run.event_id and run.output["ts"]
    assert {r.output["type"] for r in big_runs} == {"order.created", "order.item.added"}
    assert executions_of(s, paused) == []
    outbox = s.query(lambda ss: ss.scalars(select(OutboxEvent)).all())
    assert sorted(e.id for e in outbox) == sorted(ids)  # the rolled-back one never existed
    wait_for(
        lambda: all(
            e.status == "dispatched"
            for e in s.query(lambda ss: ss.scalars(select(OutboxEvent)).all())
        ),
        30,
        "every event dispatched",
    )


def test_flaky_script_completes_on_its_third_attempt_with_backoff(stack):
    s = stack(
        JSSCRIPTS_RETRY_BASE_SECONDS=1,
        JSSCRIPTS_RETRY_FACTOR=2,
        JSSCRIPTS_RETRY_JITTER=0,
    )
    flaky = s.create_script(
        "flaky",
        "function main(ctx) { var n = sdk.kv.incr('n'); "
        "if (n < 3) { throw new Error('transient ' + n); } return n; }",
        event_types=["job.run"],
    )
    s.publish([("job.run", {})])
    s.start_consumer()
    runs = wait_for(lambda: finished(s, flaky, 3), 60, "three attempts")
    assert [(r.attempt, r.status) for r in runs] == [(1, "failed"), (2, "failed"), (3, "completed")]
    assert runs[0].error["message"] == "transient 1" and runs[2].output == 3
    # Backoff 1 s then 2 s, as scheduled; Huey's scheduler looks once a second.
    gaps = [
        (later.started_at - earlier.finished_at).total_seconds()
        for earlier, later in zip(runs, runs[1:], strict=False)
    ]
    assert 0.9 <= gaps[0] < 3.0 and 1.9 <= gaps[1] < 4.0, gaps
    assert s.query(lambda ss: ss.scalar(select(func.count()).select_from(DeadLetter))) == 0


def test_always_failing_script_is_dead_lettered_then_replayed_after_a_fix(stack):
    s = stack(JSSCRIPTS_RETRY_BASE_SECONDS=0.2, JSSCRIPTS_RETRY_FACTOR=2)
    broken = s.create_script(
        "broken",
        "function main(ctx) { throw new Error('always ' + ctx.input.n) }",
        event_types=["job.run"],
    )
    denied = s.create_script(
        "denied",
        "function main(ctx) { return sdk.events.publish('Bad Type!', {}) }",
        event_types=["job.run"],
    )
    (event_id,) = s.publish([("job.run", {"n": 42})])
    s.start_consumer()
    runs = wait_for(lambda: finished(s, broken, 4), 60, "four attempts")
    assert [r.attempt for r in runs] == [1, 2, 3, 4]
    assert all(r.status == "failed" for r in runs)
    letters = wait_for(
        lambda: s.query(lambda ss: ss.scalars(select(DeadLetter)).all()) or None, 30, "letters"
    )
    by_script = {d.script_id: d for d in letters}
    letter = by_script[broken]
    assert letter.event_id == event_id and letter.event_type == "job.run"
    assert letter.payload == {"n": 42} and letter.attempts == [r.id for r in runs]
    assert letter.error["message"] == "always 42"
    # A refusal (bad request to a capability) is not retried: one attempt, then the letter.
    assert [r.attempt for r in executions_of(s, denied)] == [1]
    assert by_script[denied].error["code"] == "BAD_REQUEST"

    with s.app.app_context(), tenancy.tenant_scope(TENANT):
        current = scripts.get_script(s.session, broken)
        scripts.update_script(
            s.session,
            broken,
            ScriptInput(
                name="broken",
                type="event",
                status="active",
                event_types=["job.run"],
                source="function main(ctx) { return 'fixed ' + ctx.input.n }",
            ),
            config=s.app.config,
            runtime=s.state.runtime,
        )
        assert current.current_version == 2
        replayed = dead_letters.replay(s.session, s.state.run_context(), letter.id)
        assert replayed.attempt == 5 and replayed.version == 2
    runs = wait_for(lambda: finished(s, broken, 5), 30, "the replay")
    assert runs[-1].status == "completed" and runs[-1].output == "fixed 42"
    assert s.query(lambda ss: ss.get(DeadLetter, letter.id).replayed_at) is not None


def test_sigkill_with_500_events_in_flight_loses_and_duplicates_nothing(stack):
    s = stack(
        JSSCRIPTS_DEFAULT_TIMEOUT=2,
        JSSCRIPTS_REAPER_GRACE_SECONDS=1,
        JSSCRIPTS_DEFAULT_CONCURRENCY_PER_SCRIPT=10,
        JSSCRIPTS_RETRY_BASE_SECONDS=0.5,
    )
    counter = s.create_script(
        "count", "function main(ctx) { return ctx.input.i }", event_types=["tick"]
    )
    for start in range(0, 500, 100):
        s.publish([("tick", {"i": i}) for i in range(start, start + 100)])

    def completed() -> int:
        return s.query(
            lambda ss: ss.scalar(
                select(func.count()).where(
                    Execution.script_id == counter, Execution.status == "completed"
                )
            )
        )

    first = s.start_consumer()
    wait_for(lambda: completed() >= 50, 60, "the first 50 runs", interval=0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    at_kill = completed()
    assert at_kill < 500, "the consumer finished everything before it was killed"

    # Runs that were in progress are abandoned once past their deadline (2 s + 5 s margin)
    # and the 1 s grace; the restarted consumer's sweep closes and retries them.
    def abandoned_past_grace() -> bool:
        latest = s.query(
            lambda ss: ss.scalar(
                select(func.max(Execution.deadline_at)).where(
                    Execution.script_id == counter, Execution.status == "running"
                )
            )
        )
        return latest is None or datetime.now(UTC) > latest + timedelta(seconds=1.2)

    wait_for(abandoned_past_grace, 30, "the abandoned runs to pass their deadline and grace")
    s.start_consumer()
    wait_for(lambda: completed() >= 500, 240, "all 500 events completed", interval=0.2)

    def settled() -> bool:  # nothing pending or running is left that could run twice
        return not s.query(
            lambda ss: ss.scalar(
                select(func.count()).where(
                    Execution.script_id == counter,
                    Execution.status.in_(("pending", "running")),
                )
            )
        )

    wait_for(settled, 30, "no run of the counter left pending or running")
    rows = s.query(
        lambda ss: ss.execute(
            select(Execution.event_id, Execution.status, Execution.output).where(
                Execution.script_id == counter
            )
        ).all()
    )
    done = [r for r in rows if r.status == "completed"]
    assert len(done) == 500 and len({r.event_id for r in done}) == 500
    assert sorted(r.output for r in done) == list(range(500))
    assert all(r.status in ("completed", "failed") for r in rows)
    assert s.query(lambda ss: ss.scalar(select(func.count()).select_from(DeadLetter))) == 0


@pytest.mark.parametrize("stack", ["postgresql"], indirect=True)
def test_redis_outage_while_publishing_loses_nothing(stack, tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        s = stack(huey_url=server.url, JSSCRIPTS_REAPER_GRACE_SECONDS=1)
        script = s.create_script("echo", ECHO, event_types=["order.created"])
        s.start_consumer()
        s.publish([("order.created", {"total": i}) for i in range(10)])
        wait_for(lambda: finished(s, script, 10), 60, "the first 10 runs")
        server.stop()
        # The host keeps publishing: its transactions commit, the enqueue fails quietly.
        s.publish([("order.created", {"total": 100 + i}) for i in range(20)])
        server.start()
        # The consumer's every-minute sweep finds the pending outbox rows.
        runs = wait_for(lambda: finished(s, script, 30), 150, "all 30 runs", interval=1)
        assert sorted(r.output["total"] for r in runs) == list(range(10)) + list(range(100, 120))
    finally:
        server.stop()


def test_consumer_exposes_its_metrics(stack):
    s = stack()
    s.create_script("echo", ECHO, event_types=["order.created"])
    port = free_port()
    s.start_consumer("--metrics-port", str(port))
    s.publish([("order.created", {"total": 1}), ("order.created", {"total": 2})])

    def scrape() -> str | None:
        try:
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read()
        except OSError:
            return None
        text = body.decode()
        return text if 'jsscripts_executions_queued_total{trigger="event"} 2.0' in text else None

    text = wait_for(scrape, 60, "the consumer's metrics")
    assert "jsscripts_events_received_total 2.0" in text
    assert "jsscripts_events_matched_total 2.0" in text
    assert "jsscripts_queue_depth" in text


def test_an_event_loop_stops_at_the_causation_depth(stack):
    s = stack(JSSCRIPTS_EVENT_MAX_DEPTH=3, JSSCRIPTS_RETRY_ATTEMPTS=0)
    loop = s.create_script(
        "loop",
        "function main(ctx) { sdk.events.publish('loop.tick', {n: ctx.input.n + 1});"
        " return ctx.input.n }",
        event_types=["loop.tick"],
    )
    s.publish([("loop.tick", {"n": 0})])
    s.start_consumer()
    # depths 0..3 run and publish; the run at depth 3 is refused its publish (depth 4)
    runs = wait_for(lambda: finished(s, loop, 4), 60, "the chain of runs")
    assert [r.status for r in runs] == ["completed"] * 3 + ["failed"]
    assert runs[-1].error["code"] == "EVENT_DEPTH_EXCEEDED"
    outbox = s.query(lambda ss: ss.scalars(select(OutboxEvent).order_by(OutboxEvent.depth)).all())
    assert [(e.depth, e.status) for e in outbox] == [
        (0, "dispatched"),
        (1, "dispatched"),
        (2, "dispatched"),
        (3, "dispatched"),
        (4, "refused"),
    ]
    assert outbox[-1].causation_execution_id == runs[-1].id
    letters = s.query(lambda ss: ss.scalars(select(DeadLetter)).all())
    assert [d.error["code"] for d in letters] == ["EVENT_DEPTH_EXCEEDED"]


FAN_OUT = """
function main(ctx) {
  for (var i = 0; i < 20; i++) { sdk.events.publish('fan.out', {gen: ctx.input.gen + 1}); }
}
"""


def test_a_fan_out_stops_at_the_run_budget_and_is_dead_lettered(stack):
    """The red team's script publishes 20 events of its own type per run: each run gets 3 out
    and fails with PUBLISH_LIMIT, which is not retried; the depth ends the rest."""
    s = stack(JSSCRIPTS_EVENT_PUBLISH_PER_RUN=3, JSSCRIPTS_EVENT_MAX_DEPTH=2)
    fan = s.create_script("fan", FAN_OUT, event_types=["fan.out"])
    s.publish([("fan.out", {"gen": 0})])
    s.start_consumer()
    runs = wait_for(lambda: finished(s, fan, 13), 120, "the fan-out's runs")  # 1 + 3 + 9
    assert len(runs) == 13 and {r.attempt for r in runs} == {1}
    codes = Counter(r.error["code"] for r in runs)
    assert codes == {"PUBLISH_LIMIT": 1 + 3, "EVENT_DEPTH_EXCEEDED": 9}
    outbox = s.query(lambda ss: ss.scalars(select(OutboxEvent)).all())
    assert Counter((e.depth, e.status) for e in outbox) == {
        (0, "dispatched"): 1,
        (1, "dispatched"): 3,
        (2, "dispatched"): 9,
        (3, "refused"): 9,
    }
    children = Counter(e.causation_execution_id for e in outbox)
    assert max(children[r.id] for r in runs) == 3
    # A dead letter is written with the outcome it follows, in the same transaction.
    letters = s.query(lambda ss: ss.scalars(select(DeadLetter)).all())
    assert len(letters) == 13
    assert Counter(d.error["code"] for d in letters) == codes
    assert all(len(d.attempts) == 1 for d in letters)  # no retry was scheduled


FLOOD = """
function main(ctx) {
  if (ctx.input.gen < 3) {
    for (var i = 0; i < 10; i++) { sdk.events.publish('flood.tick', {gen: ctx.input.gen + 1}); }
  }
  return ctx.input.gen;
}
"""


def test_another_tenants_event_is_not_held_up_by_a_flood(stack):
    """acme floods (one event sets off 1,111 runs); globex publishes one event meanwhile. Its
    run overtakes most of the runs acme had queued before it: the queue serves tenants in
    turn. (In arrival order, every one of them would have gone first.)"""
    s = stack(JSSCRIPTS_EVENT_PUBLISH_PER_MINUTE=100_000)
    flood = s.create_script("flood", FLOOD, event_types=["flood.tick"])
    echo = s.create_script("echo", ECHO, tenant="globex", event_types=["order.created"])
    s.start_consumer()
    s.publish([("flood.tick", {"gen": 0})])

    def backlog() -> list[str] | None:
        rows = s.query(
            lambda ss: ss.execute(
                select(Execution.id, Execution.status).where(Execution.script_id == flood)
            ).all()
        )
        waiting = [execution_id for execution_id, status in rows if status == "pending"]
        return waiting if len(waiting) >= 100 else None

    waiting = wait_for(backlog, 120, "a backlog of acme's runs")
    s.publish([("order.created", {"total": 1})], tenant="globex")
    (answered,) = wait_for(lambda: finished(s, echo, 1), 120, "globex's run")
    assert answered.status == "completed"
    ends = dict(
        s.query(
            lambda ss: ss.execute(
                select(Execution.id, Execution.finished_at).where(Execution.id.in_(waiting))
            ).all()
        )
    )
    overtaken = [i for i in waiting if ends[i] is None or ends[i] > answered.finished_at]
    assert len(overtaken) >= len(waiting) / 2, (len(overtaken), len(waiting))
