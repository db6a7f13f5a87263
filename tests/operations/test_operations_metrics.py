"""The ``jsscripts_*`` series as a host scrapes them: through prometheus-flask-exporter in one
process, from a real consumer's own port, and added up across two gunicorn workers in
multiprocess mode. Every check parses the exposition with prometheus_client's parser and
compares values (in one process, the change a test caused: the registry is process-wide).
"""

from __future__ import annotations

import shutil
import signal
import threading
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from consumer_fixtures import Stack, free_port, wait_for
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from operations_fixtures import Browser, ExampleSite
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from prometheus_flask_exporter import PrometheusMetrics
from sqlalchemy import select

from flask_jsscripts import JSScripts, tenancy
from flask_jsscripts.models import Execution, utcnow
from flask_jsscripts.services import schedules, scripts
from flask_jsscripts.services.validation import ScriptInput

TENANT = "acme"
BUSY = "function main(ctx) { var t = Date.now(); while (Date.now() - t < %d) {} return %s }"

Samples = dict[tuple[str, frozenset], float]


def parse(exposition: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; a series never touched counts as 0."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every sample of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


# --- one process, the host's exporter ------------------------------------------------------


@pytest.fixture
def host(tmp_path):
    app = Flask("metrics_host")
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.db'}",
        SECRET_KEY="test",
        JSSCRIPTS_HUEY_URL="memory://",
        JSSCRIPTS_POOL_SIZE=1,
        JSSCRIPTS_RETRY_ATTEMPTS=1,  # one retry, then the dead letters
        JSSCRIPTS_RETRY_BASE_SECONDS=0,
        JSSCRIPTS_RETRY_JITTER=0,
    )
    db = SQLAlchemy()
    db.init_app(app)
    ext = JSScripts(app, db=db)
    ext.permission_checker(lambda user, permission: True)
    PrometheusMetrics(app)  # what the host does; the extension adds no exporter of its own
    with app.app_context():
        db.create_all()
    client = app.test_client()

    def scrape() -> Samples:
        response = client.get("/metrics")
        assert response.status_code == 200
        return parse(response.get_data(as_text=True))

    def create(name: str, source: str, **fields) -> str:
        fields.setdefault("status", "active")
        with app.app_context(), tenancy.tenant_scope(TENANT):
            return scripts.create_script(
                db.session,
                ScriptInput(name=name, source=source, **fields),
                config=app.config,
                runtime=app.extensions["jsscripts"].runtime,
                actor="test",
            ).script.id

    def run(script_id: str, trigger: str = "api"):
        with app.app_context():
            execution = ext.run(script_id, tenant_id=TENANT, trigger=trigger)
            return execution.status, execution.output

    yield app, db, ext, scrape, create, run
    app.extensions["jsscripts"].close_runtime(0)
    with app.app_context():
        db.engine.dispose()


