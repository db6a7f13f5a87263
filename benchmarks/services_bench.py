"""End-to-end run benchmark: ``executions.run_script`` with the execution row written and
completed, on SQLite and PostgreSQL, next to the bare ``Runtime.run`` in the same process.

    .venv/bin/python benchmarks/services_bench.py [--runs 1000] [--new-versions 200]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

Every run commits twice: the row as `running` before the script starts (so a crash mid-run
is found by the reaper) and the outcome after. On PostgreSQL the first commit is asynchronous
(the second one flushes both); on SQLite each commit waits for the disk unless the host uses
WAL with synchronous=NORMAL, so SQLite is measured both ways.

Rows per backend:
  cached run          the same script version again and again
  first run           the first run of a freshly saved version (saved, compiled at save, then run)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from _support import pct, scratch_pg_database
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event

from flask_jsscripts import tenancy
from flask_jsscripts.extension import JSScripts
from flask_jsscripts.runtime import Runtime
from flask_jsscripts.services import executions, scripts
from flask_jsscripts.services.validation import ScriptInput

SOURCE = "function main(ctx) {{ return {{ok: true, n: {n}}}; }}"


def measure(
    url: str, runtime: Runtime, runs: int, new_versions: int, tenant: str, wal: bool = False
) -> list[tuple]:
    app = Flask("bench")
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench")
    db = SQLAlchemy(app)
    if wal:  # what the README recommends for SQLite hosts
        with app.app_context():

            @event.listens_for(db.engine, "connect")
            def _wal(dbapi_conn, _record):
                dbapi_conn.execute("PRAGMA journal_mode=WAL")
                dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    ext = JSScripts(runtime=runtime)
    ext.permission_checker(lambda user, perm: True)
    ext.init_app(app, db=db)
    rows = []
    with app.app_context(), tenancy.tenant_scope(tenant):
        db.create_all()
        state = app.extensions["jsscripts"]
        rc = state.run_context()
        script_id = scripts.create_script(
            db.session,
            ScriptInput(name="bench", source=SOURCE.format(n=0)),
            config=app.config,
            runtime=runtime,
        ).script.id
        for _ in range(20):
            executions.run_script(db.session, rc, script_id)
        cached = []
        for _ in range(runs):
            t = time.perf_counter()
            execution = executions.run_script(db.session, rc, script_id)
            cached.append((time.perf_counter() - t) * 1000)
            assert execution.status == "completed"
            db.session.expunge_all()  # a fresh request would not have the rows cached either
        rows.append(("run_script, cached version", cached))
        first = []
        for i in range(1, new_versions + 1):
            scripts.update_script(
                db.session,
                script_id,
                ScriptInput(name="bench", source=SOURCE.format(n=i)),
                config=app.config,
                runtime=runtime,
            )
            db.session.expunge_all()
            t = time.perf_counter()
            execution = executions.run_script(db.session, rc, script_id)
            first.append((time.perf_counter() - t) * 1000)
            assert execution.status == "completed" and execution.metrics["cache"] == "miss"
        rows.append(("run_script, first run of a new version", first))
        db.session.remove()  # release its locks, or DROP TABLE waits for them
        db.drop_all()
        db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--new-versions", type=int, default=200)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results: list[tuple[str, str, list[float]]] = []
    with Runtime(workers=2) as runtime:
        for _ in range(20):
            runtime.run(SOURCE.format(n=0))
        bare = []
        for _ in range(args.runs):
            t = time.perf_counter()
            runtime.run(SOURCE.format(n=0))
            bare.append((time.perf_counter() - t) * 1000)
        results.append(("-", "Runtime.run, cached (no database)", bare))

        with tempfile.TemporaryDirectory() as tmp:
            for name, samples in measure(
                f"sqlite:///{tmp}/bench.db", runtime, args.runs, args.new_versions, "sqlite"
            ):
                results.append(("SQLite (default journal)", name, samples))
            for name, samples in measure(
                f"sqlite:///{tmp}/wal.db",
                runtime,
                args.runs,
                args.new_versions,
                "sqlite-wal",
                wal=True,
            ):
                results.append(("SQLite (WAL, synchronous=NORMAL)", name, samples))

        with scratch_pg_database(args.pg, "jsscripts_bench") as url:
            for name, samples in measure(url, runtime, args.runs, args.new_versions, "pg"):
                results.append(("PostgreSQL", name, samples))

    print(f"# End-to-end run benchmark ({time.strftime('%Y-%m-%d')})\n")
    print("| backend | what | runs | p50 ms | p95 ms |")
    print("|---|---|---:|---:|---:|")
    for backend, name, samples in results:
        print(
            f"| {backend} | {name} | {len(samples)} | {statistics.median(samples):.2f} | "
            f"{pct(samples, 0.95):.2f} |"
        )


if __name__ == "__main__":
    main()
