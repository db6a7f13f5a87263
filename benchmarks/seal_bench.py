"""Cost of building a tenant's sandbox context: this checkout's prelude against another
revision's, side by side in one process (alternating builds, so both see the same machine).

    .venv/bin/python benchmarks/seal_bench.py --before REV [--builds 200]

A build evaluates the prelude (polyfills, runtime helpers, the list of intrinsics, the shim) in a
new Duktape context and seals it (removes and freezes what scripts must not change).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from _support import pct, prelude_at

from flask_jsscripts.runtime.worker import PRELUDE, _js, _Sandbox

ROOT = Path(__file__).resolve().parent.parent


def build_ms(prelude: tuple[str, ...]) -> float:
    started = time.perf_counter()
    _Sandbox(lambda kind, text: "", prelude, 4)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, help="git revision to compare with")
    parser.add_argument("--builds", type=int, default=200)
    args = parser.parse_args()
    variants = {args.before: prelude_at(args.before), "this checkout": tuple(map(_js, PRELUDE))}
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for prelude in variants.values():
        build_ms(prelude)  # warm the allocator and the code paths
    for _ in range(args.builds):
        for name, prelude in variants.items():
            samples[name].append(build_ms(prelude))
    print("| prelude | builds | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for name, values in samples.items():
        p50, p95 = statistics.median(values), pct(values, 0.95)
        print(f"| {name} | {len(values)} | {p50:.2f} | {p95:.2f} |")
    before, after = (statistics.median(v) for v in samples.values())
    print(f"\nratio after/before (p50): {after / before:.2f}")


if __name__ == "__main__":
    main()
