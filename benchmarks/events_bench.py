"""Events per second, publish -> recorded completed execution, through one real consumer.

    .venv/bin/python benchmarks/events_bench.py [--events 10000] [--workers 4] [--backend all]
        [--compare-fifo] [--repeat 1] [--skip-matching] [--fairness [--samples 15]]
        [--tenant-reserve N]

For each backend (SQLite + SqliteHuey; PostgreSQL + Redis), on a fresh database and queue:
one active event script (``return ctx.input.i``) subscribed to ``bench.tick``; one
``flask jsscripts worker`` process (the test host app, tests/consumer_app.py) started and
warmed up; then the events are published from this process in host transactions of 100 and
the clock stops when the last execution is recorded ``completed``. Also measured here:
``events.matching_scripts`` per event with 1,000 subscriptions in the tenant (spread over
100 event types, and the worst case of 1,000 on one type), median of 2,000 events.

``--compare-fifo`` measures the throughput twice, side by side: with the queue in tenant turns
(``tasks.FairHuey``, as shipped) and in plain arrival order (:func:`create_fifo_app`, the queue
as it was before), to show what the turns cost; ``--repeat N`` alternates the two N times.

``--fairness`` measures instead how long one tenant's events take while another floods: tenant
``flood`` has the red team's script (subscribed to its own event type, it publishes 20 of them
per run, nothing caught), tenant ``quiet`` an echo script. One event sets the flood off; after
2 s, ``quiet`` publishes one event every 2 s (``--samples`` of them), each in its own host
transaction, and the latency of each is its outbox row's ``created_at`` to its run's
``finished_at``. Three variants, side by side, each on a fresh database and queue:

* ``before``: arrival order (:func:`create_fifo_app`), no publish budgets, causation depth 5
  (the defaults the red team met);
* ``turns only``: tenant turns, still no budgets and depth 5 (what the queue alone does);
* ``shipped``: tenant turns and the shipped defaults (10 events per run, 1,000 per tenant and
  minute, depth 3).

(The half-second slice of a message of runs is in all three; here it changes nothing, every
message of the flood carries one run.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from _support import pct, scratch_pg_database
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from flask_jsscripts import tenancy  # noqa: E402
from flask_jsscripts.models import Execution, OutboxEvent  # noqa: E402
from flask_jsscripts.services import events, scripts  # noqa: E402
from flask_jsscripts.services.validation import ScriptInput  # noqa: E402

PG = os.environ.get("JSSCRIPTS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = "redis://127.0.0.1:6379/14"
TENANT = "bench"
BATCH = 100


def build_app(env: dict[str, str]):
    os.environ.update(env)
    factory = env.get("FLASK_APP", "consumer_app:create_app")
    if factory.startswith("events_bench:"):
        app = create_fifo_app()
    else:
        import consumer_app

        app = consumer_app.create_app()
    with app.app_context():
        app.extensions["jsscripts"].db.create_all()
    return app


def create_fifo_app():
    """The test host app with the queue in plain arrival order, as it was before tenant turns:
    Huey's list-based storage, no priorities (``FLASK_APP=events_bench:create_fifo_app``)."""
    import consumer_app
    from huey import Huey
    from huey.storage import RedisStorage, SqliteStorage

    from flask_jsscripts import tasks

    app = consumer_app.create_app()
    state = app.extensions["jsscripts"]
    url = app.config["JSSCRIPTS_HUEY_URL"]
    common = {"name": "jsscripts", "results": False}
    if url.startswith("redis://"):
        huey = Huey(storage_class=RedisStorage, url=url, **common)
    else:
        huey = Huey(
            storage_class=SqliteStorage, filename=url[len("sqlite:///") :], fsync=False, **common
        )
    state.huey = huey
    state.queue = tasks.register(huey, app)
    return app


