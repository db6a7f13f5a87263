"""Admin page benchmark: server time of the list, view and edit pages with 1,000 scripts and
100,000 executions in the tenant, on SQLite and PostgreSQL; and the time from navigation to a
usable Monaco editor in headless Chromium.

    .venv/bin/python benchmarks/pages_bench.py [--requests 200] [--browser-loads 20]
        [--cold-loads 5] [--baseline REV] [--only-browser] [--timeline]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

Server time is measured around the Flask test client's request (the whole WSGI app: routing,
permission check, tenant scope, queries, template rendering), which is what a page costs the
server; network and browser time are not included.

The editor is timed inside the page, from navigation start (performance.now()), by an init
script that only watches the DOM (the same for every variant): "shown and editable" is the
first frame after the edit page's Monaco editor has rendered its lines and its input area;
"completions ready" is when the TypeScript worker answers `sdk.` with the sdk.d.ts members.
After each load the benchmark types into the editor and checks the text arrived. Three
browser states: cold (a new, empty profile per load), cached in an off-the-record context
(HTTP cache only: Chromium keeps no V8 code cache there) and cached in a persistent profile
(a returning user's browser: HTTP cache and V8 code cache; the first three loads warm it).
`--baseline REV` also serves the edit page with the editor loading of git revision REV
(its editor.js and the asset tags of its form.html, on the current page) on a second port,
and measures both alternately, load by load.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from _support import CHROMIUM_ARGS, pct, scratch_pg_database
from flask import Flask, send_from_directory
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


def build_app(
    url: str, runtime: Runtime, template_folder: str | None = None
) -> tuple[Flask, SQLAlchemy]:
    app = Flask("pages_bench", template_folder=template_folder)
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


# Watches the DOM only (works for any version of editor.js). Times are ms since navigation start.
MONACO_PROBE = r"""
(() => {
  const B = window.__jsb = {};
  const at = () => performance.now();
  let _monaco;
  Object.defineProperty(window, 'monaco', {configurable: true, get() { return _monaco; },
    set(v) { _monaco = v; if (!B.monacoDefined) B.monacoDefined = at(); }});
  function look() {
    if (B.inDom) return;
    const ed = document.querySelector('.jsscripts-source .monaco-editor');
    if (ed && ed.querySelector('.view-lines .view-line') && ed.querySelector('textarea')) {
      B.inDom = at();
      // the first frame with the lines, and the main thread free again to take input
      requestAnimationFrame(() => setTimeout(() => { B.shown = at(); }, 0));
    }
  }
  new MutationObserver(look).observe(document, {subtree: true, childList: true});
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  (async () => {
    while (!window.jsscriptsEditor || !window.monaco || !B.inDom) await sleep(5);
    await window.jsscriptsEditor.ready;
    const ts = window.monaco.languages.typescript;
    const model = window.monaco.editor.createModel('sdk.', 'javascript');
    for (;;) {
      try {
        const worker = await (await ts.getJavaScriptWorker())(model.uri);
        const info = await worker.getCompletionsAtPosition(model.uri.toString(), 4);
        if (info && info.entries.some((e) => e.name === 'kv')) break;
      } catch (e) { /* the mode is not registered yet */ }
      await sleep(10);
    }
    B.completions = at();
    model.dispose();
  })().catch((e) => { B.error = String(e); });
})();
"""

TIMELINE_JS = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  const out = {'HTML response end': n.responseEnd,
    'DOMContentLoaded': n.domContentLoadedEventStart};
  for (const e of performance.getEntriesByType('resource')) {
    const name = e.name.split('?')[0].split('/').slice(-1)[0];
    if (/\\.(js|css|ts|ttf)/.test(name) && !(name + ' fetched' in out)) {
      out[name + ' requested'] = e.startTime;
      out[name + ' fetched'] = e.responseEnd;
    }
  }
  const b = window.__jsb;
  Object.assign(out, {'window.monaco defined': b.monacoDefined, 'editor lines in the DOM': b.inDom,
    'editor shown and editable': b.shown, 'completions for sdk. answered': b.completions});
  return out;
}"""


def _baseline_variant(rev: str, tmp: str, url: str, runtime: Runtime) -> Flask:
    """The current app, but with the editor loading of git revision ``rev``: its editor.js
    (served by an extra route, revalidated like the blueprint's static files) and the asset
    tags (head block) of its form.html, on today's form."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def show(path: str) -> str:
        done = subprocess.run(
            ["git", "show", f"{rev}:{path}"], capture_output=True, text=True, cwd=root
        )
        if done.returncode:
            raise SystemExit(f"--baseline {rev}: {done.stderr.strip()}")
        return done.stdout

    head = re.compile(r"{% block jsscripts_head %}.*?{% endblock %}", re.S)
    current = Path(root, "flask_jsscripts/templates/jsscripts/form.html").read_text()
    old_head = head.search(show("flask_jsscripts/templates/jsscripts/form.html")).group(0)
    old_head = old_head.replace(
        "url_for('jsscripts.static', filename='editor.js')", "'/bench-baseline/editor.js'"
    )
    folder = f"{tmp}/baseline"
    os.makedirs(f"{folder}/templates/jsscripts")
    os.makedirs(f"{folder}/static")
    with open(f"{folder}/templates/jsscripts/form.html", "w") as f:
        f.write(head.sub(lambda _: old_head, current, count=1))
    with open(f"{folder}/static/editor.js", "w") as f:
        f.write(show("flask_jsscripts/static/jsscripts/editor.js"))
    app, _ = build_app(url, runtime, template_folder=f"{folder}/templates")
    app.add_url_rule(
        "/bench-baseline/editor.js",
        "bench_baseline_editor",
        lambda: send_from_directory(f"{folder}/static", "editor.js"),
    )
    return app


def _serve(app: Flask) -> tuple[object, str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _load(context, url: str) -> dict:
    """One load of the edit page: the probe's times, checked that typing reaches the editor."""
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url, wait_until="commit")
    page.wait_for_function(
        "window.__jsb.shown > 0 && (window.__jsb.completions || window.__jsb.error)"
    )
    times = page.evaluate(TIMELINE_JS)
    error = page.evaluate("window.__jsb.error")
    assert not error, error
    page.click(".jsscripts-source .monaco-editor .view-lines")
    page.keyboard.press("Control+End")
    page.keyboard.insert_text("/*typed*/")
    value = page.evaluate("window.jsscriptsEditor.get('source').getValue()")
    assert value.endswith("/*typed*/"), "typing did not reach the editor"
    page.close()
    return times


