"""Memory of a web process showing a big run output: its RSS before and after opening a page N
times one after the other, and its peak while M viewers open it at once; the current code and
a baseline revision side by side, in alternating fresh processes on the same database. Also
the cost of the parent's element count beside decoding a frame.

    .venv/bin/python benchmarks/outputs_bench.py [--baseline REV] [--views 6] [--viewers 6]
        [--rounds 3] [--only empty|rows]

Outputs (SQLite, written as the JSON column stores them, each run the newest of its script):

* ``empty``: 3.3 million ``{}`` (12.6 MB as stored): the red team's output (a 10 MB output
  cap; the element cap now refuses such a run, so the row is written directly, as one
  recorded before the cap);
* ``rows``: 100,000 elements in 9.7 MB (33,333 rows of a number and a 280-character string):
  the largest element count the default cap lets through, near the largest output cap.

Pages: ``execution`` (the run's page) and ``script`` (the script's page, whose history lists
the run). Each measurement is a new process (``--child``) importing the code under test from
its own directory: the baseline is extracted with ``git archive REV flask_jsscripts``. It
builds a host app (Flask-SQLAlchemy, the extension, an allow-all checker), opens the page of a
small run's script and execution pages twice to warm up (templates, imports, statement
caches), reads VmRSS, opens the page ``--views`` times, reads VmRSS and the time per view; with
the current code it then downloads the whole output (execution page only; the body is read
as it streams and dropped) and reads VmRSS; last, ``--viewers`` threads open the page at once,
and VmHWM (peak RSS) is read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TENANT = "bench"
MB = 1024 * 1024
PAGES = ("execution", "script")


def _status(field: str) -> int:
    """A /proc/self/status figure, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


# -- the measured process --------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    database, code_dir, script_id, big_id, warm_script_id, warm_id, kind = args.child
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    import flask_jsscripts
    from flask_jsscripts.extension import JSScripts

    loaded = Path(flask_jsscripts.__file__).resolve()
    assert Path(code_dir).resolve() in loaded.parents, f"imported {loaded}, not {code_dir}"

    class User:
        is_authenticated = True
        id = "bench"

    app = Flask("outputs_bench")
    app.config.update(
        SQLALCHEMY_DATABASE_URI=database,
        SECRET_KEY="bench",
        JSSCRIPTS_HUEY_URL="memory://",
        WTF_CSRF_ENABLED=False,
    )
    db = SQLAlchemy()
    db.init_app(app)
    ext = JSScripts()
    ext.user_loader(User)
    ext.tenant_loader(lambda: TENANT)
    ext.permission_checker(lambda user, perm: True)
    ext.init_app(app, db=db)

    execution_page = f"/scripts/{script_id}/executions/{big_id}"
    page = execution_page if kind == "execution" else f"/scripts/{script_id}"
    client = app.test_client()
    for _ in range(2):
        assert client.get(f"/scripts/{warm_script_id}").status_code == 200
        assert client.get(f"/scripts/{warm_script_id}/executions/{warm_id}").status_code == 200
    before = _status("VmRSS")
    times, sizes = [], []
    for _ in range(args.views):
        started = time.perf_counter()
        response = client.get(page)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        sizes.append(len(response.get_data()))
    result = {
        "before": before,
        "after_views": _status("VmRSS"),
        "view_s": statistics.median(times),
        "page_bytes": sizes[0],
    }
    if kind == "execution" and "jsscripts.execution_output" in app.view_functions:
        started = time.perf_counter()
        download = client.get(execution_page + "/output", buffered=False)
        result["download_bytes"] = sum(len(piece) for piece in download.response)
        download.close()
        result["download_s"] = time.perf_counter() - started
        result["after_download"] = _status("VmRSS")

    def view() -> None:
        assert app.test_client().get(page).status_code == 200

    viewers = [threading.Thread(target=view) for _ in range(args.viewers)]
    for thread in viewers:
        thread.start()
    for thread in viewers:
        thread.join()
    result["after_viewers"] = _status("VmRSS")
    result["peak"] = _status("VmHWM")
    print(json.dumps(result))


# -- the driver --------------------------------------------------------------------------


def _outputs() -> dict[str, str]:
    text = "x" * 280
    rows = ",".join(f'{{"i": {i}, "text": "{text}"}}' for i in range(33_333))
    return {
        "empty": "[" + ", ".join(["{}"] * 3_300_000) + "]",
        "rows": "[" + rows + "]",
        "warm": "[1, 2, 3]",
    }


def _execution(script_id: str, output: object, now: object) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "tenant_id": TENANT,
        "script_id": script_id,
        "version": 1,
        "trigger": "manual",
        "status": "completed",
        "end_reason": "completed",
        "input": None,
        "output": output,
        "console": [],
        "logs": [],
        "metrics": {"duration_ms": 1.0},
        "created_at": now,
        "started_at": now,
        "finished_at": now,
    }


