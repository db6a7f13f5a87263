"""Admin page benchmark: server time of the list, view and edit pages with 1,000 scripts and
100,000 executions in the tenant, on SQLite and PostgreSQL; and the time from navigation to a
usable Monaco editor in headless Chromium.

    .venv/bin/python benchmarks/pages_bench.py [--requests 200] [--browser-loads 20]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

Server time is measured around the Flask test client's request (the whole WSGI app: routing,
permission check, tenant scope, queries, template rendering), which is what a page costs the
server; network and browser time are not included.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from datetime import timedelta

from _support import CHROMIUM_ARGS, pct, scratch_pg_database
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import insert, text
from werkzeug.serving import make_server

from flask_jsscripts import tenancy
from flask_jsscripts.extension import JSScripts
from flask_jsscripts.models import Execution, Script, ScriptVersion, utcnow
from flask_jsscripts.runtime import Runtime

TENANT = "bench"
SOURCE = "const f = (n) => n * 2;\nfunction main(ctx) {\n  return f(ctx.input.n);\n}\n"


class _User:
    is_authenticated = True
    id = "bench-admin"


def build_app(url: str, runtime: Runtime) -> tuple[Flask, SQLAlchemy]:
    app = Flask("pages_bench")
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench", WTF_CSRF_ENABLED=False)
    db = SQLAlchemy(app)
    ext = JSScripts(runtime=runtime)
    ext.tenant_loader(lambda: TENANT)
    ext.user_loader(lambda: _User())
    ext.permission_checker(lambda user, perm: True)
    ext.init_app(app, db=db)
    return app, db


def fill(app: Flask, db: SQLAlchemy, scripts: int, executions: int) -> str:
    """Bulk-insert the data set; returns the id of the script with the most executions."""
    now = utcnow()
    with app.app_context(), tenancy.tenant_scope(TENANT):
        db.create_all()
        script_rows, version_rows = [], []
        for i in range(scripts):
            sid = str(uuid.uuid4())
            kind = ("manual", "scheduled", "http", "event")[i % 4]
            script_rows.append(
                {
                    "id": sid,
                    "tenant_id": TENANT,
                    "name": f"script {i:04d}",
                    "description": f"benchmark script number {i}",
                    "source": SOURCE,
                    "type": kind,
                    "status": "active",
                    "limits": {},
                    "tags": [],
                    "current_version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            version_rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "tenant_id": TENANT,
                    "script_id": sid,
                    "number": 1,
                    "source": SOURCE,
                    "note": "",
                    "created_at": now,
                }
            )
        db.session.execute(insert(Script), script_rows)
        db.session.execute(insert(ScriptVersion), version_rows)
        batch = []
        for j in range(executions):
            sid = script_rows[j % scripts]["id"] if j % 10 else script_rows[0]["id"]
            batch.append(
                {
                    "id": str(uuid.uuid4()),
                    "tenant_id": TENANT,
                    "script_id": sid,
                    "version": 1,
                    "trigger": "manual",
                    "status": "completed",
                    "end_reason": "completed",
                    "input": {"n": j},
                    "output": j * 2,
                    "console": [],
                    "logs": [],
                    "metrics": {"duration_ms": 0.4},
                    "attempt": 1,
                    "created_at": now - timedelta(seconds=j),
                    "finished_at": now - timedelta(seconds=j),
                }
            )
            if len(batch) == 5000:
                db.session.execute(insert(Execution), batch)
                batch = []
        if batch:
            db.session.execute(insert(Execution), batch)
        db.session.commit()
        return script_rows[0]["id"]


def measure_pages(app: Flask, busiest: str, requests: int) -> list[tuple[str, list[float]]]:
    client = app.test_client()
    pages = [
        ("list, page 1", "/scripts/"),
        ("list, search + filter", "/scripts/?q=number+5&type=event&status=active"),
        ("list, page 20", "/scripts/?page=20"),
        ("view (10,000 executions)", f"/scripts/{busiest}"),
        ("edit", f"/scripts/{busiest}/edit"),
    ]
    out = []
    for name, path in pages:
        assert client.get(path).status_code == 200, path
        samples = []
        for _ in range(requests):
            t = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
        out.append((name, samples))
    return out


def measure_monaco(app: Flask, busiest: str, loads: int) -> list[tuple[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/scripts/{busiest}/edit"
    visible, ready = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=CHROMIUM_ARGS,
        )
        context = browser.new_context()  # one context: the browser cache is warm after load 1
        for _ in range(loads + 1):
            page = context.new_page()
            t = time.perf_counter()
            page.goto(url)
            page.wait_for_selector(".monaco-editor .view-lines")
            shown = (time.perf_counter() - t) * 1000
            page.wait_for_function("window.jsscriptsEditor !== undefined")
            page.evaluate("window.jsscriptsEditor.ready")
            done = (time.perf_counter() - t) * 1000
            page.close()
            visible.append(shown)
            ready.append(done)
        browser.close()
    server.shutdown()
    return [
        ("Monaco editor shown and editable (first load, cold cache)", visible[:1]),
        ("Monaco editor shown and editable (cached assets)", visible[1:]),
        ("... plus TypeScript worker and sdk.d.ts ready (cached)", ready[1:]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--browser-loads", type=int, default=20)
    parser.add_argument("--scripts", type=int, default=1000)
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results: list[tuple[str, str, list[float]]] = []
    with Runtime(workers=1) as runtime, tempfile.TemporaryDirectory() as tmp:
        app, db = build_app(f"sqlite:///{tmp}/pages.db", runtime)
        busiest = fill(app, db, args.scripts, args.executions)
        for name, samples in measure_pages(app, busiest, args.requests):
            results.append(("SQLite", name, samples))
        if args.browser_loads:
            for name, samples in measure_monaco(app, busiest, args.browser_loads):
                results.append(("Chromium", name, samples))

        with scratch_pg_database(args.pg, "jsscripts_pages") as url:
            app, db = build_app(url, runtime)
            busiest = fill(app, db, args.scripts, args.executions)
            with app.app_context():
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            for name, samples in measure_pages(app, busiest, args.requests):
                results.append(("PostgreSQL", name, samples))
            with app.app_context():
                db.session.remove()
                db.engine.dispose()

    print(
        f"# Page benchmark ({time.strftime('%Y-%m-%d')}): {args.scripts} scripts, "
        f"{args.executions} executions in the tenant\n"
    )
    print("| where | what | samples | p50 ms | p95 ms |")
    print("|---|---|---:|---:|---:|")
    for where, name, samples in results:
        print(
            f"| {where} | {name} | {len(samples)} | {statistics.median(samples):.1f} | "
            f"{pct(samples, 0.95):.1f} |"
        )


if __name__ == "__main__":
    main()
