"""What decoding text and parsing JSON from outside costs, and what the checks add.

    .venv/bin/python benchmarks/charsets_bench.py [--rounds 5]

Every figure is a median over ``--rounds`` repetitions measured in this one run, in ms unless
said otherwise; rows meant to be compared are measured side by side.

1. Decoding random bytes, 1 MiB and 2 MiB, in every charset of ``charsets.ALLOWED_CHARSETS``
   (ratio 2 MiB / 1 MiB: about 2 is linear), and in punycode, which the allow-list refuses
   (50, 100 and 200 kB: the ratio per doubling is about 4, quadratic).
2. An endpoint's body of 1 MiB of random bytes read by the blueprint's body reader (in a
   Flask request context): UTF-8, ISO-8859-8 (the slowest allowed charset on random bytes),
   and ``charset=punycode``, now answered 415 before anything is read or decoded.
3. sdk.http fetching 5 MiB (the default cap) from a loopback server: UTF-8 and ISO-8859-8
   with a 10 s timeout; ISO-8859-8 with a 0.3 s timeout, and how far past its deadline the
   request comes back (the deadline is checked after every decoded 64 KiB chunk).
4. The SSRF guard's view of the machine's own addresses: one rtnetlink dump, and the cached
   lookup every request makes.
5. ``jsonvalues.parse`` against plain ``json.loads`` on bodies an endpoint gets (small, wide,
   bracket-heavy: where the nesting walk runs), and ``jsonvalues.check``, which every run's
   input goes through, against the walk it replaced. Times in ms per body.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from loopback_server import LoopbackServer  # noqa: E402

from flask_jsscripts import charsets  # noqa: E402
from flask_jsscripts.capabilities import local_addresses  # noqa: E402
from flask_jsscripts.capabilities.http import GuardedHttpClient, HttpSettings  # noqa: E402
from flask_jsscripts.runtime import HostCallError, jsonvalues  # noqa: E402

MIB = 1024 * 1024


def median_ms(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def decoding(rounds: int) -> None:
    print("## 1. decoding random bytes\n")
    print("| charset | 1 MiB ms | 2 MiB ms | ratio |")
    print("|---|---:|---:|---:|")
    one, two = random.Random(1).randbytes(MIB), random.Random(2).randbytes(2 * MIB)
    rows = []
    for codec in sorted(charsets.ALLOWED_CHARSETS):
        small, large = [], []
        for _ in range(rounds):  # interleaved, so that a burst of load hits both sizes alike
            small.append(median_ms(lambda c=codec: charsets.decode(one, c), 1))
            large.append(median_ms(lambda c=codec: charsets.decode(two, c), 1))
        a, b = statistics.median(small), statistics.median(large)
        rows.append((b, codec, a))
    for b, codec, a in sorted(rows, reverse=True):
        print(f"| {codec} | {a:.1f} | {b:.1f} | {b / a:.2f} |")
    print("\n| punycode (refused) | 50 kB ms | 100 kB ms | 200 kB ms | ratio per doubling |")
    print("|---|---:|---:|---:|---:|")
    times = [
        median_ms(lambda n=n: (b"a" * n).decode("punycode", "replace"), max(1, rounds // 2))
        for n in (50_000, 100_000, 200_000)
    ]
    ratio = (times[2] / times[0]) ** 0.5
    print(f"| punycode | {times[0]:.0f} | {times[1]:.0f} | {times[2]:.0f} | {ratio:.1f} |\n")


def endpoint(rounds: int) -> None:
    from flask import Flask

    from flask_jsscripts.web import endpoints

    print("## 2. an endpoint's body of 1 MiB, read by the blueprint (`web.endpoints._body`)\n")
    app = Flask("bench")
    body = random.Random(3).randbytes(MIB)
    print("| Content-Type | outcome | ms per body |")
    print("|---|---|---:|")
    for content_type in (
        "text/plain; charset=utf-8",
        "text/plain; charset=iso-8859-8",
        "text/plain; charset=punycode",
    ):
        outcome = []

        def read(ct: str = content_type, outcome: list[str] = outcome) -> None:
            with app.test_request_context(method="POST", data=body, content_type=ct):
                try:
                    outcome.append(f"{len(endpoints._body(2 * MIB))} characters")
                except endpoints._BadBody as exc:
                    outcome.append(str(exc.status))

        ms = median_ms(read, rounds)
        print(f"| `{content_type}` | {outcome[-1]} | {ms:.1f} |")
    print()


def sdk_http(rounds: int) -> None:
    print("## 3. sdk.http fetching 5 MiB over loopback\n")
    print("| charset | timeout s | outcome | ms per request | ms past the deadline |")
    print("|---|---:|---|---:|---:|")
    with LoopbackServer() as server:
        for label, timeout in (("utf-8", 10.0), ("iso-8859-8", 10.0), ("iso-8859-8", 0.3)):
            url = f"{server.url}/charset?{urlencode({'cs': label, 'size': 5 * MIB})}"
            settings = HttpSettings(
                timeout=timeout,
                max_response_bytes=5 * MIB,
                allow_private_hosts=("127.0.0.1",),
            )
            outcomes, late = [], []

            def fetch(
                u: str = url,
                s: HttpSettings = settings,
                t: float = timeout,
                outcomes: list[str] = outcomes,
                late: list[float] = late,
            ) -> None:
                started = time.perf_counter()
                try:
                    GuardedHttpClient(s).request("GET", u)
                    outcomes.append("answer")
                except HostCallError as exc:
                    outcomes.append(exc.code)
                late.append(max(0.0, (time.perf_counter() - started - t) * 1000))

            ms = median_ms(fetch, rounds)
            print(
                f"| {label} | {timeout:g} | {outcomes[-1]} | {ms:.0f} | "
                f"{statistics.median(late):.0f} |"
            )
    print()


def own_addresses(rounds: int) -> None:
    print("## 4. the machine's own addresses\n")
    n = 2000
    dump = median_ms(lambda: [local_addresses.read_local_addresses() for _ in range(n)], rounds)
    cached = median_ms(lambda: [local_addresses.local_addresses() for _ in range(n)], rounds)
    count = len(local_addresses.read_local_addresses())
    print("| what | µs per call |")
    print("|---|---:|")
    print(f"| rtnetlink dump ({count} addresses) | {dump * 1000 / n:.1f} |")
    print(f"| cached lookup (1 s) | {cached * 1000 / n:.2f} |\n")


def _previous_input_walk(value: object) -> None:
    """The walk ``services.executions`` ran over every run's input before ``jsonvalues.check``
    replaced it (depth and integer range; a reference for the figures only)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > 200:
            raise ValueError("deep")
        if isinstance(item, int) and not isinstance(item, bool):
            if abs(item) > 1.7976931348623157e308:
                raise ValueError("large")
        elif isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)