def seed(database: str, which: list[str]) -> tuple[dict[str, tuple[str, ...]], dict]:
    """Per output a script with one run, that output, and a script with a small run (to warm
    up on): name -> (script id, run id, warm-up script id, its run id); the outputs' sizes."""
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import insert, text

    from flask_jsscripts import tenancy
    from flask_jsscripts.extension import JSScripts
    from flask_jsscripts.models import Execution, Script, ScriptVersion, utcnow

    app = Flask("outputs_bench_seed")
    app.config.update(SQLALCHEMY_DATABASE_URI=database, JSSCRIPTS_HUEY_URL="memory://")
    db = SQLAlchemy()
    db.init_app(app)
    JSScripts().init_app(app, db=db)
    now = utcnow()
    ids, sizes = {}, {}
    outputs = _outputs()
    with app.app_context(), tenancy.tenant_scope(TENANT):
        db.create_all()
        for name in [*which, "warm"]:
            script_id = str(uuid.uuid4())
            script = {
                "id": script_id,
                "tenant_id": TENANT,
                "name": f"big output {name}",
                "source": "function main() { return [] }",
                "status": "active",
                "limits": {"output_bytes": 10 * MB},
                "current_version": 1,
                "created_at": now,
                "updated_at": now,
            }
            db.session.execute(insert(Script), [script])
            version = {
                "id": str(uuid.uuid4()),
                "tenant_id": TENANT,
                "script_id": script_id,
                "number": 1,
                "source": script["source"],
                "created_at": now,
            }
            db.session.execute(insert(ScriptVersion), [version])
            run = _execution(script_id, None, now)
            db.session.execute(insert(Execution), [run])
            # the JSON text as the column stores it, without building it in this process
            db.session.execute(
                text("UPDATE jsscripts_executions SET output = :output WHERE id = :id"),
                {"output": outputs[name], "id": run["id"]},
            )
            ids[name] = (script_id, run["id"])
            sizes[name] = len(outputs[name])
        db.session.commit()
    return {name: (*ids[name], *ids["warm"]) for name in which}, sizes


def measure(
    code_dir: str, database: str, ids: tuple[str, ...], kind: str, args: argparse.Namespace
) -> dict:
    env = {**os.environ, "PYTHONPATH": code_dir}
    command = [sys.executable, __file__, "--child", database, code_dir, *ids, kind]
    command += ["--views", str(args.views), "--viewers", str(args.viewers)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.splitlines()[-1])


def count_costs() -> list[tuple[str, int, int, float, float]]:
    """(frame, bytes, elements, ms to count, ms to decode), medians of 5."""
    from flask_jsscripts.runtime.protocol import decode, json_values

    cases = {
        "1 MB, 24,000 elements (rows)": json.dumps(
            [{"i": i, "text": f"row {i} " + "x" * 120} for i in range(8000)],
            separators=(",", ":"),
        ),
        "10 MB, 100,000 elements (rows)": json.dumps(
            [{"i": i, "text": "x" * 280} for i in range(33_333)], separators=(",", ":")
        ),
        "10 MB, 3.3 million `{}`": "[" + ",".join(["{}"] * 3_300_000) + "]",
        "10 MB, 2.5 million short strings": "[" + ",".join(['"a"'] * 2_500_000) + "]",
    }
    out = []
    for name, value in cases.items():
        frame = ('{"op":"result","body":{"status":"completed","value":' + value + "}}").encode()
        counted, decoded, elements = [], [], 0
        for _ in range(5):
            started = time.perf_counter()
            elements = json_values(frame)
            counted.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            decode(frame)
            decoded.append((time.perf_counter() - started) * 1000)
        out.append(
            (name, len(frame), elements, statistics.median(counted), statistics.median(decoded))
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--child", nargs=7, metavar=("DB", "CODE", "SCRIPT", "RUN", "WARM", "WARM_RUN", "PAGE")
    )
    parser.add_argument("--baseline", default="19a946a")
    parser.add_argument("--views", type=int, default=6)
    parser.add_argument("--viewers", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["empty", "rows"])
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    which = [args.only] if args.only else ["empty", "rows"]
    with tempfile.TemporaryDirectory(prefix="outputs_bench_") as tmp:
        baseline = Path(tmp) / "baseline"
        baseline.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.baseline, "flask_jsscripts"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
        database = f"sqlite:///{Path(tmp) / 'bench.db'}"
        ids, sizes = seed(database, which)
        variants = {"baseline": str(baseline), "current": str(ROOT)}
        results: dict[tuple[str, str, str], list[dict]] = {}
        for _ in range(args.rounds):
            for name in which:
                for kind in PAGES:
                    for variant, code_dir in variants.items():
                        got = measure(code_dir, database, ids[name], kind, args)
                        results.setdefault((name, kind, variant), []).append(got)
                        print(name, kind, variant, got, flush=True)

    def med(key: tuple[str, str, str], field: str) -> float:
        return statistics.median(r[field] for r in results[key])

    print()
    print(
        f"rounds: {args.rounds}, views: {args.views}, viewers at once: {args.viewers}, "
        f"baseline: {args.baseline}; medians, MB of RSS"
    )
    print(
        "| output | page | code | RSS before | after views | growth | peak with viewers"
        " | peak growth | s per view | page bytes |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in which:
        for kind in PAGES:
            for variant in variants:
                key = (name, kind, variant)
                before, after, peak = (med(key, f) for f in ("before", "after_views", "peak"))
                print(
                    f"| {name} ({sizes[name] / MB:.1f} MB) | {kind} | {variant}"
                    f" | {before / MB:.0f} | {after / MB:.0f} | {(after - before) / MB:+.0f}"
                    f" | {peak / MB:.0f} | {(peak - before) / MB:+.0f}"
                    f" | {med(key, 'view_s'):.3f} | {med(key, 'page_bytes'):,.0f} |"
                )
    for name in which:
        key = (name, "execution", "current")
        print(
            f"download of {name} (current): {med(key, 'download_s'):.3f} s,"
            f" {results[key][0]['download_bytes']:,} bytes, RSS"
            f" {med(key, 'after_views') / MB:.0f} -> {med(key, 'after_download') / MB:.0f} MB"
        )
    print()
    print("| frame | bytes | elements | count ms | decode ms |")
    print("|---|---:|---:|---:|---:|")
    for name, size, elements, counted, decoded in count_costs():
        print(f"| {name} | {size:,} | {elements:,} | {counted:.1f} | {decoded:.1f} |")


if __name__ == "__main__":
    main()