def measure_monaco(
    app: Flask, busiest: str, loads: int, cold_loads: int, baseline: Flask | None, timeline: bool
) -> list[tuple[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    variants = [("", app)] + ([("baseline ", baseline)] if baseline else [])
    servers, urls = [], {}
    for label, variant in variants:
        server, base = _serve(variant)
        servers.append(server)
        urls[label] = f"{base}/scripts/{busiest}/edit"
        with variant.test_client() as client:  # templates compiled before the first load
            assert client.get(f"/scripts/{busiest}/edit").status_code == 200
    samples: dict[tuple[str, str, str], list[float]] = {}
    loads_seen: dict[tuple[str, str], list[dict]] = {}

    def record(label: str, state: str, times: dict) -> None:
        for metric in ("editor shown and editable", "completions for sdk. answered"):
            samples.setdefault((label, state, metric), []).append(times[metric])
        loads_seen.setdefault((label, state), []).append(times)

    def order(i: int) -> list[str]:
        labels = [label for label, _ in variants]
        return labels if i % 2 == 0 else labels[::-1]

    launch = {"executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profiles:
        for i in range(cold_loads):  # a new, empty profile each time
            for label in order(i):
                context = p.chromium.launch_persistent_context(
                    f"{profiles}/cold-{label}{i}", **launch
                )
                context.add_init_script(MONACO_PROBE)
                record(label, "cold", _load(context, urls[label]))
                context.close()
        browser = p.chromium.launch(**launch)
        private = {label: browser.new_context() for label in urls}
        persistent = {
            label: p.chromium.launch_persistent_context(f"{profiles}/warm-{label}", **launch)
            for label in urls
        }
        for context in [*private.values(), *persistent.values()]:
            context.add_init_script(MONACO_PROBE)
        for label in urls:
            _load(private[label], urls[label])  # fills the HTTP cache
            for _ in range(3):  # the third load runs from V8's code cache
                _load(persistent[label], urls[label])
        for i in range(loads):
            for label in order(i):
                record(label, "private", _load(private[label], urls[label]))
                record(label, "profile", _load(persistent[label], urls[label]))
        for context in persistent.values():
            context.close()
        browser.close()
    for server in servers:
        server.shutdown()

    if timeline:
        for (label, state), seen in loads_seen.items():
            median = sorted(seen, key=lambda t: t["editor shown and editable"])[len(seen) // 2]
            print(f"\n{label or 'current '}{state}: median load (ms since navigation start)")
            for name, value in sorted(median.items(), key=lambda kv: kv[1] or 0):
                print(f"  {value:8.1f}  {name}")
    names = {
        "cold": "first load, empty profile",
        "private": "cached, off-the-record context (no V8 code cache)",
        "profile": "cached, persistent profile (HTTP + V8 code cache)",
    }
    out = []
    for label, _ in variants:
        for state in ("cold", "private", "profile"):
            for metric in ("editor shown and editable", "completions for sdk. answered"):
                key = (label, state, metric)
                if key in samples:
                    out.append((f"{label}{metric} ({names[state]})", samples[key]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--browser-loads", type=int, default=20)
    parser.add_argument("--cold-loads", type=int, default=5)
    parser.add_argument("--baseline", metavar="REV", help="also measure REV's editor loading")
    parser.add_argument("--only-browser", action="store_true", help="skip the server timings")
    parser.add_argument("--timeline", action="store_true", help="print a median load's timeline")
    parser.add_argument("--scripts", type=int, default=1000)
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results: list[tuple[str, str, list[float]]] = []
    with Runtime(workers=1) as runtime, tempfile.TemporaryDirectory() as tmp:
        app, db = build_app(f"sqlite:///{tmp}/pages.db", runtime)
        busiest = fill(app, db, args.scripts, args.executions)
        if not args.only_browser:
            for name, samples in measure_pages(app, busiest, args.requests):
                results.append(("SQLite", name, samples))
        if args.browser_loads:
            url = f"sqlite:///{tmp}/pages.db"
            baseline = (
                _baseline_variant(args.baseline, tmp, url, runtime) if args.baseline else None
            )
            for name, samples in measure_monaco(
                app, busiest, args.browser_loads, args.cold_loads, baseline, args.timeline
            ):
                results.append(("Chromium", name, samples))
        if args.only_browser:
            _print(args, results)
            return

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

    _print(args, results)


def _print(args: argparse.Namespace, results: list[tuple[str, str, list[float]]]) -> None:
    print(
        f"\n# Page benchmark ({time.strftime('%Y-%m-%d')}): {args.scripts} scripts, "
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
