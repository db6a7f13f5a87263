"""What Intl costs a script: one format call from JavaScript (through intl.js, the worker's
bridge and Babel), the host side alone, and what intl.js adds to building a tenant's context.

    .venv/bin/python benchmarks/intl_bench.py [--batches 200] [--calls 200] [--builds 100]

Runs in this process with a sealed sandbox built the way a worker builds one (the bridge
answers "intl" in-process, as the worker does), so no pipe or scheduler noise is counted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from _support import pct

from flask_jsscripts.runtime import intl
from flask_jsscripts.runtime.limits import Limits
from flask_jsscripts.runtime.worker import PRELUDE, _js, _Sandbox

WITH = PRELUDE
WITHOUT = tuple(name for name in PRELUDE if name != "intl.js")
CALLS = {
    "NumberFormat.format": "var f = new Intl.NumberFormat('ru');"
    " function one(i) { return f.format(i + 0.5); }",
    "currency format": "var f = new Intl.NumberFormat('uz', {style: 'currency', currency: 'UZS'});"
    " function one(i) { return f.format(i * 1000.25); }",
    "DateTimeFormat.format": "var f = new Intl.DateTimeFormat('en', {dateStyle: 'long',"
    " timeStyle: 'short', timeZone: 'Asia/Tashkent'});"
    " function one(i) { return f.format(i * 6e7); }",
    "Number.toLocaleString": "function one(i) { return (i + 0.5).toLocaleString('en'); }",
    "Date.toLocaleDateString": "function one(i) {"
    " return new Date(i * 6e7).toLocaleDateString('ru'); }",
    "Collator.compare": "var c = new Intl.Collator('ru');"
    " function one(i) { return c.compare('ж' + i, 'е' + i); }",
    "empty loop (baseline)": "function one(i) { return i; }",
}


def bridge(kind: str, text: str) -> str:
    return intl.answer(text) if kind == "intl" else ""


def build_ms(prelude: tuple[str, ...]) -> float:
    started = time.perf_counter()
    _Sandbox(bridge, prelude, 4)
    return (time.perf_counter() - started) * 1000


def per_call_us(box: _Sandbox, setup: str, calls: int, batches: int) -> list[float]:
    """µs per call, one sample per batch of ``calls`` calls in one run."""
    code = setup + f"\nfunction main() {{ for (var i = 0; i < {calls}; i++) one(i); return 1; }}"
    key = str(hash(code))
    box.ensure(key, code)
    limits = Limits(timeout=60.0)
    options = json.dumps({"limits": limits.to_shim(), "capabilities": []})
    samples = []
    for _ in range(batches + 1):
        started = time.perf_counter()
        body = json.loads(box.run_fn(key, "null", "{}", options))
        assert body["status"] == "completed", body
        samples.append((time.perf_counter() - started) * 1e6 / calls)
    return samples[1:]  # the first batch loads the locale data


def host_side_us(batches: int) -> list[float]:
    request = json.dumps(
        {"op": "resolve", "kind": "NumberFormat", "locales": ["ru"], "options": {}}
    )
    key = json.dumps(json.loads(intl.answer(request))["ok"])
    samples = []
    for i in range(batches * 10):
        text = json.dumps({"op": "format", "kind": "NumberFormat", "r": key, "v": str(i + 0.5)})
        started = time.perf_counter_ns()
        intl.answer(text)
        samples.append((time.perf_counter_ns() - started) / 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--builds", type=int, default=100)
    args = parser.parse_args()

    box = _Sandbox(bridge, tuple(map(_js, WITH)), 16)
    print(f"| call ({args.calls} per run) | p50 µs | p95 µs |")
    print("|---|---:|---:|")
    for name, setup in CALLS.items():
        samples = per_call_us(box, setup, args.calls, args.batches)
        print(f"| {name} | {pct(samples, 0.5):.1f} | {pct(samples, 0.95):.1f} |")
    host = host_side_us(args.batches)
    print(f"| intl.answer alone (Python, format) | {pct(host, 0.5):.1f} | {pct(host, 0.95):.1f} |")

    builds: dict[str, list[float]] = {"without intl.js": [], "with intl.js": []}
    preludes = {"without intl.js": tuple(map(_js, WITHOUT)), "with intl.js": tuple(map(_js, WITH))}
    for prelude in preludes.values():
        build_ms(prelude)  # warm
    for _ in range(args.builds):
        for name, prelude in preludes.items():  # alternate, so both see the same machine
            builds[name].append(build_ms(prelude))
    print("\n| context build | builds | p50 ms | p95 ms | mean ms |")
    print("|---|---:|---:|---:|---:|")
    for name, values in builds.items():
        print(
            f"| {name} | {len(values)} | {pct(values, 0.5):.2f} | {pct(values, 0.95):.2f} |"
            f" {statistics.mean(values):.2f} |"
        )


if __name__ == "__main__":
    main()
