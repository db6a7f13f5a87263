"""Soak: the example admin on gunicorn (2 workers) + 2 Huey consumers on Redis + PostgreSQL,
mixed traffic for ``--minutes`` (default 10) while things break, then an account of every run.

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--json benchmarks/soak-last.json]

Private PostgreSQL and Redis servers (temporary directories, free ports) are started for the
run, so restarting them breaks nothing else on the machine. Traffic, all against the acme
tenant: manual runs through the admin UI (logged-in session, CSRF), calls of a public script
endpoint, 1,000 events/minute into 50 filtered subscriptions (each event matches exactly one,
or none for a tenth of them), 20 every-minute cron scripts, and a trickle of hostile scripts
(infinite loop, memory bomb, SSRF attempt at the metadata address). Faults: a random sandbox
worker SIGKILLed every 30 s; one consumer SIGKILLed at 30% of the run and restarted; Redis
restarted (its queue lost: no persistence) at 50%; PostgreSQL restarted at 70%.

The account: every accepted run and event ends completed, failed or dead-lettered, none lost,
none run twice; p50/p95 of each traffic kind before, during and after the big faults; memory of
every process at start and end; the failure rate of valid scripts.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from _support import pct

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from consumer_fixtures import PostgresServer, RedisServer, free_port, wait_for  # noqa: E402

VENV = ROOT / ".venv" / "bin"
TENANT = "acme"
SUBSCRIPTIONS = 50
CRON_SCRIPTS = 20
EVENT_TYPE = "soak.order.created"


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return []
    return [int(p) for p in out.split()]


# --- HTTP client with cookies ---------------------------------------------------------------


class Client:
    """One keep-alive connection with a cookie jar; reconnects after errors."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: dict | None = None, headers: dict | None = None
    ):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, data, headers)
                resp = self.conn.getresponse()
                text = resp.read().decode("utf-8", "replace")
                break
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for header in resp.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        return resp.status, resp.headers, text


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def login(client: Client, email: str) -> str:
    _, _, page = client.request("GET", "/login")
    token = CSRF_RE.search(page).group(1)
    status, headers, _ = client.request(
        "POST", "/login", {"csrf_token": token, "email": email, "password": "demo"}
    )
    if status != 302:
        raise RuntimeError(f"login failed: {status}")
    _, _, page = client.request("GET", "/admin/scripts/")
    return CSRF_RE.search(page).group(1)


