"""Worker processes, concurrency, fairness and clean shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from polling import wait_until

from flask_jsscripts.runtime import Limits, Runtime, RuntimeClosedError


def children(pid: int) -> set[int]:
    """Direct child processes of ``pid`` (from every thread's /proc children list)."""
    found: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.update(int(c) for c in f.read().split())
        except FileNotFoundError:
            pass
    return found


def running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_scripts_run_in_worker_processes(rt):
    assert rt.run("1").status == "completed"
    # two workers and a warm spare (which may still be starting after an earlier kill)
    assert wait_until(lambda: len(rt.pool.pids()) == 3)
    pids = rt.pool.pids()
    assert os.getpid() not in pids
    assert set(pids) <= children(os.getpid())
    for pid in pids:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        assert b"flask_jsscripts.runtime.worker" in argv
        assert b"-I" in argv
        # each worker leads its own process group, so killpg reaches all of it
        assert os.getpgid(pid) == pid


def test_workers_do_not_inherit_the_hosts_environment(monkeypatch):
    # The host's environment holds SECRET_KEY and database URLs; a worker must not see them.
    monkeypatch.setenv("JSSCRIPTS_TEST_SECRET", "hunter2")
    with Runtime(workers=1) as runtime:
        assert runtime.run("1").status == "completed"
        for pid in runtime.pool.pids():
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = dict(
                    item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item
                )
            assert b"JSSCRIPTS_TEST_SECRET" not in environ
            assert set(environ) <= {b"PATH", b"LANG", b"LC_ALL", b"TZ"}


def test_caller_process_never_loads_duktape():
    code = (
        "import sys, json\n"
        "from flask_jsscripts.runtime import Runtime, Limits\n"
        "with Runtime(workers=1, spare=0) as rt:\n"
        "    a = rt.run('function main(ctx) { return ctx.input + 1 }', input=1).value\n"
        "    b = rt.run('const f = () => 2; f()').value\n"
        "print(json.dumps([a, b, 'pyduktape2' in sys.modules,"
        " any('duktape' in m for m in sys.modules)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [2, 2, False, False]


def test_runaway_script_does_not_block_other_threads(rt):
    ticks: list[float] = []
    stop = threading.Event()

    def heartbeat():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    t = threading.Thread(target=heartbeat)
    t.start()
    try:
        time.sleep(0.05)
        started = time.monotonic()
        r = rt.run("while (true) {}", limits=Limits(timeout=1.0))
        ended = time.monotonic()
    finally:
        stop.set()
        t.join()
    assert r.status == "timeout"
    during = [x for x in ticks if started <= x <= ended]
    assert len(during) > 20
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False) if started - 0.05 <= a <= ended]
    assert max(gaps) < 0.1


def test_parallel_runs_on_two_workers(rt):
    results = [None] * 8
    src = (
        "function main(ctx) { var s = 0; for (var i = 0; i < 200000; i++) { s += i; }"
        " return [ctx.input, s]; }"
    )

    def go(i):
        results[i] = rt.run(src, input=i, limits=Limits(timeout=30))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in results] == ["completed"] * 8
    assert [r.value for r in results] == [[i, 19999900000] for i in range(8)]
    assert rt.stats()["busy"] == 0


def test_waiters_are_served_first_come_first_served():
    """Runs of one tenant get workers in the order they asked. Each run holds its worker until
    the test lets it go, so exactly one waiter is served per step (no timing involved)."""
    with Runtime(workers=2, spare=0) as rt:
        order: list[int] = []
        gates = {i: threading.Event() for i in (*range(6), 100, 101)}

        def broker(name, args):
            order.append(args[0])
            gates[args[0]].wait(20)

        def go(i):
            rt.run(
                "function main(ctx) { sdk.mark(ctx.input); }",
                input=i,
                broker=broker,
                capabilities=["mark"],
                limits=Limits(timeout=30),
            )

        threads = []
        for i, waiting in [(100, 0), (101, 0), *((i, i + 1) for i in range(6))]:
            t = threading.Thread(target=go, args=(i,))
            t.start()
            threads.append(t)
            if i >= 100:  # two runs take both workers
                assert wait_until(lambda i=i: i in order)
            else:  # six more queue up in a known order
                assert wait_until(lambda waiting=waiting: rt.stats()["waiting"] == waiting)
        for step, held in enumerate((100, 101, *range(6))):
            gates[held].set()  # one worker comes free: the oldest waiter gets it
            if step < 6:
                assert wait_until(lambda step=step: len(order) == 3 + step)
        for t in threads:
            t.join()
        assert order == [100, 101, 0, 1, 2, 3, 4, 5]