def json_bodies(rounds: int) -> None:
    print("## 5. parsing and checking JSON bodies\n")
    rng = random.Random(4)
    bodies = {
        "200 B object": json.dumps({"order": {"id": 7, "items": [{"sku": "A", "qty": 2}]}}),
        "1 MiB wide (8k objects)": json.dumps(
            [{"id": i, "name": "x" * 80, "tags": ["a", "b"]} for i in range(8_000)]
        ),
        "1 MiB of [] (bracket-heavy)": json.dumps([[] for _ in range(MIB // 4)]),
        "1 MiB, 150 deep, random": json.dumps(_random_tree(rng, 150, MIB)),
    }
    print(
        "| body | json.loads | jsonvalues.parse | ratio | previous input walk "
        "| jsonvalues.check | ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, text in bodies.items():
        raw = text.encode()
        value = json.loads(raw)
        k = 200 if len(raw) < 1000 else 1
        loads = median_ms(lambda r=raw, k=k: [json.loads(r) for _ in range(k)], rounds) / k
        parse = median_ms(lambda r=raw, k=k: [jsonvalues.parse(r) for _ in range(k)], rounds) / k
        walk = median_ms(lambda v=value, k=k: [_previous_input_walk(v) for _ in range(k)], rounds)
        check = median_ms(lambda v=value, k=k: [jsonvalues.check(v) for _ in range(k)], rounds)
        print(
            f"| {name} | {loads:.3f} | {parse:.3f} | {parse / loads:.2f} | {walk / k:.3f} "
            f"| {check / k:.3f} | {check / walk:.2f} |"
        )
    print()


def _random_tree(rng: random.Random, depth: int, size: int) -> object:
    """A list holding a chain ``depth`` deep and then many small siblings, ~``size`` bytes."""
    chain: object = 1
    for _ in range(depth):
        chain = [chain, rng.random()]
    return [chain] + [{"k": rng.randint(0, 9), "v": [rng.random()]} for _ in range(size // 40)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(
        f"Command: `.venv/bin/python benchmarks/charsets_bench.py --rounds {args.rounds}` "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{os.getloadavg()[0]:.1f})\n"
    )
    decoding(args.rounds)
    endpoint(args.rounds)
    sdk_http(args.rounds)
    own_addresses(args.rounds)
    json_bodies(args.rounds)


if __name__ == "__main__":
    main()