def test_runs_are_counted_by_status_and_trigger_with_durations_cache_and_host_calls(host):
    app, _db, _ext, scrape, create, run = host
    counter = create("counter", BUSY % (200, "sdk.kv.incr('n')"))
    broken = create("broken", "function main() { throw new Error('nope') }")
    snoop = create(
        "snoop",
        "function main() { try { sdk.http.get('http://169.254.169.254/latest/meta-data/') }"
        " catch (e) { return e.code } }",
    )
    before = scrape()
    outcomes = [run(counter) for _ in range(3)]
    outcomes.append(run(counter, trigger="manual"))
    outcomes.append(run(broken))
    outcomes.append(run(snoop))
    after = scrape()

    assert outcomes == [
        ("completed", 1),
        ("completed", 2),
        ("completed", 3),
        ("completed", 4),
        ("failed", None),
        ("completed", "SSRF_BLOCKED"),
    ]

    def delta(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    executions = "jsscripts_executions_total"
    assert delta(executions, status="completed", trigger="api") == 4
    assert delta(executions, status="completed", trigger="manual") == 1
    assert delta(executions, status="failed", trigger="api") == 1
    assert delta(executions) == 6
    duration = "jsscripts_execution_duration_seconds"
    assert delta(f"{duration}_count", trigger="api") == 5
    assert delta(f"{duration}_count", trigger="manual") == 1
    assert delta(f"{duration}_sum", trigger="api") >= 3 * 0.2  # three 200 ms busy loops
    assert delta(f"{duration}_bucket", trigger="manual", le="+Inf") == 1
    assert delta(f"{duration}_bucket", trigger="manual", le="0.1") == 0  # it took >= 200 ms
    cache = "jsscripts_compile_cache_total"
    assert delta(cache) == 6
    assert delta(cache, result="hit") >= 3  # the counter script ran warm after its first run
    assert delta("jsscripts_host_calls_total", capability="kv") == 4
    assert delta("jsscripts_host_calls_total", capability="http") == 1
    assert delta("jsscripts_ssrf_blocked_total") == 1
    assert any(name == "flask_exporter_info" for name, _ in after)  # the host exporter's own


def test_pool_gauges_are_read_when_scraped(host):
    app, _db, _ext, scrape, _create, _run = host
    runtime = app.extensions["jsscripts"].runtime  # the process's newest pool: the one shown
    idle = scrape()
    assert value(idle, "jsscripts_pool_workers") == runtime.stats()["workers"] == 1
    assert value(idle, "jsscripts_pool_busy") == 0
    assert value(idle, "jsscripts_pool_waiting") == 0

    source = BUSY % (1500, "1")
    runs = [threading.Thread(target=runtime.run, args=(source,)) for _ in range(2)]
    for thread in runs:
        thread.start()
    wait_for(
        lambda: runtime.stats()["busy"] == 1 and runtime.stats()["waiting"] == 1,
        10,
        "one run in the worker and one waiting",
    )
    busy = scrape()
    assert value(busy, "jsscripts_pool_workers") == 1
    assert value(busy, "jsscripts_pool_busy") == 1
    assert value(busy, "jsscripts_pool_waiting") == 1
    for thread in runs:
        thread.join()
    done = scrape()
    assert (value(done, "jsscripts_pool_busy"), value(done, "jsscripts_pool_waiting")) == (0, 0)


def test_event_retry_dead_letter_and_cron_series(host):
    app, db, ext, scrape, create, _run = host
    huey = app.extensions["jsscripts"].huey
    create("on-order", "function main(ctx) { return ctx.event.type }", type="event",
           event_types=["order.created"])  # fmt: skip
    create("flaky", "function main() { throw new Error('down') }", type="event",
           event_types=["invoice.sent"])  # fmt: skip
    nightly = create("nightly", "function main() { return 1 }", type="scheduled", cron="* * * * *")
    before = scrape()

    with app.app_context(), tenancy.tenant_scope(TENANT):
        for payload in ({"id": 1}, {"id": 2}):
            ext.publish("order.created", payload)
        ext.publish("invoice.sent", {"id": 3})
        db.session.commit()
    queued = scrape()  # the three events went to the queue as one dispatch task
    assert value(queued, "jsscripts_queue_depth") == huey.pending_count() == 1
    # What a consumer does: take each queued task and run it (retries come back at once:
    # JSSCRIPTS_RETRY_BASE_SECONDS is 0), here in this process.
    with app.app_context():
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
    with app.app_context(), tenancy.all_tenants():
        first = schedules.claim_due(db.session, app.config, now=utcnow() + timedelta(minutes=2))
        # the first cron run is still pending: the next minute's is skipped
        second = schedules.claim_due(db.session, app.config, now=utcnow() + timedelta(minutes=3))
        event_runs = db.session.scalars(
            select(Execution.status).where(Execution.trigger == "event")
        ).all()
        cron_runs = db.session.scalars(
            select(Execution.status).where(Execution.script_id == nightly)
        ).all()
        db.session.remove()
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert sorted(event_runs) == ["completed", "completed", "failed", "failed"]
    assert (len(first), len(second)) == (1, 0)
    assert sorted(cron_runs) == ["cancelled", "pending"]
    assert delta("jsscripts_events_received_total") == 3
    assert delta("jsscripts_events_matched_total") == 3
    assert delta("jsscripts_executions_queued_total", trigger="event") == 3
    assert delta("jsscripts_executions_total", status="completed", trigger="event") == 2
    assert delta("jsscripts_executions_total", status="failed", trigger="event") == 2
    assert delta("jsscripts_retries_total") == 1
    assert delta("jsscripts_dead_letters_total") == 1
    assert delta("jsscripts_cron_runs_total", outcome="queued") == 1
    assert delta("jsscripts_cron_runs_total", outcome="skipped") == 1
    assert delta("jsscripts_executions_queued_total", trigger="cron") == 1
    assert value(after, "jsscripts_queue_depth") == huey.pending_count() == 0


# --- a consumer's own exposition -----------------------------------------------------------


def test_consumer_serves_its_own_series(tmp_path):
    stack = Stack(
        "sqlite", f"sqlite:///{tmp_path / 'app.db'}", f"sqlite:///{tmp_path / 'q.sqlite3'}",
        tmp_path, {},
    )  # fmt: skip
    try:
        stack.create_script("on-order", "function main(ctx) { return ctx.input.id }",
                            event_types=["order.created"])  # fmt: skip
        port = free_port()
        stack.start_consumer("--metrics-port", str(port))
        stack.publish([("order.created", {"id": n}) for n in range(3)])

        def completed() -> int:
            return stack.query(
                lambda s: len(
                    s.scalars(select(Execution).where(Execution.status == "completed")).all()
                )  # fmt: skip
            )

        wait_for(lambda: completed() == 3, 60, "three event runs by the consumer")
        url = f"http://127.0.0.1:{port}/metrics"

        def scraped() -> Samples | None:
            with urllib.request.urlopen(url, timeout=5) as response:
                samples = parse(response.read().decode())
            done = value(samples, "jsscripts_executions_total", status="completed",
                         trigger="event")  # fmt: skip
            return samples if done == 3 else None

        samples = wait_for(scraped, 20, "the consumer's counters")
        # A fresh process: its values are exactly this test's work.
        assert value(samples, "jsscripts_events_received_total") == 3
        assert value(samples, "jsscripts_events_matched_total") == 3
        assert value(samples, "jsscripts_executions_queued_total", trigger="event") == 3
        assert value(samples, "jsscripts_execution_duration_seconds_count", trigger="event") == 3
        assert value(samples, "jsscripts_pool_workers") == 2  # consumer_app: JSSCRIPTS_POOL_SIZE
        assert value(samples, "jsscripts_pool_busy") == 0
        assert value(samples, "jsscripts_queue_depth") == 0
    finally:
        stack.close()


# --- gunicorn, two workers, multiprocess mode ----------------------------------------------


def per_process(metrics_dir: Path, pid: int, tmp: Path) -> Samples:
    """One worker's own values: its files alone, read by prometheus_client's collector."""
    alone = tmp / f"alone-{pid}"
    alone.mkdir(exist_ok=True)
    for old in alone.iterdir():
        old.unlink()
    for path in metrics_dir.glob(f"*_{pid}.db"):
        shutil.copy(path, alone / path.name)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(alone))
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in registry.collect()
        for sample in family.samples
    }


