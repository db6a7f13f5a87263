"""Fairness benchmark: another tenant's trivial runs while one tenant saturates the sandbox.

    .venv/bin/python benchmarks/fairness_bench.py [--before REV] [--hog-timeout 3]

Measures the runtime of this checkout ("after") and the runtime as it was at ``--before``
("before": its ``flask_jsscripts/runtime`` package taken from git into a scratch folder; the
worker processes are this checkout's in both) side by side in one run. Every time is a wall
time in milliseconds of the caller, reported as median, p95 and max.

Scenarios, each for both runtimes, with a pool of 2 run workers and a warm spare:
  run hog      tenant A keeps 3 runaway runs (``while (true) {}``, timeout --hog-timeout)
               submitted at all times; tenant B makes a trivial run every 50 ms
  compile hog  tenant A keeps 2 saves of a pathological source (nested async arrows: Babel
               runs into the compile timeout, --hog-timeout) going; tenant B makes a trivial
               run, and compiles a new plain source, every 50 ms
  alone        tenant B's trivial run with nothing else going: one run's worth
  hot path     one thread, warm trivial runs, alternating blocks of the two runtimes; the
               pool hand-out alone (acquire + release of an idle worker)
  throughput   4 caller threads on 2 workers for --seconds, --rounds times in turns with every
               runtime alive (median): one tenant (the reserve held back from it), one tenant
               with no reserve, and four tenants; also the callers' CPU time per run, and
               the pool's hand-offs alone under the same contention (no script runs)

"After" uses the extension's defaults: one worker of each pool held back from a tenant that
holds the rest (``tenant_reserve=1``), compiles in a pool of 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _support import pct

from flask_jsscripts import runtime as after_runtime

ROOT = Path(__file__).resolve().parent.parent
TRIVIAL = "function main(ctx) { return {ok: true}; }"
SPIN = "while (true) {}"
BEFORE_DEFAULT = "19a946a"  # the last commit before fair scheduling


def nested_async(depth: int, salt: int) -> str:
    inner = "return 1;"
    for i in range(depth):
        inner = (
            f"const f{i} = async (x) => {{ await x; {inner} }};"
            f" return await f{i}(await sdk.ping ? 1 : 2);"
        )
    return f"async function main(ctx) {{ {inner} }}\n// {salt}"


def load_before(rev: str, scratch: Path):
    """The ``flask_jsscripts.runtime`` package of ``rev``, importable as ``before_runtime``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "flask_jsscripts/runtime"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)
    (scratch / "flask_jsscripts" / "runtime").rename(scratch / "before_runtime")
    sys.path.insert(0, str(scratch))
    return importlib.import_module("before_runtime")


def summary(samples: list[float]) -> dict:
    return {
        "n": len(samples),
        "p50": statistics.median(samples),
        "p95": pct(samples, 0.95),
        "max": max(samples),
    }


class Hog:
    """``threads`` callers that each call ``work(i)`` again and again until stopped."""

    def __init__(self, threads: int, work) -> None:
        self.stop = threading.Event()
        self.count = 0

        def loop(k: int) -> None:
            i = 0
            while not self.stop.is_set():
                with contextlib.suppress(Exception):  # a hog's failures do not matter here
                    work(k * 1_000_000 + i)
                i += 1
                self.count += 1

        self.threads = [
            threading.Thread(target=loop, args=(k,), daemon=True) for k in range(threads)
        ]

    def __enter__(self) -> Hog:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()


def tenant_b(rt, window: float, compile_too: bool) -> dict:
    """Trivial runs (and compiles of new plain sources) of tenant B every 50 ms for
    ``window`` seconds: their latencies, the runs' waits for a worker, and busy errors."""
    runs: list[float] = []
    waits: list[float] = []
    compiles: list[float] = []
    busy = 0
    end = time.perf_counter() + window
    n = 0
    while time.perf_counter() < end:
        started = time.perf_counter()
        try:
            result = rt.run(TRIVIAL, isolation="tenant-b")
            assert result.status == "completed", result.error
            runs.append((time.perf_counter() - started) * 1000)
            waits.append(result.metrics["queue_ms"])
        except Exception as exc:  # noqa: BLE001
            if type(exc).__name__ != "RuntimeBusyError":
                raise
            busy += 1
        if compile_too:
            n += 1
            source = f"function main() {{ return {n + 10**6}; }}"
            started = time.perf_counter()
            kwargs = {"isolation": "tenant-b"} if hasattr(rt, "compile_pool") else {}
            rt.compile(source, **kwargs)
            compiles.append((time.perf_counter() - started) * 1000)
        time.sleep(0.05)
    out = {"runs": summary(runs), "waits": summary(waits), "busy_errors": busy}
    if compiles:
        out["compiles"] = summary(compiles)
    return out


def make(module, which: str, **extra):
    if which == "after":
        extra = {"tenant_reserve": 1, "compile_workers": 2, **extra}
    return module.Runtime(workers=2, **extra)


