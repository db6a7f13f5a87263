"""Compile benchmark: the compiler before issue 17 (Babel 6.26 in Duktape) against today's (Babel
7.29 with preset-env in V8 through mini-racer), and Babel 7.29 in QuickJS when a Python with the
``quickjs`` package is given; then today's save, first run and warm runs through a Runtime.

    .venv/bin/python benchmarks/compile_bench.py [--repeat 15] [--old-rev 2bc57ba]
        [--quickjs-python /path/to/python-with-quickjs-and-mini-racer]

Each compiler runs in a process of its own (load time, peak RSS); compile times are medians and
p95 of ``--repeat`` transforms of a fresh variant of each script (the caches never hit).
The old compiler is read from git (``--old-rev``), so both are measured side by side in one run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _support import pct

ROOT = Path(__file__).resolve().parent.parent

# What Babel 6 understands (ES2017): classes, arrows, templates, destructuring, async/await.
ES2017_UNIT = """\
class Ledger{i} extends Object {{
  constructor(owner = 'n/a', ...tags) {{ super(); this.owner = owner; this.tags = tags; }}
  get size() {{ return this.tags.length; }}
  static of(...xs) {{ return new Ledger{i}('x', ...xs); }}
}}
const total{i} = (rows) => rows.reduce((s, {{amount = 0}}) => s + amount ** 2, 0);
async function fetchAll{i}(ids) {{
  const out = [];
  for (const id of ids) {{ out.push(await Promise.resolve(`item-${{id}}`)); }}
  return {{ count: out.length, ...{{ out }} }};
}}
let [first{i}, ...rest{i}] = [1, 2, 3];
"""
# What only today's compiler understands (ES2022/2023).
MODERN_UNIT = """\
class Account{i} {{
  #balance = 0;
  static count = 0;
  static {{ Account{i}.count = 1; }}
  deposit(x) {{ this.#balance += x; return this; }}
  get balance() {{ return this.#balance; }}
}}
async function* pages{i}(n) {{ for (let i = 0; i < n; i++) yield i; }}
async function consume{i}(ctx) {{
  const name = ctx.input?.order?.customer?.name ?? 'n/a';
  let total = 0;
  for await (const p of pages{i}(3)) total += p ** 2;
  total ||= 1_000; ctx.seen ??= [];
  const m = /(?<year>\\d{{4}})-(?<month>\\d{{2}})/su.exec('2024-05');
  return {{ name, total, year: m.groups.year, last: [1, 2, 3].at(-1) }};
}}
"""


def script(unit: str, lines: int, variant: int) -> str:
    """About ``lines`` lines of ``unit`` repeated with fresh names; ``variant`` busts caches."""
    per = unit.count("\n")
    parts = [unit.format(i=i) for i in range(max(1, round(lines / per)))]
    return f"// variant {variant}\n" + "".join(parts) + "function main(ctx) { return 1; }\n"


SCRIPTS = {
    "es2017-20": (ES2017_UNIT, 20),
    "es2017-300": (ES2017_UNIT, 300),
    "modern-20": (MODERN_UNIT, 20),
    "modern-300": (MODERN_UNIT, 300),
}


def old_transpiler(rev: str, scratch: Path):
    """The transpile module and Babel 6 bundle of ``rev``, loaded from git."""
    for path in ("flask_jsscripts/runtime/transpile.py", "flask_jsscripts/runtime/js/babel.min.js"):
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:{path}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (scratch / Path(path).name).write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_transpile", scratch / "transpile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.BABEL_PATH = scratch / "babel.min.js"
    return module.Transpiler()


def quickjs_transpiler():
    """Babel 7.29 (the vendored bundle) in QuickJS, with today's options."""
    import quickjs

    from flask_jsscripts.runtime import transpile

    ctx = quickjs.Context()
    ctx.set_memory_limit(2**31)
    ctx.set_max_stack_size(0)
    ctx.eval(transpile._CONSOLE_JS + transpile.BABEL_PATH.read_text(encoding="utf-8"))
    ctx.eval(transpile._BRIDGE_JS)
    options = json.dumps(transpile.BABEL_OPTIONS)

    class QuickJS:
        def transpile(self, source: str) -> str:
            out = json.loads(ctx.get("__jss_compile")(source, options))
            if "error" in out:
                raise ValueError(out["error"]["message"])
            return out["code"]

    return QuickJS()


def measure(engine: str, repeat: int, rev: str) -> dict:
    """One compiler in this process: load time, compile times per script, peak RSS."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        if engine == "old":
            compiler = old_transpiler(rev, Path(scratch))
            compiler.transpile("var warm = 1;")  # Babel 6 loads on first use
        elif engine == "quickjs":
            compiler = quickjs_transpiler()
        else:
            from flask_jsscripts.runtime.transpile import Transpiler

            compiler = Transpiler()
        load = time.perf_counter() - started
        result: dict = {"engine": engine, "load_s": round(load, 3), "scripts": {}}
        for name, (unit, lines) in SCRIPTS.items():
            if engine == "old" and name.startswith("modern"):
                continue  # Babel 6 does not parse it
            samples = []
            for variant in range(repeat):
                source = script(unit, lines, variant)
                t = time.perf_counter()
                compiler.transpile(source)
                samples.append((time.perf_counter() - t) * 1000)
            result["scripts"][name] = {
                "p50_ms": round(statistics.median(samples[1:]), 1),
                "p95_ms": round(pct(samples[1:], 0.95), 1),
                "first_ms": round(samples[0], 1),
            }
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return result


def first_runs(count: int, runs: int) -> dict:
    """Today's pipeline end to end: save (compile in a compile worker) and first run of a new
    20-line modern script in a tenant's warm context, then warm runs of the last one."""
    from flask_jsscripts.runtime import Runtime

    saves, firsts, warm = [], [], []
    with Runtime(workers=1) as rt:
        rt.run("function main() { return 1 }", isolation="t")  # context and compiler started
        for variant in range(count):
            source = script(MODERN_UNIT, 20, variant).replace(
                "function main(ctx) { return 1; }",
                "async function main(ctx) { return consume0({input: {order: {customer: {}}}}); }",
            )
            t = time.perf_counter()
            compiled = rt.compile(source, isolation="t")
            saved = time.perf_counter()
            result = rt.run(compiled, isolation="t")
            saves.append((saved - t) * 1000)
            firsts.append((time.perf_counter() - saved) * 1000)
        for _ in range(runs):
            t = time.perf_counter()
            rt.run(compiled, isolation="t")
            warm.append((time.perf_counter() - t) * 1000)
    return {
        "value": result.value,
        **{
            name: {"p50_ms": round(statistics.median(xs), 3), "p95_ms": round(pct(xs, 0.95), 3)}
            for name, xs in (("save", saves), ("first run", firsts), ("warm run", warm))
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--old-rev", default="2bc57ba")
    parser.add_argument("--quickjs-python", help="a Python with quickjs and mini-racer installed")
    parser.add_argument("--engine", help=argparse.SUPPRESS)  # a child's single measurement
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(measure(args.engine, args.repeat, args.old_rev)))
        return
    rows = []
    for engine, python in (
        ("old", sys.executable),
        ("new", sys.executable),
        ("quickjs", args.quickjs_python),
    ):
        if python is None:
            continue
        command = [python, __file__, "--engine", engine, "--repeat", str(args.repeat)]
        command += ["--old-rev", args.old_rev]
        child = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        rows.append(json.loads(child.stdout))
    print(json.dumps({"compile": rows, "runs": first_runs(args.repeat, args.runs)}, indent=1))


if __name__ == "__main__":
    main()