@pytest.mark.timeout(300)
def test_gunicorn_workers_add_up_in_multiprocess_mode(tmp_path):
    site = ExampleSite(tmp_path, JSSCRIPTS_POOL_SIZE=1)
    quick = site.create_script("quick", BUSY % (300, "sdk.kv.incr('n')"))
    slow = site.create_script("slow", BUSY % (3000, "'slow'"))
    site.start(workers=2)
    try:
        browser = Browser(site)
        workers = site.worker_pids()
        executions = "jsscripts_executions_total"

        # One run first: it creates the kv key, which two first increments racing to insert
        # would refuse to one of them (CONFLICT) and leave that run failed.
        browser.run(quick)
        runs = 1
        # Two runs at a time: a sync worker serves one request at once, so both take part.
        for _batch in range(6):
            batch = [threading.Thread(target=browser.run, args=(quick,)) for _ in range(2)]
            for thread in batch:
                thread.start()
            for thread in batch:
                thread.join()
            runs += 2
            mine = {pid: total(per_process(site.metrics_dir, pid, tmp_path), executions)
                    for pid in workers}  # fmt: skip
            if all(mine.values()):
                break
        assert all(mine.values()), f"one worker never ran a script: {mine}"
        assert sum(mine.values()) == runs

        def scraped(check) -> Samples | None:
            samples = parse(site.scrape())
            return samples if check(samples) else None

        # Counts add up over both workers, whichever of them answers the scrape; the pool
        # gauges (livesum) add the two one-worker pools once each process has sampled.
        samples = wait_for(
            lambda: scraped(
                lambda s: (
                    value(s, "jsscripts_pool_workers") == 2 and value(s, "jsscripts_pool_busy") == 0
                )
            ),
            20,
            "two idle pools",
        )
        assert value(samples, executions, status="completed", trigger="manual") == runs
        assert total(samples, "jsscripts_execution_duration_seconds_count") == runs
        assert total(samples, "jsscripts_execution_duration_seconds_sum") >= runs * 0.3
        assert total(samples, "jsscripts_compile_cache_total") == runs
        assert value(samples, "jsscripts_host_calls_total", capability="kv") == runs

        # A long run keeps one worker busy; the other answers the scrape and shows it.
        long_run = threading.Thread(target=browser.run, args=(slow,))
        long_run.start()
        wait_for(lambda: scraped(lambda s: value(s, "jsscripts_pool_busy") == 1), 10, "busy")
        long_run.join()
        runs += 1

        # A worker that exits takes its pool out of the gauges; its counts stay in the total.
        site.proc.send_signal(signal.SIGTTOU)  # one worker fewer (gunicorn's own signal)
        wait_for(lambda: len(site.worker_pids()) == 1, 30, "a worker to exit")
        samples = wait_for(
            lambda: scraped(lambda s: value(s, "jsscripts_pool_workers") == 1),
            20,
            "the exited worker's pool to leave the gauge",
        )
        assert value(samples, executions, status="completed", trigger="manual") == runs
        assert "Traceback" not in site.output()
    finally:
        site.stop()