def test_close_reaps_every_worker():
    before = children(os.getpid())
    rt = Runtime(workers=2)
    assert rt.run("1").value == 1
    pids = set(rt.pool.pids())
    assert len(pids) == 3
    assert pids <= children(os.getpid()) - before
    # a replacement started after a timeout is reaped as well
    assert rt.run("while (true) {}", limits=Limits(timeout=0.3)).status == "timeout"
    assert wait_until(lambda: rt.stats()["spare"] == 1)
    pids |= set(rt.pool.pids())
    rt.close()
    assert not any(running(p) for p in pids)
    assert children(os.getpid()) - before == set()
    with pytest.raises(RuntimeClosedError):
        rt.run("1")
    rt.close()  # idempotent


def test_close_while_a_run_is_in_flight():
    before = children(os.getpid())
    rt = Runtime(workers=1, spare=0)
    out = {}

    def go():
        out["r"] = rt.run(
            "var end = Date.now() + 300; while (Date.now() < end) {} 7", limits=Limits(timeout=10)
        )

    t = threading.Thread(target=go)
    t.start()
    assert wait_until(lambda: rt.stats()["busy"] == 1)
    rt.close(grace=5.0)
    t.join(10)
    assert out["r"].status == "completed" and out["r"].value == 7
    assert wait_until(lambda: children(os.getpid()) - before == set())


SUBPROCESS = (
    "import json, sys\n"
    "from flask_jsscripts.runtime import Runtime\n"
    "rt = Runtime(workers=2)\n"
    "rt.run('1')\n"
    "print(json.dumps(rt.pool.pids()), flush=True)\n"
)


def test_interpreter_exit_without_close_leaves_no_workers():
    out = subprocess.run(
        [sys.executable, "-c", SUBPROCESS], capture_output=True, text=True, timeout=60, check=True
    )
    pids = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(pids) == 3
    assert wait_until(lambda: not any(running(p) for p in pids), timeout=5)


def test_killed_parent_leaves_no_workers():
    # SIGKILL skips atexit: the workers notice their pipe closing and exit on their own
    proc = subprocess.Popen(
        [sys.executable, "-c", SUBPROCESS + "import time; time.sleep(60)\n"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        pids = json.loads(proc.stdout.readline())
        assert all(running(p) for p in pids)
    finally:
        proc.kill()
        proc.wait()
    assert wait_until(lambda: not any(running(p) for p in pids), timeout=5)


def test_forked_child_exit_does_not_stop_the_parents_workers():
    """gunicorn forks after the app is loaded: a child exiting must leave the parent's pool
    alone (it starts its own on first use)."""
    import atexit

    with Runtime(workers=1, spare=0) as runtime:
        assert runtime.run("1").status == "completed"
        pids = runtime.pool.pids()
        child = os.fork()
        if child == 0:  # what interpreter exit does in the child: run the exit hooks
            try:
                atexit._run_exitfuncs()
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        assert all(os.path.exists(f"/proc/{pid}") for pid in pids)
        assert runtime.run("2").value == 2


def test_runaway_run_of_a_dead_parent_is_stopped_by_the_cpu_backstop():
    """The parent's deadline cannot stop a run once the parent is gone; RLIMIT_CPU does."""
    worker = subprocess.Popen(
        [sys.executable, "-I", "-m", "flask_jsscripts.runtime.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert json.loads(worker.stdout.readline())["op"] == "ready"
        options = {
            "limits": Limits(timeout=1).to_shim(),
            "capabilities": [],
        }
        run = {
            "op": "run",
            "key": "loop",
            "code": "function main() { for (;;) {} }",
            "isolation": "t",
            "input": "null",
            "context": "{}",
            "options": json.dumps(options),
            "limits": {"memory_mb": 64, "timeout": 1},
        }
        worker.stdin.write(json.dumps(run).encode() + b"\n")
        worker.stdin.close()  # nobody will ever kill it now
        started = time.monotonic()
        # SIGXCPU after the run's timeout + 5 seconds of CPU (worker._cpu_limit)
        assert worker.wait(timeout=60) == -signal.SIGXCPU
        assert time.monotonic() - started >= 1
    finally:
        worker.kill()
        worker.wait()