def scenario_run_hog(module, which: str, hog_timeout: float) -> dict:
    limits = module.Limits(timeout=hog_timeout)
    with make(module, which) as rt:
        for _ in range(20):
            rt.run(TRIVIAL, isolation="tenant-b")
        hog = Hog(3, lambda i: rt.run(SPIN, limits=limits, isolation="tenant-a"))
        with hog:
            time.sleep(0.5)  # A holds everything it may
            out = tenant_b(rt, hog_timeout * 2.5, compile_too=False)
            rt.close()  # ends A's runs now
        return out


def scenario_compile_hog(module, which: str, hog_timeout: float) -> dict:
    with make(module, which, compile_timeout=hog_timeout) as rt:
        for _ in range(20):
            rt.run(TRIVIAL, isolation="tenant-b")
        rt.compile("var warm = 1;")  # after: the compile pool is up before the clock starts
        kwargs = {"isolation": "tenant-a"} if which == "after" else {}
        hog = Hog(2, lambda i: rt.compile(nested_async(8, i), **kwargs))
        with hog:
            time.sleep(0.5)
            out = tenant_b(rt, hog_timeout * 2.5, compile_too=True)
            rt.close()
        return out


def scenario_alone(module, which: str, runs: int) -> dict:
    with make(module, which) as rt:
        for _ in range(20):
            rt.run(TRIVIAL, isolation="tenant-b")
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            rt.run(TRIVIAL, isolation="tenant-b")
            samples.append((time.perf_counter() - started) * 1000)
        return summary(samples)


def hot_path(before, after, runs: int, rounds: int) -> dict:
    out: dict[str, dict[str, list[float]]] = {
        "warm run": {"before": [], "after": []},
        "acquire + release": {"before": [], "after": []},
    }
    with make(before, "before") as rb, make(after, "after") as ra:
        for rt in (rb, ra):
            for _ in range(50):
                rt.run(TRIVIAL, isolation="t")
        for _ in range(rounds):
            for which, rt in (("before", rb), ("after", ra)):
                for _ in range(runs):
                    started = time.perf_counter()
                    rt.run(TRIVIAL, isolation="t")
                    out["warm run"][which].append((time.perf_counter() - started) * 1000)
                pool = rt.pool
                args = () if which == "before" else (None, "t")
                for _ in range(runs):
                    started = time.perf_counter()
                    worker = pool.acquire(*args)
                    pool.release(worker)
                    out["acquire + release"][which].append((time.perf_counter() - started) * 1000)
    return {name: {k: summary(v) for k, v in pair.items()} for name, pair in out.items()}


THROUGHPUT = {  # name: (runtime, tenants, extra Runtime arguments)
    "before, one tenant": ("before", 1, {}),
    "after, one tenant, reserve 1": ("after", 1, {"tenant_reserve": 1}),
    "after, one tenant, reserve 0": ("after", 1, {"tenant_reserve": 0}),
    "before, four tenants": ("before", 4, {}),
    "after, four tenants, reserve 1": ("after", 4, {"tenant_reserve": 1}),
}


def _four_threads(seconds: float, step) -> tuple[float, float]:
    """``step(k)`` looped in 4 threads for ``seconds``: steps per second, and this process's
    CPU time per step in microseconds."""
    stop = time.perf_counter() + seconds
    counts = [0] * 4

    def loop(k: int) -> None:
        while time.perf_counter() < stop:
            step(k)
            counts[k] += 1

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(4)]
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    n = sum(counts)
    return n / (time.perf_counter() - started), (time.process_time() - cpu) / n * 1e6


def throughput_window(rt, seconds: float, tenants: int) -> tuple[float, float]:
    """4 caller threads on ``rt`` for ``seconds``: runs per second, and this process's CPU
    time per run in microseconds (the callers' side of a run: JSON, pipes, scheduling)."""
    return _four_threads(seconds, lambda k: rt.run(TRIVIAL, isolation=f"t{k % tenants}"))


def throughput(impls: dict, seconds: float, rounds: int) -> dict:
    """Every configuration's runtime alive at once, measured in turns (the order rotated each
    round): the machine's load drifts, and a runtime's start-up would burden the next one."""
    runtimes = {
        name: impls[which].Runtime(workers=2, **extra)
        for name, (which, _tenants, extra) in THROUGHPUT.items()
    }
    rates: dict[str, list[float]] = {name: [] for name in THROUGHPUT}
    cpus: dict[str, list[float]] = {name: [] for name in THROUGHPUT}
    try:
        for rt in runtimes.values():
            for _ in range(50):
                rt.run(TRIVIAL, isolation="t0")
        names = list(THROUGHPUT)
        for i in range(rounds):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                rate, cpu = throughput_window(runtimes[name], seconds, THROUGHPUT[name][1])
                rates[name].append(rate)
                cpus[name].append(cpu)
    finally:
        for rt in runtimes.values():
            rt.close()
    return {
        name: {"runs_s": statistics.median(rates[name]), "cpu_us": statistics.median(cpus[name])}
        for name in THROUGHPUT
    }


