"""The sandbox's standard library, this checkout's prelude against another revision's (before
core-js: the hand-written polyfills), side by side in one process.

    .venv/bin/python benchmarks/corejs_bench.py --before REV [--builds 100] [--runs 1000]
        [--before-python PATH]

Rows, per prelude: the prelude's size; building a tenant's context (evaluate the prelude, seal);
the memory a context holds; runs in a warm sealed context (no pool, no pipes: what the engine
and the prelude cost) of a trivial script, fib(25) and a JSON-heavy script. Builds and runs of
the two preludes alternate, so that both see the same machine. With --before-python (a Python
whose flask_jsscripts is the other revision), also warm Runtime.run of the trivial script through
a pool of one worker each, pipes included.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from _support import pct, prelude_at

from flask_jsscripts.runtime import Runtime
from flask_jsscripts.runtime.limits import Limits
from flask_jsscripts.runtime.worker import PRELUDE, _js, _Sandbox

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = json.dumps({"limits": Limits(timeout=30.0).to_shim(), "capabilities": []})

SCRIPTS = {
    "trivial": "function main(ctx) { return {ok: true, n: 1}; }",
    "fib(25)": "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n"
    "function main() { return fib(25); }",
    "JSON-heavy": """function main() {
  var rows = [];
  for (var i = 0; i < 2000; i++) {
    rows.push({id: i, name: 'item ' + i, tags: ['a', 'b', String(i % 7)], price: i * 1.25});
  }
  var text = JSON.stringify(rows);
  var back = JSON.parse(text);
  var total = 0;
  for (var j = 0; j < back.length; j++) { total += back[j].price; }
  return {bytes: text.length, total: total};
}""",
}
RUNS_PER_SCRIPT = {"trivial": 1.0, "fib(25)": 0.02, "JSON-heavy": 0.1}  # share of --runs


def build(prelude: tuple[str, ...]) -> tuple[_Sandbox, float]:
    started = time.perf_counter()
    box = _Sandbox(lambda kind, text: "", prelude, 8)
    return box, (time.perf_counter() - started) * 1000


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1_048_576


def run_ms(box: _Sandbox, key: str) -> float:
    started = time.perf_counter()
    body = box.run_fn(key, "null", "{}", OPTIONS)
    elapsed = (time.perf_counter() - started) * 1000
    assert body.startswith('{"status":"completed"'), body[:300]
    return elapsed


def memory_per_context(prelude: tuple[str, ...], count: int = 20) -> float:
    kept = [build(prelude)[0] for _ in range(2)]  # the allocator's first growth left out
    before = rss_mb()
    kept += [build(prelude)[0] for _ in range(count)]
    return (rss_mb() - before) / count


def runtime_warm(pythons: dict[str, str | None], runs: int) -> dict[str, list[float]]:
    """Warm Runtime.run of the trivial script, one pool per Python, runs alternating."""
    pools = {name: Runtime(workers=1, spare=0, python=python) for name, python in pythons.items()}
    samples: dict[str, list[float]] = {name: [] for name in pools}
    try:
        for pool in pools.values():
            for _ in range(20):
                pool.run(SCRIPTS["trivial"])
        for _ in range(runs):
            for name, pool in pools.items():
                started = time.perf_counter()
                assert pool.run(SCRIPTS["trivial"]).status == "completed"
                samples[name].append((time.perf_counter() - started) * 1000)
    finally:
        for pool in pools.values():
            pool.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, help="git revision to compare with")
    parser.add_argument("--builds", type=int, default=100)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--before-python", help="a Python that imports the --before revision")
    args = parser.parse_args()
    variants = {args.before: prelude_at(args.before), "this checkout": tuple(map(_js, PRELUDE))}
    names = list(variants)
    print("| prelude | files | bytes | MB per context |")
    print("|---|---:|---:|---:|")
    for name, prelude in variants.items():
        size = sum(len(source.encode("utf-8")) for source in prelude)
        print(f"| {name} | {len(prelude)} | {size:,} | {memory_per_context(prelude):.2f} |")

    builds: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(args.builds):
        for name in names:
            builds[name].append(build(variants[name])[1])
    boxes = {name: build(variants[name])[0] for name in names}
    for box in boxes.values():
        for key, source in SCRIPTS.items():
            box.ensure(key, source)
            run_ms(box, key)  # warm
    runs: dict[tuple[str, str], list[float]] = {}
    for key, share in RUNS_PER_SCRIPT.items():
        for _ in range(max(20, int(args.runs * share))):
            for name in names:
                runs.setdefault((key, name), []).append(run_ms(boxes[name], key))

    print("\n| measure | prelude | samples | p50 ms | p95 ms |")
    print("|---|---|---:|---:|---:|")
    rows = [("context build", name, builds[name]) for name in names]
    rows += [(f"warm run, {key}", name, runs[(key, name)]) for key in SCRIPTS for name in names]
    if args.before_python:
        pythons = {args.before: args.before_python, "this checkout": None}
        warm = runtime_warm(pythons, args.runs)
        rows += [("Runtime.run warm, trivial", name, warm[name]) for name in names]
    for what, name, values in rows:
        p50, p95 = statistics.median(values), pct(values, 0.95)
        print(f"| {what} | {name} | {len(values)} | {p50:.3f} | {p95:.3f} |")


if __name__ == "__main__":
    main()