# --- the stack --------------------------------------------------------------------------------


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.pg = PostgresServer()
        self.redis = RedisServer(tmp)
        self.web_port = free_port()
        self.metrics_dir = tmp / "prom"
        self.metrics_dir.mkdir()
        self.env = {
            **os.environ,
            "FLASK_APP": "example_app.app:create_app",
            "EXAMPLE_INSTANCE_PATH": str(tmp / "instance"),
            "SECRET_KEY": "soak",
            "JSSCRIPTS_HUEY_URL": self.redis.url,
            "JSSCRIPTS_POOL_SIZE": "2",
            # A run lost with its process is re-driven this long after its deadline.
            "JSSCRIPTS_REAPER_GRACE_SECONDS": "10",
            # the public soak endpoint is called ten times a second: no default rate limit
            "JSSCRIPTS_PUBLIC_RATE_LIMIT": "null",
            "PYTHONPATH": str(ROOT),
        }
        self.web: subprocess.Popen | None = None
        self.consumers: list[subprocess.Popen | None] = [None, None]
        self.logs: list[Any] = []

    def start_servers(self) -> None:
        self.pg.start()
        self.redis.start()
        self.env["DATABASE_URL"] = self.pg.url

    def flask(self, *args: str) -> None:
        subprocess.run(
            [VENV / "flask", *args], env=self.env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        self.logs.append(log)
        return subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_web(self) -> None:
        env = {**self.env, "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir)}
        conf = ROOT / "deploy" / "gunicorn.conf.py"
        args = [str(VENV / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{self.web_port}"]
        if conf.exists():
            args += ["--config", str(conf)]
        self.web = self._spawn("web", [*args, "example_app.app:create_app()"], env)

        def answers() -> bool:
            try:
                return Client(self.web_port).request("GET", "/login")[0] == 200
            except OSError:
                return False

        wait_for(answers, 60, "gunicorn")

    def start_consumer(self, i: int) -> None:
        self.consumers[i] = self._spawn(
            f"consumer{i}", [str(VENV / "flask"), "jsscripts", "worker", "-w", "4"], self.env
        )

    def sandbox_workers(self) -> list[int]:
        """The sandboxes of the web workers and consumers (not this driver's idle pool)."""
        owners = [p.pid for p in self.consumers if p is not None]
        if self.web is not None:
            owners += children(self.web.pid)
        return [pid for owner in owners for pid in children(owner)]

    def memory(self) -> dict[str, int]:
        """RSS in KiB by role."""
        roles: dict[str, int] = defaultdict(int)
        if self.web is not None:
            roles["gunicorn master"] = rss_kib(self.web.pid)
            for pid in children(self.web.pid):
                roles["gunicorn workers"] += rss_kib(pid)
        for i, proc in enumerate(self.consumers):
            if proc is not None:
                roles[f"consumer {i}"] = rss_kib(proc.pid)
        roles["sandbox workers"] = sum(rss_kib(p) for p in self.sandbox_workers())
        if self.redis.proc is not None:
            roles["redis"] = rss_kib(self.redis.proc.pid)
        roles["postgres"] = sum(rss_kib(p) for p in self.pg.pids())
        return dict(roles)

    def stop(self) -> None:
        procs = [p for p in (self.web, *self.consumers) if p is not None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.redis.stop()
        self.pg.destroy()


# --- scripts ------------------------------------------------------------------------------------

SUBSCRIBER = (
    "function main(ctx) { return {bucket: ctx.event.data.bucket, seq: ctx.event.data.seq}; }"
)
CRON = "function main(ctx) { var n = 0; for (var i = 0; i < 1000; i++) { n += i; } return n; }"
MANUAL = "const main = (ctx) => ({doubled: ctx.input.n * 2, seen: ctx.input.seq});"
ENDPOINT = "function main(ctx) { return {pong: Number(ctx.request.params.n)}; }"
HOSTILE = {
    "soak-loop": "while (true) {}",
    "soak-bomb": "var a = []; while (true) { a.push(new Array(100000).join('x') + a.length); }",
    "soak-ssrf": (
        "function main() { try { sdk.http.get('http://169.254.169.254/latest/meta-data/');"
        " return 'reached'; } catch (e) { return e.code || String(e); } }"
    ),
}


def create_scripts(app) -> dict[str, str]:
    from flask_jsscripts import tenancy
    from flask_jsscripts.services import scripts
    from flask_jsscripts.services.validation import ScriptInput

    state = app.extensions["jsscripts"]
    ids: dict[str, str] = {}

    def make(name: str, **fields: Any) -> None:
        with tenancy.tenant_scope(TENANT):
            ids[name] = scripts.create_script(
                state.db.session,
                ScriptInput(name=name, status="active", **fields),
                config=app.config,
                runtime=state.runtime,
            ).script.id

    with app.app_context():
        for k in range(SUBSCRIPTIONS):
            make(
                f"soak-sub-{k:02d}",
                type="event",
                source=SUBSCRIBER,
                event_types=[EVENT_TYPE],
                event_filter={"all": [{"path": "bucket", "op": "eq", "value": k}]},
                limits={"timeout": 5},
            )
        for k in range(CRON_SCRIPTS):
            make(
                f"soak-cron-{k:02d}",
                type="scheduled",
                source=CRON,
                cron="* * * * *",
                limits={"timeout": 5},
            )
        make("soak-manual", type="manual", source=MANUAL, limits={"timeout": 5})
        make(
            "soak-http",
            type="http",
            source=ENDPOINT,
            http_path="/soak/ping/{n}",
            http_methods=["GET"],
            http_auth="public",
            limits={"timeout": 5},
        )
        for name, source in HOSTILE.items():
            make(name, type="manual", source=source, limits={"timeout": 1, "memory_mb": 32})
    return ids


# --- traffic ------------------------------------------------------------------------------------


class Recorder:
    def __init__(self, t0: float, minutes: float) -> None:
        self.t0 = t0
        self.minutes = minutes
        self.lock = threading.Lock()
        self.samples: dict[str, list[tuple[float, float]]] = defaultdict(list)  # kind -> (t, ms)
        self.outcomes: dict[str, Counter] = defaultdict(Counter)
        self.ui_runs: dict[str, list[tuple[str, str]]] = defaultdict(list)  # (name, execution)
        self.events: list[tuple[str, int, float]] = []  # (event id, bucket, published at)
        self.errors: list[str] = []

    def add(self, kind: str, started: float, outcome: str) -> None:
        with self.lock:
            self.samples[kind].append((started - self.t0, (time.monotonic() - started) * 1000))
            self.outcomes[kind][outcome] += 1

    def phase(self, t: float) -> str:
        span = self.minutes * 60
        return "before" if t < 0.3 * span else "during" if t < 0.8 * span else "after"


def run_through_the_ui(
    stack: Stack,
    rec: Recorder,
    ids: dict[str, str],
    stop: threading.Event,
    kind: str,
    names: list[str],
    every: float,
) -> None:
    """Run the named scripts in turn with the Run button's POST (signed in, CSRF), noting the
    execution id each accepted run redirects to."""
    client = Client(stack.web_port)
    token = login(client, "dev@acme.test")
    seq = 0
    while not stop.is_set():
        name = names[seq % len(names)]
        seq += 1
        started = time.monotonic()
        try:
            status, headers, _ = client.request(
                "POST",
                f"/admin/scripts/{ids[name]}/run",
                {"csrf_token": token, "input": json.dumps({"n": seq, "seq": seq})},
            )
        except Exception as exc:  # noqa: BLE001 - counted, the loop goes on
            rec.add(kind, started, f"error {type(exc).__name__}")
        else:
            if status == 303:
                execution_id = headers["Location"].rstrip("/").rsplit("/", 1)[-1]
                rec.ui_runs[kind].append((name, execution_id))
                rec.add(kind, started, "accepted")
            else:
                rec.add(kind, started, f"http {status}")
        stop.wait(every)


def run_endpoint(stack: Stack, rec: Recorder, stop: threading.Event, every: float) -> None:
    client = Client(stack.web_port)
    n = 0
    while not stop.is_set():
        n += 1
        started = time.monotonic()
        try:
            status, _, body = client.request(
                "GET", f"/api/scripts/soak/ping/{n}", headers={"X-Tenant": TENANT}
            )
            ok = status == 200 and json.loads(body) == {"pong": n}
            rec.add("http", started, "ok" if ok else f"http {status}")
        except Exception as exc:  # noqa: BLE001
            rec.add("http", started, f"error {type(exc).__name__}")
        stop.wait(every)


def run_events(app, rec: Recorder, stop: threading.Event, per_minute: int) -> None:
    state = app.extensions["jsscripts"]
    interval = 60.0 / per_minute
    seq = 0
    next_at = time.monotonic()
    while not stop.is_set():
        seq += 1
        bucket = random.randrange(int(SUBSCRIPTIONS * 1.1))  # a tenth match no subscription
        started = time.monotonic()
        try:
            with app.app_context():
                row = state.extension.publish(
                    EVENT_TYPE, {"bucket": bucket, "seq": seq}, tenant_id=TENANT
                )
                state.db.session.commit()
                rec.events.append((row.id, bucket, time.time()))
            rec.add("publish", started, "accepted")
        except Exception as exc:  # noqa: BLE001 - a failed commit is a refused event, not a lost one
            rec.add("publish", started, f"refused {type(exc).__name__}")
        next_at += interval
        stop.wait(max(0.0, next_at - time.monotonic()))


def faults(
    stack: Stack, rec: Recorder, stop: threading.Event, minutes: float, log: list[str]
) -> None:
    span = minutes * 60
    plan = [
        (0.3 * span, "kill consumer"),
        (0.5 * span, "restart redis"),
        (0.7 * span, "restart postgres"),
    ]
    next_kill = 30.0
    while not stop.is_set():
        t = time.monotonic() - rec.t0
        if t >= next_kill:
            next_kill += 30
            workers = stack.sandbox_workers()
            if workers:
                victim = random.choice(workers)
                os.kill(victim, signal.SIGKILL)
                log.append(f"{t:6.1f}s SIGKILL sandbox worker {victim}")
        if plan and t >= plan[0][0]:
            _, what = plan.pop(0)
            if what == "kill consumer":
                proc = stack.consumers[0]
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                log.append(f"{t:6.1f}s SIGKILL consumer 0 (pid {proc.pid})")
                time.sleep(2)
                stack.start_consumer(0)
                log.append(f"{time.monotonic() - rec.t0:6.1f}s consumer 0 restarted")
            elif what == "restart redis":
                stack.redis.stop()
                log.append(f"{t:6.1f}s redis stopped (queue contents lost)")
                time.sleep(3)
                stack.redis.start()
                log.append(f"{time.monotonic() - rec.t0:6.1f}s redis started")
            else:
                stack.pg.stop()
                stack.pg.start()
                log.append(f"{time.monotonic() - rec.t0:6.1f}s postgres restarted (-m fast)")
        stop.wait(0.5)


# --- the account --------------------------------------------------------------------------------


def drain(app, timeout: float) -> float:
    """Wait until no run is pending or running and every event is dispatched."""
    from sqlalchemy import func, select

    from flask_jsscripts import tenancy
    from flask_jsscripts.models import Execution, OutboxEvent

    state = app.extensions["jsscripts"]
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with app.app_context(), tenancy.all_tenants():
            session = state.db.session
            busy = session.scalar(
                select(func.count())
                .select_from(Execution)
                .where(Execution.status.in_(("pending", "running")))
            )
            waiting = session.scalar(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status == "pending")
            )
        if busy == 0 and waiting == 0:
            return time.monotonic() - started
        time.sleep(5)
    raise RuntimeError(
        f"not drained after {timeout:.0f} s: {busy} runs active, {waiting} events waiting"
    )


def account(app, rec: Recorder, ids: dict[str, str], run_started: float) -> dict[str, Any]:
    from sqlalchemy import select

    from flask_jsscripts import tenancy
    from flask_jsscripts.models import DeadLetter, Execution, OutboxEvent

    state = app.extensions["jsscripts"]
    report: dict[str, Any] = {}
    name_of = {v: k for k, v in ids.items()}
    with app.app_context(), tenancy.all_tenants():
        session = state.db.session
        rows = session.execute(
            select(
                Execution.id,
                Execution.script_id,
                Execution.trigger,
                Execution.status,
                Execution.event_id,
                Execution.attempt,
                Execution.created_at,
                Execution.started_at,
                Execution.finished_at,
                Execution.end_reason,
            )
        ).all()
        letters = session.execute(select(DeadLetter.event_id, DeadLetter.script_id)).all()
        outbox = {
            r.id: r.status for r in session.execute(select(OutboxEvent.id, OutboxEvent.status))
        }

    by_id = {r.id: r for r in rows}
    # Events: one final outcome per (event, matching subscription), none for unmatched events.
    runs = defaultdict(list)
    runs_of_event = Counter()
    for r in rows:
        if r.trigger == "event":
            runs[(r.event_id, r.script_id)].append(r)
            runs_of_event[r.event_id] += 1
    lettered = {(e, s) for e, s in letters}
    ev = Counter()
    event_latency: list[tuple[float, float]] = []
    for event_id, bucket, published in rec.events:
        if event_id not in outbox:
            ev["lost (no outbox row)"] += 1
            continue
        if bucket >= SUBSCRIPTIONS:
            ran = runs_of_event[event_id]
            ev["unmatched, no run (correct)" if not ran else "unmatched but ran (wrong)"] += 1
            continue
        key = (event_id, ids[f"soak-sub-{bucket:02d}"])
        attempts = runs.get(key, [])
        completed = [r for r in attempts if r.status == "completed"]
        attempt_numbers = [r.attempt for r in attempts]
        if len(attempt_numbers) != len(set(attempt_numbers)) or len(completed) > 1:
            ev["duplicated"] += 1
        if completed:
            ev["completed"] += 1
            ev[f"completed on attempt {completed[0].attempt}"] += 1
            event_latency.append(
                (published - run_started, (completed[0].finished_at.timestamp() - published) * 1000)
            )
        elif key in lettered:
            ev["dead-lettered"] += 1
        elif not attempts:
            ev["lost (no run)"] += 1
        else:
            ev["lost (no final outcome)"] += 1
    report["events"] = dict(ev)
    rec.samples["event (publish to recorded)"] = event_latency

    def final(ids_: list[str]) -> Counter:
        c = Counter()
        for i in ids_:
            r = by_id.get(i)
            c["missing" if r is None else f"{r.status}/{r.end_reason}"] += 1
        return c

    report["manual"] = dict(final([i for _, i in rec.ui_runs["manual"]]))
    hostile = defaultdict(Counter)
    for name, i in rec.ui_runs["hostile"]:
        r = by_id.get(i)
        hostile[name]["missing" if r is None else f"{r.status}/{r.end_reason}"] += 1
    report["hostile"] = {k: dict(v) for k, v in hostile.items()}
    http_rows = Counter(
        f"{r.status}/{r.end_reason}" for r in rows if name_of.get(r.script_id) == "soak-http"
    )
    report["http"] = {"responses": dict(rec.outcomes["http"]), "recorded runs": dict(http_rows)}

    # Cron: at most one run per script per minute; minutes without a run are counted.
    per_minute = defaultdict(Counter)
    cron_latency = []
    for r in rows:
        name = name_of.get(r.script_id, "")
        if r.trigger == "cron" and name.startswith("soak-cron-"):
            minute = r.created_at.replace(second=0, microsecond=0)
            per_minute[name][minute] += 1
            if r.started_at is not None:
                cron_latency.append(
                    (
                        r.started_at.timestamp() - run_started,
                        (r.started_at - minute).total_seconds() * 1000,
                    )
                )
    doubles = sum(1 for c in per_minute.values() for n in c.values() if n > 1)
    minutes_seen = [len(c) for c in per_minute.values()]
    cron_status = Counter(f"{r.status}/{r.end_reason}" for r in rows if r.trigger == "cron")
    report["cron"] = {
        "scripts": len(per_minute),
        "minutes with a run, min/max per script": [
            min(minutes_seen or [0]),
            max(minutes_seen or [0]),
        ],
        "minutes with two runs": doubles,
        "outcomes": dict(cron_status),
    }
    rec.samples["cron (due minute to start)"] = cron_latency

    valid = [
        r
        for r in rows
        if name_of.get(r.script_id, "").startswith(
            ("soak-sub", "soak-cron", "soak-manual", "soak-http")
        )
    ]
    failed = [r for r in valid if r.status != "completed"]
    final_fail = report["events"].get("dead-lettered", 0) + sum(
        n for k, n in report["manual"].items() if not k.startswith("completed")
    )
    report["valid runs"] = {
        "executions": len(valid),
        "not completed": len(failed),
        "execution failure rate": round(len(failed) / max(1, len(valid)), 4),
        "failure reasons": dict(Counter(f"{r.status}/{r.end_reason}" for r in failed)),
        "final failures (events dead-lettered + manual runs failed)": final_fail,
    }
    return report


def latency_table(rec: Recorder) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for kind, samples in sorted(rec.samples.items()):
        row = {}
        for phase in ("before", "during", "after"):
            ms = [v for t, v in samples if rec.phase(t) == phase]
            row[phase] = f"{pct(ms, 0.5):.1f} / {pct(ms, 0.95):.1f} ms (n={len(ms)})" if ms else "-"
        table[kind] = row
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--events-per-minute", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="jsscripts-soak-"))
    os.chmod(tmp, 0o755)
    stack = Stack(tmp)
    stack.start_servers()
    os.environ.update(stack.env)  # this process publishes events and reads the account
    sys.path.insert(0, str(ROOT))
    try:
        stack.flask("db", "upgrade", "heads")
        stack.flask("seed")
        from example_app.app import create_app

        app = create_app()
        ids = create_scripts(app)
        stack.start_web()
        stack.start_consumer(0)
        stack.start_consumer(1)
        time.sleep(5)
        memory_start = stack.memory()

        stop = threading.Event()
        rec = Recorder(time.monotonic(), args.minutes)
        run_started = time.time()
        fault_log: list[str] = []
        memory_trend: list[tuple[float, int]] = []
        threads = [
            threading.Thread(
                target=run_through_the_ui,
                args=(stack, rec, ids, stop, "manual", ["soak-manual"], 0.5),
            ),
            threading.Thread(
                target=run_through_the_ui,
                args=(stack, rec, ids, stop, "hostile", list(HOSTILE), 5.0),
            ),
            threading.Thread(target=run_endpoint, args=(stack, rec, stop, 0.1)),
            threading.Thread(target=run_events, args=(app, rec, stop, args.events_per_minute)),
            threading.Thread(target=faults, args=(stack, rec, stop, args.minutes, fault_log)),
        ]
        for t in threads:
            t.start()
        end = rec.t0 + args.minutes * 60
        while time.monotonic() < end:
            time.sleep(min(30, max(0.1, end - time.monotonic())))
            sample = stack.memory()
            sample["sandbox worker count"] = len(stack.sandbox_workers())
            memory_trend.append((round(time.monotonic() - rec.t0), sample))
        stop.set()
        for t in threads:
            t.join(120)
        drained = drain(app, timeout=600)
        memory_end = stack.memory()
        settled = account(app, rec, ids, run_started)  # adds the event and cron latencies
        report = {
            "minutes": args.minutes,
            "drained after (s)": round(drained, 1),
            "faults": fault_log,
            "latency p50 / p95": latency_table(rec),
            "client outcomes": {k: dict(v) for k, v in rec.outcomes.items()},
            "memory KiB at start": memory_start,
            "memory KiB at end": memory_end,
            "memory KiB every 30 s": memory_trend,
            **settled,
        }
        text = json.dumps(report, indent=2, default=str)
        print(text)
        if args.json:
            args.json.write_text(text + "\n")
    finally:
        stack.stop()
        print(f"logs in {tmp}", file=sys.stderr)


if __name__ == "__main__":
    main()
