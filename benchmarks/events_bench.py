"""Events per second, publish -> recorded completed execution, through one real consumer.

    .venv/bin/python benchmarks/events_bench.py [--events 10000] [--workers 4] [--backend all]
        [--tenant-reserve N]

For each backend (SQLite + SqliteHuey; PostgreSQL + Redis), on a fresh database and queue:
one active event script (``return ctx.input.i``) subscribed to ``bench.tick``; one
``flask jsscripts worker`` process (the test host app, tests/consumer_app.py) started and
warmed up; then the events are published from this process in host transactions of 100 and
the clock stops when the last execution is recorded ``completed``. Also measured here:
``events.matching_scripts`` per event with 1,000 subscriptions in the tenant (spread over
100 event types, and the worst case of 1,000 on one type), median of 2,000 events.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from _support import pct, scratch_pg_database
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from flask_jsscripts import tenancy  # noqa: E402
from flask_jsscripts.models import Execution  # noqa: E402
from flask_jsscripts.services import events, scripts  # noqa: E402
from flask_jsscripts.services.validation import ScriptInput  # noqa: E402

PG = os.environ.get("JSSCRIPTS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = "redis://127.0.0.1:6379/14"
TENANT = "bench"
BATCH = 100


def build_app(env: dict[str, str]):
    os.environ.update(env)
    import consumer_app

    app = consumer_app.create_app()
    with app.app_context():
        app.extensions["jsscripts"].db.create_all()
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


def throughput(
    backend: str,
    db_url: str,
    huey_url: str,
    n: int,
    workers: int,
    tmp: Path,
    reserve: int | None = None,
):
    config = {"JSSCRIPTS_POOL_SIZE": workers}
    if reserve is not None:
        config["JSSCRIPTS_POOL_TENANT_RESERVE"] = reserve
    env = {
        "JSSCRIPTS_TEST_DB": db_url,
        "JSSCRIPTS_TEST_HUEY": huey_url,
        "JSSCRIPTS_TEST_INSTANCE": str(tmp / "instance"),
        "JSSCRIPTS_TEST_CONFIG": json.dumps(config),
        "FLASK_APP": "consumer_app:create_app",
        "PYTHONPATH": str(ROOT / "tests"),
    }
    app = build_app(env)
    create(
        app,
        "tick",
        source="function main(ctx) { return ctx.input.i }",
        event_types=["bench.tick"],
        limits={"concurrency": 10},
    )
    log = open(tmp / f"consumer-{backend}.log", "wb")  # noqa: SIM115
    consumer = subprocess.Popen(
        [sys.executable, "-m", "flask", "jsscripts", "worker", "-w", str(workers)],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
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
        consumer.terminate()
        consumer.wait(30)
        app.extensions["jsscripts"].close_runtime(0)
        with app.app_context():
            app.extensions["jsscripts"].db.engine.dispose()
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
            found = events.matching_scripts(session, tenant, f"bench.{kind}", payload)
            samples.append((time.perf_counter() - t) * 1000)
            matched += len(found)
    return pct(samples, 0.5), pct(samples, 0.95), matched // events_n


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
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "all" else [args.backend]
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            if backend == "sqlite":
                db_url = f"sqlite:///{tmp / 'app.db'}"
                rate, pub = throughput(
                    backend,
                    db_url,
                    f"sqlite:///{tmp / 'huey.sqlite3'}",
                    args.events,
                    args.workers,
                    tmp,
                    args.tenant_reserve,
                )
                print(
                    f"{backend}+SqliteHuey: {rate:,.0f} events/s end to end "
                    f"({args.events} events; publishing alone {pub:,.0f}/s)"
                )
                match_db = f"sqlite:///{tmp / 'match.db'}"
                report_matching(backend, match_db, tmp)
            else:
                redis.Redis.from_url(REDIS).flushdb()
                with scratch_pg_database(PG, "jsscripts_bench") as db_url:
                    rate, pub = throughput(
                        backend, db_url, REDIS, args.events, args.workers, tmp, args.tenant_reserve
                    )
                print(
                    f"{backend}+Redis: {rate:,.0f} events/s end to end "
                    f"({args.events} events; publishing alone {pub:,.0f}/s)"
                )
                with scratch_pg_database(PG, "jsscripts_bench") as match_db:
                    report_matching(backend, match_db, tmp)


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
