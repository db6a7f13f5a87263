"""Run the test262 slice through ``Runtime.run`` (or node 20) and report pass rates.

    python benchmarks/test262/run.py --label baseline --jobs 2 [--sample 5] [--markdown]
    python benchmarks/test262/run.py --node --label node20 --markdown
    python benchmarks/test262/run.py --compare results/a.json results/b.json
    python benchmarks/test262/run.py --report results/a.json --list-limit 30 --examples 3

Writes benchmarks/test262/results/<label>.json (counts per folder, every failing test with its
reason). Exit status 0 whatever the tests do; 2 for bad options, 1 when the runner fails.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import make_slice
import t262
from engines import NodeEngine, RuntimeEngine, run_all, stderr_progress

RESULTS = Path(__file__).resolve().parent / "results"


def slice_tests(slice_dir: Path, contains: str = "", sample: int = 1) -> list[str]:
    """Paths of the slice's tests (sorted), those containing ``contains``, every ``sample``-th."""
    paths = sorted(
        p.relative_to(slice_dir).as_posix()
        for p in (slice_dir / "test").rglob("*.js")
        if "_FIXTURE" not in p.name
    )
    return [p for p in paths if contains in p][::sample]


def group_of(path: str) -> str:
    """The slice folder (from make_slice.SELECTION) a test belongs to."""
    best = ""
    for folder, pattern in make_slice.SELECTION:
        if path.startswith(folder + "/") and len(folder) > len(best.split(" ")[0]):
            best = folder if pattern == "*" else f"{folder} {pattern}"
    return best or path.rsplit("/", 1)[0]


def _empty_counts() -> dict[str, int]:
    return {"ran": 0, "passed": 0, "excluded": 0}


def evaluate(
    paths: list[str], engine: Any, jobs: int, slice_dir: Path = t262.SLICE, quiet: bool = False
) -> dict[str, Any]:
    """Run ``paths`` on ``engine``; the counts and failures of the results file."""
    harness = t262.harness_reader(slice_dir)
    tests = {p: t262.load_test(p, slice_dir) for p in paths}
    excluded: dict[str, int] = {}
    groups: dict[str, dict[str, int]] = {}
    sources = {}
    for path, test in tests.items():
        counts = groups.setdefault(group_of(path), _empty_counts())
        why = t262.exclusion(test, harness)
        if why is None:
            sources[path] = t262.build_source(test, harness)
        else:
            excluded[why] = excluded.get(why, 0) + 1
            counts["excluded"] += 1
    outcomes = run_all(engine, sources, jobs, None if quiet else stderr_progress())
    failures: dict[str, str] = {}
    negative = {"ran": 0, "passed": 0}
    for path in sources:
        passed, reason = t262.judge(tests[path], outcomes[path])
        counts = groups[group_of(path)]
        counts["ran"] += 1
        counts["passed"] += passed
        if tests[path].is_negative:
            negative["ran"] += 1
            negative["passed"] += passed
        if not passed:
            failures[path] = reason
    return {
        "selected": len(paths),
        "excluded": dict(sorted(excluded.items(), key=lambda kv: -kv[1])),
        "ran": len(sources),
        "passed": len(sources) - len(failures),
        "negative": negative,
        "groups": groups,
        "failures": failures,
    }


def _pct(passed: int, ran: int) -> str:
    return f"{100 * passed / ran:.1f}%" if ran else "–"


def reason_key(reason: str) -> str:
    """Reasons that differ only in numbers, positions or quoted values group together."""
    key = re.sub(r"(?<![\w$])\d+", "N", reason)
    key = re.sub(r"«[^»]*»", "…", key)
    return key[:120]


def markdown(
    results: dict[str, Any], list_limit: int | None = None, examples: int | None = None
) -> str:
    """The RESULTS.md section of one results file."""
    lines = [
        f"#### {results['label']} ({results['engine']}), {results['started_utc']}",
        "",
        f"Command: `{results['command']}` ({results['duration_s']:.0f} s, "
        f"{results['jobs']} jobs). Slice commit {results['commit'][:12]}.",
        "",
        f"{results['selected']} tests selected, {sum(results['excluded'].values())} excluded "
        f"({', '.join(f'{k}: {v}' for k, v in results['excluded'].items()) or 'none'}), "
        f"{results['ran']} ran, **{results['passed']} passed "
        f"({_pct(results['passed'], results['ran'])})**; negative tests "
        f"{results['negative']['passed']}/{results['negative']['ran']}.",
        "",
        "| folder | excluded | ran | passed | % |",
        "|---|---:|---:|---:|---:|",
    ]
    for group, c in sorted(results["groups"].items()):
        pct = _pct(c["passed"], c["ran"])
        lines.append(f"| {group} | {c['excluded']} | {c['ran']} | {c['passed']} | {pct} |")
    by_reason: dict[str, list[str]] = {}
    for path, reason in results["failures"].items():
        by_reason.setdefault(reason_key(reason), []).append(path.removeprefix("test/"))
    ordered = sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    lines += ["", f"Failures by reason ({len(results['failures'])} tests):", ""]
    for n, (key, paths) in enumerate(ordered):
        if list_limit is not None and n >= list_limit:
            rest = sum(len(p) for _, p in ordered[n:])
            lines.append(f"- … {len(ordered) - n} more reasons ({rest} tests): see the JSON file")
            break
        shown = paths if examples is None else paths[:examples]
        more = f" and {len(paths) - len(shown)} more" if len(shown) < len(paths) else ""
        lines.append(f"- {key} ({len(paths)}): {', '.join(shown)}{more}")
    return "\n".join(lines)


