"""A script endpoint against a plain Flask view, both in the example admin under gunicorn.

    .venv/bin/python benchmarks/endpoints_bench.py [--seconds 10] [--rounds 3] [--postgresql]

The example admin (SQLite, its own instance folder) is served by gunicorn with 2 sync workers
(deploy/gunicorn.conf.py). The script endpoint is a public HTTP script answering
``GET /api/scripts/bench/ping/{n}`` with ``{pong: n}``; the plain view ``GET /plain/ping/<n>``
answers the same JSON. Saturation throughput: ``wrk -t2 -c8`` on each, alternating, ``--rounds``
times, median. Latency at half the endpoint's saturation rate: an open-loop client sends at a
fixed rate and measures each response from its scheduled send time (so queueing counts), p50
and p95. Done twice: with every call recorded in the history (the default) and with
``JSSCRIPTS_HTTP_RECORD_SAMPLE=0`` (only failed calls recorded).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _support import pct, scratch_pg_database

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
SCRIPT = "function main(ctx) { return {pong: Number(ctx.request.params.n)}; }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PG = os.environ.get("JSSCRIPTS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def prepare(instance: Path, database_url: str | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "FLASK_APP": "example_app.app:create_app",
        "EXAMPLE_INSTANCE_PATH": str(instance),
        "PYTHONPATH": str(ROOT),
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    for args in (["db", "upgrade", "heads"], ["seed"]):
        subprocess.run([VENV / "flask", *args], env=env, cwd=ROOT, check=True, capture_output=True)
    code = (
        "from example_app.app import create_app\n"
        "from flask_jsscripts import tenancy\n"
        "from flask_jsscripts.services import scripts\n"
        "from flask_jsscripts.services.validation import ScriptInput\n"
        "app = create_app()\n"
        "state = app.extensions['jsscripts']\n"
        "with app.app_context(), tenancy.tenant_scope('acme'):\n"
        "    scripts.create_script(state.db.session, ScriptInput(name='bench-ping', type='http',\n"
        f"        status='active', source={SCRIPT!r}, http_path='/bench/ping/{{n}}',\n"
        "        http_methods=['GET'], http_auth='public', limits={'concurrency': 10}),\n"
        "        config=app.config,\n"
        "        runtime=state.runtime)\n"
        "    state.close_runtime()\n"
    )
    subprocess.run([VENV / "python", "-c", code], env=env, cwd=ROOT, check=True)
    return env


def serve(env: dict[str, str], port: int, sample: float, tmp: Path) -> subprocess.Popen:
    metrics = tempfile.mkdtemp(dir=tmp)
    server_env = {
        **env,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": metrics,
        "JSSCRIPTS_HTTP_RECORD_SAMPLE": str(sample),
        # the benchmark's public endpoint takes thousands of calls a minute: no default limit
        "JSSCRIPTS_PUBLIC_RATE_LIMIT": "null",
    }
    proc = subprocess.Popen(
        [
            VENV / "gunicorn",
            "-c",
            ROOT / "deploy" / "gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
            "example_app.app:create_app()",
        ],
        env=server_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            for path in ("/plain/ping/1", "/api/scripts/bench/ping/1"):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", path, headers={"X-Tenant": "acme"})
                if conn.getresponse().status != 200:
                    raise OSError(path)
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError("gunicorn did not come up")
    # warm both workers and their sandboxes
    wrk(port, "/api/scripts/bench/ping/7", 3)
    wrk(port, "/plain/ping/7", 2)
    return proc


def wrk(port: int, path: str, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c8",
            f"-d{seconds}s",
            "--latency",
            "-H",
            "X-Tenant: acme",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"errors under load:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    return {"rps": rate}


def open_loop(port: int, path: str, rate: float, seconds: float, threads: int = 4) -> list[float]:
    """Send ``rate`` requests/s for ``seconds`` on ``threads`` keep-alive connections; each
    latency is counted from the request's scheduled time."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.monotonic() + 0.2
    per_thread = rate / threads

    def client(offset: float) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        i = 0
        mine = []
        while True:
            due = start + offset + i / per_thread
            if due - start > seconds:
                break
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            conn.request("GET", path, headers={"X-Tenant": "acme"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{path}: {resp.status}")
            mine.append((time.monotonic() - due) * 1000)
            i += 1
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client, args=(k / rate,)) for k in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return latencies


def measure(port: int, seconds: int, rounds: int) -> dict[str, object]:
    plain, script = [], []
    for _ in range(rounds):
        plain.append(wrk(port, "/plain/ping/7", seconds)["rps"])
        script.append(wrk(port, "/api/scripts/bench/ping/7", seconds)["rps"])
    plain_rps, script_rps = statistics.median(plain), statistics.median(script)
    # Each round's two runs are back to back: their ratio is less exposed to the machine's
    # drift over the whole measurement than the ratio of the two medians.
    paired = statistics.median(s / p for p, s in zip(plain, script, strict=True))
    half = script_rps / 2
    lat_script = open_loop(port, "/api/scripts/bench/ping/7", half, seconds)
    lat_plain = open_loop(port, "/plain/ping/7", half, seconds)
    return {
        "plain rps": plain_rps,
        "script rps": script_rps,
        "ratio": script_rps / plain_rps,
        "paired ratio": paired,
        "half rate": half,
        "script p50/p95 ms": (pct(lat_script, 0.5), pct(lat_script, 0.95)),
        "plain p50/p95 ms": (pct(lat_plain, 0.5), pct(lat_plain, 0.95)),
        "rounds": (plain, script),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgresql", action="store_true", help="PostgreSQL, not SQLite")
    parser.add_argument(
        "--samples",
        type=float,
        nargs="+",
        default=[1.0, 0.0],
        help="JSSCRIPTS_HTTP_RECORD_SAMPLE values to measure (1: every call, 0: failures only)",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(scratch_pg_database(PG, "jss_ep")) if args.postgresql else None
        run(args, url)


def run(args: argparse.Namespace, database_url: str | None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="jsscripts-endpoints-"))
    env = prepare(tmp / "instance", database_url)
    print(
        "| calls recorded | plain view req/s | script endpoint req/s | ratio | paired ratio "
        "| half rate (req/s) | script p50 / p95 ms | plain p50 / p95 ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for sample in args.samples:
        port = free_port()
        proc = serve(env, port, sample, tmp)
        try:
            r = measure(port, args.seconds, args.rounds)
        finally:
            proc.terminate()
            proc.wait(30)
        kept = "every call" if sample >= 1 else "failures only" if sample <= 0 else f"{sample:g}"
        print(
            f"| {kept} | {r['plain rps']:.0f} | {r['script rps']:.0f} | {r['ratio']:.0%} "
            f"| {r['paired ratio']:.0%} | {r['half rate']:.0f} "
            f"| {r['script p50/p95 ms'][0]:.1f} / {r['script p50/p95 ms'][1]:.1f} "
            f"| {r['plain p50/p95 ms'][0]:.1f} / {r['plain p50/p95 ms'][1]:.1f} |",
            flush=True,
        )
        print(f"<!-- rounds plain/script req/s: {r['rounds']} -->", file=sys.stderr)


if __name__ == "__main__":
    main()