def handoff_window(pool, seconds: float, tenants: int, old_api: bool) -> tuple[float, float]:
    """4 threads taking and giving back 2 workers (no run): hand-offs per second and this
    process's CPU time per hand-off in microseconds (the scheduler under contention)."""

    def handoff(k: int) -> None:
        args = () if old_api else (None, f"t{k % tenants}")
        pool.release(pool.acquire(*args))

    return _four_threads(seconds, handoff)


def handoffs(impls: dict, seconds: float, rounds: int) -> dict:
    configs = {
        "before, one tenant": ("before", 1, {}),
        "after, one tenant, reserve 0": ("after", 1, {"tenant_reserve": 0}),
        "after, four tenants, reserve 1": ("after", 4, {"tenant_reserve": 1}),
    }
    runtimes = {n: impls[w].Runtime(workers=2, **x) for n, (w, _t, x) in configs.items()}
    rates: dict[str, list[float]] = {name: [] for name in configs}
    cpus: dict[str, list[float]] = {name: [] for name in configs}
    try:
        for _ in range(rounds):
            for name, (which, tenants, _extra) in configs.items():
                pool = runtimes[name].pool
                rate, cpu = handoff_window(pool, seconds / 2, tenants, which == "before")
                rates[name].append(rate)
                cpus[name].append(cpu)
    finally:
        for rt in runtimes.values():
            rt.close()
    return {
        name: {"per_s": statistics.median(rates[name]), "cpu_us": statistics.median(cpus[name])}
        for name in configs
    }


def fmt(s: dict, digits: int = 2) -> str:
    return " | ".join(f"{s[k]:.{digits}f}" for k in ("p50", "p95", "max"))


def line(scenario: str, what: str, which: str, s: dict, digits: int = 2) -> None:
    print(f"| {scenario} | {what} | {which} | {s['n']} | {fmt(s, digits)} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default=BEFORE_DEFAULT, help="git revision to compare with")
    parser.add_argument("--hog-timeout", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=300, help="hot-path runs per block")
    parser.add_argument(
        "--rounds", type=int, default=5, help="hot-path blocks and throughput rounds"
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="throughput duration")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        before = load_before(args.before, Path(scratch))
        impls = {"before": before, "after": after_runtime}
        results: dict = {}
        for which, module in impls.items():
            results[which] = {
                "alone": scenario_alone(module, which, args.runs),
                "run hog": scenario_run_hog(module, which, args.hog_timeout),
                "compile hog": scenario_compile_hog(module, which, args.hog_timeout),
            }
        results["hot path"] = hot_path(before, after_runtime, args.runs, args.rounds)
        results["throughput"] = throughput(impls, args.seconds, args.rounds)
        results["hand-offs"] = handoffs(impls, args.seconds, args.rounds)

    print(
        f"# Fairness benchmark ({platform.python_version()}, {platform.machine()}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}; before = {args.before}, hog timeout "
        f"{args.hog_timeout:g} s)\n"
    )
    print("| scenario | what | runtime | n | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---:|---:|---:|---:|")
    for which in ("before", "after"):
        line("alone", "B's trivial run", which, results[which]["alone"])
    for scenario in ("run hog", "compile hog"):
        for which in ("before", "after"):
            r = results[which][scenario]
            line(scenario, "B's trivial run", which, r["runs"])
            line(scenario, "its wait for a worker", which, r["waits"])
            if "compiles" in r:
                line(scenario, "B's compile (plain source)", which, r["compiles"])
    for name, pair in results["hot path"].items():
        for which in ("before", "after"):
            line("hot path", name, which, pair[which], 4)
    print()
    for which in ("before", "after"):
        alone = results[which]["alone"]["p50"]
        for scenario in ("run hog", "compile hog"):
            r = results[which][scenario]
            print(
                f"{which}, {scenario}: B's run p50 {r['runs']['p50'] / alone:.1f}x, its wait"
                f" for a worker max {r['waits']['max'] / alone:.1f}x B's run alone (p50);"
                f" busy errors {r['busy_errors']}"
            )
    hot = results["hot path"]["warm run"]
    print(f"hot path, warm run p50 after/before: {hot['after']['p50'] / hot['before']['p50']:.3f}")
    print()
    print("| throughput, 4 callers on 2 workers | runs/s | caller CPU µs/run |")
    print("|---|---:|---:|")
    for name, value in results["throughput"].items():
        print(f"| {name} | {value['runs_s']:.0f} | {value['cpu_us']:.0f} |")
    print()
    print("| pool hand-offs, 4 threads on 2 workers, no run | per s | CPU µs each |")
    print("|---|---:|---:|")
    for name, value in results["hand-offs"].items():
        print(f"| {name} | {value['per_s']:.0f} | {value['cpu_us']:.1f} |")
    json.dump(results, sys.stderr)


if __name__ == "__main__":
    main()