def create(app, name: str, tenant: str = TENANT, **fields) -> str:
    state = app.extensions["jsscripts"]
    with app.app_context(), tenancy.tenant_scope(tenant):
        return scripts.create_script(
            state.db.session,
            ScriptInput(name=name, status="active", type="event", **fields),
            config=app.config,
            runtime=state.runtime,
        ).script.id


def completed(app) -> int:
    db = app.extensions["jsscripts"].db
    with app.app_context(), tenancy.all_tenants():
        return db.session.scalar(select(func.count()).where(Execution.status == "completed"))


def publish(app, start: int, count: int) -> None:
    state = app.extensions["jsscripts"]
    with app.app_context(), tenancy.tenant_scope(TENANT):
        for i in range(start, start + count):
            state.extension.publish("bench.tick", {"i": i})
        state.db.session.commit()


def bench_env(db_url: str, huey_url: str, tmp: Path, config: dict, fifo: bool) -> dict:
    return {
        "JSSCRIPTS_TEST_DB": db_url,
        "JSSCRIPTS_TEST_HUEY": huey_url,
        "JSSCRIPTS_TEST_INSTANCE": str(tmp / "instance"),
        "JSSCRIPTS_TEST_CONFIG": json.dumps(config),
        "FLASK_APP": "events_bench:create_fifo_app" if fifo else "consumer_app:create_app",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT / "benchmarks")]),
    }


def start_consumer(env: dict, workers: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "jsscripts", "worker", "-w", str(workers)],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(app, consumer: subprocess.Popen) -> None:
    consumer.terminate()
    try:
        consumer.wait(60)
    except subprocess.TimeoutExpired:
        consumer.kill()
        consumer.wait()
    app.extensions["jsscripts"].close_runtime(0)
    with app.app_context():
        app.extensions["jsscripts"].db.engine.dispose()


def throughput(
    backend: str,
    db_url: str,
    huey_url: str,
    n: int,
    workers: int,
    tmp: Path,
    fifo: bool = False,
    reserve: int | None = None,
):
    config = {"JSSCRIPTS_POOL_SIZE": workers}
    if reserve is not None:
        config["JSSCRIPTS_POOL_TENANT_RESERVE"] = reserve
    env = bench_env(db_url, huey_url, tmp, config, fifo)
    app = build_app(env)
    create(
        app,
        "tick",
        source="function main(ctx) { return ctx.input.i }",
        event_types=["bench.tick"],
        limits={"concurrency": 10},
    )
    consumer = start_consumer(env, workers, tmp / f"consumer-{backend}.log")
    try:
        publish(app, -1, 1)  # warm-up: consumer, sandbox pool, compiled script
        while completed(app) < 1:
            time.sleep(0.05)
        started = time.perf_counter()
        for start in range(0, n, BATCH):
            publish(app, start, min(BATCH, n - start))
        published = time.perf_counter() - started
        while completed(app) < n + 1:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        stop(app, consumer)
    return n / elapsed, n / published


def matching(app, spread: bool, events_n: int = 2000) -> tuple[float, float, int]:
    """Median and p95 ms per event of matching_scripts with 1,000 subscriptions."""
    state = app.extensions["jsscripts"]
    tenant = "spread" if spread else "hot"
    for i in range(1000):
        kind = f"type{i % 100}" if spread else "hot"
        flt = (
            {
                "all": [
                    {"path": "total", "op": "gt", "value": i},
                    {"path": "country", "op": "in", "value": ["UZ", "RU", "DE"]},
                ]
            }
            if i % 2
            else None
        )
        create(
            app,
            f"sub{i}",
            tenant,
            source="function main() {}",
            event_types=[f"bench.{kind}"],
            event_filter=flt,
        )
    samples = []
    matched = 0
    with app.app_context(), tenancy.all_tenants():
        session = state.db.session
        for k in range(events_n):
            kind = f"type{k % 100}" if spread else "hot"
            payload = {"total": k % 1200, "country": "UZ"}
            t = time.perf_counter()
            found = events._matching_scripts(session, tenant, f"bench.{kind}", payload)
            samples.append((time.perf_counter() - t) * 1000)
            matched += len(found)
    return pct(samples, 0.5), pct(samples, 0.95), matched // events_n


