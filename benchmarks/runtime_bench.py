"""Runtime benchmark: the sandboxed pool against bare pyduktape2 and against `node -e`.

    .venv/bin/python benchmarks/runtime_bench.py [--runs 1000] [--node-runs 1000]

Everything is measured side by side in one run and reported as medians and p95 (milliseconds).
Rows:
  warm            the same trivial script again and again (compiled form cached in the worker)
  cold            a new source every run (same tenant: compiled in the tenant's warm context)
  cold context    a new isolation key (tenant) every run: a new Duktape context is built
  bare            the script evaluated in-process by pyduktape2 in one reused context
  bare new ctx    the same, with a new context per run
  node -e         a new `node -e` process per run
  acquire         the pool hand-out alone (acquire + release of an idle worker)
  transpile       first run of a modern-syntax source (Babel in a worker) vs. its cached runs
plus the throughput of 2 workers driven by 4 threads for a few seconds.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time

import pyduktape2
from _support import pct

from flask_jsscripts.runtime import Runtime

TRIVIAL = "function main(ctx) { return {ok: true, n: 1}; }"


def timed(fn, runs: int) -> list[float]:
    out = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def row(name: str, samples: list[float]) -> dict:
    return {
        "name": name,
        "runs": len(samples),
        "p50": statistics.median(samples),
        "p95": pct(samples, 0.95),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--node-runs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0, help="throughput duration")
    args = parser.parse_args()
    rows = []

    with Runtime(workers=2) as rt:
        for _ in range(5):
            rt.run(TRIVIAL)

        def warm(i):
            assert rt.run(TRIVIAL).status == "completed"

        rows.append(row("Runtime.run warm (cached)", timed(warm, args.runs)))

        def cold(i):
            res = rt.run(f"function main(ctx) {{ return {{ok: true, n: {i + 10**6}}}; }}")
            assert res.status == "completed" and res.metrics["cache"] == "miss"

        rows.append(row("Runtime.run cold (new source)", timed(cold, args.runs)))

        def cold_context(i):
            assert rt.run(TRIVIAL, isolation=f"tenant-{i}").status == "completed"

        rows.append(
            row(
                "Runtime.run cold context (new tenant)",
                timed(cold_context, max(100, args.runs // 5)),
            )
        )

        def acquire(i):
            w = rt.pool.acquire()
            rt.pool.release(w)

        acq = []
        for _ in range(args.runs):
            t = time.perf_counter()
            w = rt.pool.acquire()
            acq.append((time.perf_counter() - t) * 1000)
            rt.pool.release(w)
        rows.append(row("pool acquire (idle worker)", acq))

        modern = "const f = (xs) => xs.map((x) => x * 2);\nfunction main() {{ return f([{i}]); }}"
        first = timed(lambda i: rt.run(modern.format(i=i)), 20)
        rows.append(row("modern syntax, first run (transpile)", first))
        rt.run(modern.format(i=0))
        rows.append(
            row("modern syntax, cached", timed(lambda i: rt.run(modern.format(i=0)), args.runs))
        )

        # throughput: 4 threads on 2 workers
        stop = time.perf_counter() + args.seconds
        counts = [0] * 4

        def hammer(k):
            while time.perf_counter() < stop:
                rt.run(TRIVIAL)
                counts[k] += 1

        threads = [threading.Thread(target=hammer, args=(k,)) for k in range(4)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        throughput = sum(counts) / (time.perf_counter() - started)

    ctx = pyduktape2.DuktapeContext()
    bare_src = "(" + TRIVIAL.replace("function main", "function") + ")({})"
    rows.append(
        row("bare pyduktape2, one context", timed(lambda i: ctx.eval_js(bare_src), args.runs))
    )
    rows.append(
        row(
            "bare pyduktape2, new context",
            timed(lambda i: pyduktape2.DuktapeContext().eval_js(bare_src), args.runs),
        )
    )

    node = shutil.which("node")
    if node and args.node_runs:
        script = f"{TRIVIAL}\nconsole.log(JSON.stringify(main({{}})));"
        rows.append(
            row(
                "node -e per run",
                timed(
                    lambda i: subprocess.run([node, "-e", script], check=True, capture_output=True),
                    args.node_runs,
                ),
            )
        )

    warm_row = rows[0]
    cold_row = rows[1]
    print(
        f"# Runtime benchmark ({platform.python_version()}, {platform.machine()}, "
        f"{time.strftime('%Y-%m-%d')})\n"
    )
    print("| what | runs | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['name']} | {r['runs']} | {r['p50']:.3f} | {r['p95']:.3f} |")
    print(f"\nthroughput, 2 workers, 4 caller threads: {throughput:.0f} runs/s")
    print(f"cold/warm p50 ratio: {cold_row['p50'] / warm_row['p50']:.2f}")
    context_row = rows[2]
    print(f"cold-context/warm p50 ratio: {context_row['p50'] / warm_row['p50']:.1f}")
    json.dump({"rows": rows, "throughput": throughput}, sys.stderr)


if __name__ == "__main__":
    main()