def compare(files: list[Path]) -> str:
    """A table of pass rates per folder, one column per results file."""
    results = [json.loads(f.read_text()) for f in files]
    head = "| folder | " + " | ".join(f"{r['label']} ({r['engine']})" for r in results) + " |"
    lines = [head, "|---|" + "---:|" * len(results)]
    groups = sorted({g for r in results for g in r["groups"]})
    for group in [*groups, "all"]:
        cells = []
        for r in results:
            c = r["groups"].get(group) if group != "all" else r
            cells.append(f"{c['passed']}/{c['ran']} ({_pct(c['passed'], c['ran'])})" if c else "–")
        lines.append(f"| {'**all**' if group == 'all' else group} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("must be between 0 and 3600 seconds")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="run.py", description="Run the test262 slice and report pass rates."
    )
    add = parser.add_argument
    add("filter", nargs="?", default="", help="run only tests whose path contains this")
    add("--label", default=None, help="results file name (default: runtime or node)")
    add("--jobs", type=_positive, default=2, help="Runtime workers / node processes (2)")
    add("--sample", type=_positive, default=1, help="run every Nth test (deterministic)")
    add("--node", action="store_true", help="run the same sources under node instead")
    add("--timeout", type=_seconds, default=5.0, help="per-test time limit in seconds (5)")
    add("--memory-mb", type=_positive, default=128, help="per-test memory limit (128)")
    add("--compile-timeout", type=_seconds, default=60.0, help="per-test compile limit (60)")
    add("--markdown", action="store_true", help="print the RESULTS.md section")
    add("--list-limit", type=_positive, default=None, help="failure reasons listed in Markdown")
    add("--no-save", action="store_true", help="do not write results/<label>.json")
    add("--examples", type=_positive, default=None, help="tests listed per reason in Markdown")
    add("--compare", nargs="+", type=Path, metavar="JSON", help="compare saved results only")
    add("--report", type=Path, metavar="JSON", help="print the Markdown of saved results only")
    args = parser.parse_args(argv)
    if not 8 <= args.memory_mb <= 16384:
        parser.error("--memory-mb must be between 8 and 16384")
    if args.label is not None and not re.fullmatch(r"[\w.-]+", args.label):
        parser.error("--label may hold only letters, digits, '.', '_' and '-'")
    for path in [*(args.compare or []), *([args.report] if args.report else [])]:
        if not path.is_file():
            parser.error(f"no such results file: {path}")
    if not (t262.SLICE / "test").is_dir():
        parser.error(f"the slice is missing ({t262.SLICE}); see make_slice.py")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.compare:
        print(compare(args.compare))
        return 0
    if args.report:
        print(markdown(json.loads(args.report.read_text()), args.list_limit, args.examples))
        return 0
    paths = slice_tests(t262.SLICE, args.filter, args.sample)
    if not paths:
        print(f"run.py: no test path contains {args.filter!r}", file=sys.stderr)
        return 2
    engine: Any
    if args.node:
        try:
            engine = NodeEngine(args.timeout)
        except RuntimeError as exc:
            print(f"run.py: {exc}", file=sys.stderr)
            return 2
    else:
        engine = RuntimeEngine(args.jobs, args.timeout, args.memory_mb, args.compile_timeout)
    started = datetime.datetime.now(datetime.UTC)
    clock = time.monotonic()
    try:
        results = evaluate(paths, engine, args.jobs)
    finally:
        engine.close()
    results = {
        "label": args.label or ("node" if args.node else "runtime"),
        "engine": "node " + _node_version() if args.node else "Runtime.run",
        "commit": make_slice.PINNED_COMMIT,
        "started_utc": started.strftime("%Y-%m-%d %H:%M UTC"),
        "duration_s": round(time.monotonic() - clock, 1),
        "command": "python benchmarks/test262/run.py " + " ".join(argv or sys.argv[1:]),
        "jobs": args.jobs,
        "sample": args.sample,
        "filter": args.filter,
        "limits": {"timeout_s": args.timeout, "memory_mb": args.memory_mb},
        **results,
    }
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{results['label']}.json").write_text(json.dumps(results, indent=1) + "\n")
    print(
        f"{results['passed']}/{results['ran']} passed ({_pct(results['passed'], results['ran'])}),"
        f" {results['selected'] - results['ran']} excluded, {results['duration_s']:.0f} s",
        file=sys.stderr,
    )
    if args.markdown:
        print(markdown(results, args.list_limit, args.examples))
    return 0


def _node_version() -> str:
    import subprocess

    return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(1)
    except BrokenPipeError:  # output piped into head and the like
        sys.exit(0)