# --- one tenant floods, another publishes single events ------------------------------------

FLOOD = """
function main(ctx) { for (var i = 0; i < 20; i++) { sdk.events.publish('flood.tick', {}) } }
"""
QUIET = "function main(ctx) { return ctx.input.n }"
UNLIMITED = {
    "JSSCRIPTS_EVENT_MAX_DEPTH": 5,
    "JSSCRIPTS_EVENT_PUBLISH_PER_RUN": 10**6,
    "JSSCRIPTS_EVENT_PUBLISH_PER_MINUTE": 10**9,
}
VARIANTS = {  # name: (arrival order?, config)
    "before": (True, UNLIMITED),
    "turns only": (False, UNLIMITED),
    "shipped": (False, {}),
}


def publish_one(app, tenant: str, event_type: str, payload: dict) -> None:
    state = app.extensions["jsscripts"]
    with app.app_context(), tenancy.tenant_scope(tenant):
        state.extension.publish(event_type, payload)
        state.db.session.commit()


def quiet_latencies(app) -> dict[int, float]:
    """Seconds from publish to completed run of each of tenant quiet's events, by its n."""
    db = app.extensions["jsscripts"].db
    with app.app_context(), tenancy.all_tenants():
        rows = db.session.execute(
            select(OutboxEvent.payload, OutboxEvent.created_at, Execution.finished_at)
            .join(Execution, Execution.event_id == OutboxEvent.id)
            .where(OutboxEvent.tenant_id == "quiet", Execution.status == "completed")
        ).all()
        db.session.remove()
    return {p["n"]: (done - published).total_seconds() for p, published, done in rows}


def flood_counts(app) -> tuple[int, int]:
    """Tenant flood's outbox rows and executions so far."""
    db = app.extensions["jsscripts"].db
    with app.app_context(), tenancy.all_tenants():
        events_ = db.session.scalar(select(func.count()).where(OutboxEvent.tenant_id == "flood"))
        runs = db.session.scalar(select(func.count()).where(Execution.tenant_id == "flood"))
        db.session.remove()
    return events_, runs


def fairness(
    backend: str, db_url: str, huey_url: str, variant: str, samples: int, workers: int, tmp: Path
) -> dict:
    fifo, config = VARIANTS[variant]
    env = bench_env(db_url, huey_url, tmp, {"JSSCRIPTS_POOL_SIZE": workers, **config}, fifo)
    app = build_app(env)
    create(app, "flood", "flood", source=FLOOD, event_types=["flood.tick"])
    create(app, "quiet", "quiet", source=QUIET, event_types=["quiet.ping"])
    consumer = start_consumer(env, workers, tmp / f"consumer-{backend}-{variant}.log")
    try:
        publish_one(app, "quiet", "quiet.ping", {"n": -1})  # warm-up: consumer, pool, script
        while -1 not in quiet_latencies(app):
            time.sleep(0.05)
        publish_one(app, "flood", "flood.tick", {})  # the one click
        started = time.monotonic()
        time.sleep(2)
        for n in range(samples):
            publish_one(app, "quiet", "quiet.ping", {"n": n})
            time.sleep(2)
        measured = time.monotonic() - started
        flood_events, flood_runs = flood_counts(app)
        deadline = time.monotonic() + 60  # the last events get a minute more to complete
        while time.monotonic() < deadline:
            latencies = quiet_latencies(app)
            if all(n in latencies for n in range(samples)):
                break
            time.sleep(0.2)
        waited = time.monotonic() - started
    finally:
        stop(app, consumer)
    done = sorted(v for n, v in latencies.items() if n >= 0)
    return {
        "done": len(done),
        "p50": pct(done, 0.5) if done else None,
        "max": done[-1] if done else None,
        "flood_events": flood_events,
        "flood_runs": flood_runs,
        "window": measured,
        "waited": waited,
    }


def report_fairness(backend: str, rows: dict[str, dict], samples: int) -> None:
    print(f"{backend}: tenant quiet's events while tenant flood floods ({samples} events)")
    for variant, r in rows.items():
        latency = "none completed"
        if r["done"]:
            latency = f"p50 {r['p50']:.2f} s, max {r['max']:.2f} s"
        print(
            f"  {variant:11s} {r['done']}/{samples} completed within {r['waited']:.0f} s; "
            f"{latency}; flood: {r['flood_events']:,} events, {r['flood_runs']:,} runs "
            f"in the first {r['window']:.0f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "all"], default="all")
    parser.add_argument(
        "--tenant-reserve",
        type=int,
        default=None,
        help="JSSCRIPTS_POOL_TENANT_RESERVE of the consumer (default: the extension's)",
    )
    parser.add_argument("--compare-fifo", action="store_true")
    parser.add_argument("--fairness", action="store_true")
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-matching", action="store_true")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "all" else [args.backend]
    for backend in backends:
        if args.fairness:
            rows = {}
            for variant in VARIANTS:
                with scratch(backend) as (db_url, huey_url, tmp):
                    rows[variant] = fairness(
                        backend, db_url, huey_url, variant, args.samples, args.workers, tmp
                    )
            report_fairness(backend, rows, args.samples)
            continue
        label = "SqliteHuey" if backend == "sqlite" else "Redis"
        for fifo in ((False, True) if args.compare_fifo else (False,)) * args.repeat:
            with scratch(backend) as (db_url, huey_url, tmp):
                rate, pub = throughput(
                    backend,
                    db_url,
                    huey_url,
                    args.events,
                    args.workers,
                    tmp,
                    fifo,
                    args.tenant_reserve,
                )
            queue = " (arrival order)" if fifo else (" (tenant turns)" if args.compare_fifo else "")
            print(
                f"{backend}+{label}{queue}: {rate:,.0f} events/s end to end "
                f"({args.events} events; publishing alone {pub:,.0f}/s)"
            )
        if args.skip_matching:
            continue
        with tempfile.TemporaryDirectory() as tmp_name:
            if backend == "sqlite":
                report_matching(backend, f"sqlite:///{Path(tmp_name) / 'match.db'}", Path(tmp_name))
            else:
                with scratch_pg_database(PG, "jsscripts_bench") as match_db:
                    report_matching(backend, match_db, Path(tmp_name))


@contextmanager
def scratch(backend: str) -> Iterator[tuple[str, str, Path]]:
    """A fresh database and queue: (database URL, queue URL, a temporary folder)."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if backend == "sqlite":
            yield f"sqlite:///{tmp / 'app.db'}", f"sqlite:///{tmp / 'huey.sqlite3'}", tmp
            return
        redis.Redis.from_url(REDIS).flushdb()
        with scratch_pg_database(PG, "jsscripts_bench") as db_url:
            yield db_url, REDIS, tmp


def report_matching(backend: str, db_url: str, tmp: Path) -> None:
    for spread in (True, False):
        env = {
            "JSSCRIPTS_TEST_DB": db_url,
            "JSSCRIPTS_TEST_HUEY": "memory://",
            "JSSCRIPTS_TEST_INSTANCE": str(tmp / "instance"),
            "JSSCRIPTS_TEST_CONFIG": "{}",
        }
        app = build_app(env)
        label = "100 types x 10" if spread else "1 type x 1000"
        p50, p95, per_event = matching(app, spread)
        print(
            f"  matching, 1,000 subscriptions ({label}): p50 {p50:.3f} ms, p95 {p95:.3f} ms "
            f"per event ({per_event} matched per event)"
        )
        app.extensions["jsscripts"].close_runtime(0)
        with app.app_context():
            app.extensions["jsscripts"].db.engine.dispose()


if __name__ == "__main__":
    main()
