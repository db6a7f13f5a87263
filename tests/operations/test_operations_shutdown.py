"""Graceful shutdown with real signals to real processes, mid-run.

Web: gunicorn (the example admin, two sync workers) gets SIGTERM while a request runs a
3-second script: the run finishes, the response arrives, the execution is recorded, the
sandbox workers are reaped. Consumer: ``flask jsscripts worker`` gets SIGTERM or SIGINT
while an event run is in progress: the run finishes within JSSCRIPTS_SHUTDOWN_GRACE_SECONDS and
is recorded, runs not started go back to the queue, the consumer exits 0 and leaves no sandbox
worker behind. Past the grace (or on a second signal) the run is cut off and its row stays
``running`` for the reaper, which closes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from consumer_fixtures import Stack, wait_for
from operations_fixtures import Browser, ExampleSite, running, sandbox_workers_of
from sqlalchemy import select

from flask_jsscripts.models import Execution, utcnow
from flask_jsscripts.services import executions
from flask_jsscripts.tasks import TasksInProgress

pytestmark = pytest.mark.timeout(240)

LONG = "function main(ctx) { var t = Date.now(); while (Date.now() - t < %d) {} return 'done' }"


# --- web: gunicorn -------------------------------------------------------------------------


def test_gunicorn_sigterm_lets_the_run_in_progress_finish_and_reaps_the_sandboxes(tmp_path):
    site = ExampleSite(tmp_path, JSSCRIPTS_POOL_SIZE=1, JSSCRIPTS_SHUTDOWN_GRACE_SECONDS=10)
    script = site.create_script("slow", LONG % 3000)
    site.start(workers=2)
    try:
        browser = Browser(site)
        outcome: dict = {}

        def press_run() -> None:
            try:
                outcome["execution"] = browser.run(script)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                outcome["error"] = exc

        clicked = threading.Thread(target=press_run)
        clicked.start()
        running_row = wait_for(lambda: site.running_execution(script), 20, "the run to start")
        sandboxes = sandbox_workers_of(site.worker_pids())
        assert sandboxes, "each gunicorn worker that ran or probed has its sandbox workers"

        signalled = time.monotonic()
        site.proc.send_signal(signal.SIGTERM)
        clicked.join(30)
        exit_code = site.proc.wait(30)
        stopped_after = time.monotonic() - signalled

        assert "error" not in outcome, outcome
        assert outcome["execution"] == running_row  # the 303 to the execution page arrived
        assert site.execution(running_row) == {
            "status": "completed",
            "output": "done",
            "end_reason": "completed",
        }
        assert exit_code == 0, site.output()
        assert stopped_after < 10 + 5  # the grace period (gunicorn's graceful_timeout)
        assert not [pid for pid in sandboxes if running(pid)], "sandbox workers left behind"
    finally:
        site.stop()


# --- consumers: flask jsscripts worker -----------------------------------------------------


@pytest.fixture
def stack(tmp_path):
    made: list[Stack] = []

    def make(**config) -> Stack:
        made.append(
            Stack(
                "sqlite",
                f"sqlite:///{tmp_path / 'app.db'}",
                f"sqlite:///{tmp_path / 'huey.sqlite3'}",
                tmp_path,
                {"JSSCRIPTS_RETRY_ATTEMPTS": 0, **config},
            )
        )
        return made[-1]

    yield make
    for item in made:
        item.close()


def statuses(stack: Stack) -> dict[str, str]:
    return stack.query(
        lambda s: {
            str(row.input["data"]["n"]): row.status
            for row in s.scalars(select(Execution).where(Execution.trigger == "event"))
        }
    )


def wait_until_running(stack: Stack, n: int) -> None:
    wait_for(lambda: statuses(stack).get(str(n)) == "running", 60, f"run {n} to start")


def stop(proc: subprocess.Popen, *signals: int) -> tuple[int, float]:
    """Send the signals (0.3 s apart); return the exit code and the seconds it took."""
    started = time.monotonic()
    for number, sig in enumerate(signals):
        if number:
            time.sleep(0.3)
        proc.send_signal(sig)
    try:
        code = proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the consumer did not stop")
    return code, time.monotonic() - started


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_consumer_finishes_the_run_in_progress_and_requeues_the_rest(stack, sig):
    s = stack(JSSCRIPTS_SHUTDOWN_GRACE_SECONDS=15)
    s.create_script("slow", LONG % 3000, event_types=["job.*"])
    s.publish([("job.run", {"n": 1}), ("job.run", {"n": 2})])  # one batch of two runs
    proc = s.start_consumer("-w", "1", "--no-periodic")
    wait_until_running(s, 1)
    sandboxes = sandbox_workers_of({proc.pid})
    assert sandboxes

    code, took = stop(proc, sig)

    assert code == 0, s.consumer_output()
    assert statuses(s) == {"1": "completed", "2": "pending"}  # 2 was never started
    assert took < 15
    assert not [pid for pid in sandboxes if running(pid)], "sandbox workers left behind"
    output = s.consumer_output()
    assert f"{signal.Signals(sig).name}: stopping" in output
    assert "cut off" not in output and "Traceback" not in output

    # The run that was not started went back to the queue: the next consumer does it.
    s.start_consumer("-w", "1", "--no-periodic", name="next")
    wait_for(lambda: statuses(s) == {"1": "completed", "2": "completed"}, 60, "run 2")


def test_consumer_past_the_grace_cuts_the_run_off_and_leaves_it_to_the_reaper(stack):
    s = stack(JSSCRIPTS_SHUTDOWN_GRACE_SECONDS=1)
    s.create_script("slow", LONG % 8000, event_types=["job.*"])
    s.publish([("job.run", {"n": 1})])
    proc = s.start_consumer("-w", "1", "--no-periodic")
    wait_until_running(s, 1)
    sandboxes = sandbox_workers_of({proc.pid})

    code, took = stop(proc, signal.SIGTERM)

    assert code == 0, s.consumer_output()
    assert took < 8 - 1  # well before the script would have ended by itself
    assert statuses(s) == {"1": "running"}  # nothing recorded the kill as the script's fault
    assert not [pid for pid in sandboxes if running(pid)], "sandbox workers left behind"
    assert "1 run(s) cut off" in s.consumer_output()
    _the_reaper_closes_it(s)


def test_consumer_second_signal_stops_at_once(stack):
    s = stack(JSSCRIPTS_SHUTDOWN_GRACE_SECONDS=60)
    s.create_script("slow", LONG % 8000, event_types=["job.*"])
    s.publish([("job.run", {"n": 1})])
    proc = s.start_consumer("-w", "1", "--no-periodic")
    wait_until_running(s, 1)
    sandboxes = sandbox_workers_of({proc.pid})

    code, took = stop(proc, signal.SIGTERM, signal.SIGINT)

    assert code == 0, s.consumer_output()
    assert took < 8 - 1
    assert statuses(s) == {"1": "running"}
    assert not [pid for pid in sandboxes if running(pid)], "sandbox workers left behind"
    _the_reaper_closes_it(s)


def _the_reaper_closes_it(s: Stack) -> None:
    """Past its deadline the cut-off row is closed like any run whose process died."""
    reaped = s.query(
        lambda session: executions.reap_stale(
            session, now=utcnow() + timedelta(minutes=10), grace_seconds=60
        )
    )
    assert reaped == 1
    assert statuses(s) == {"1": "failed"}


def test_a_task_still_counts_as_in_progress_after_a_signal_interrupted_a_join():
    """What the cut-off relies on: Python 3.11 marks a thread stopped when a signal interrupts
    a join of it, while it still runs (CPython issue 90882); the count does not."""
    in_progress = TasksInProgress()
    release = threading.Event()

    def task() -> None:
        with in_progress.counting():
            while not release.is_set():  # a signal may cut a wait short
                release.wait(0.1)

    worker = threading.Thread(target=task, daemon=True)
    worker.start()
    wait_for(lambda: in_progress.count == 1, 5, "the task to start")
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        worker.join(10)
    assert in_progress.count == 1
    assert not in_progress.wait_until_none(0.1)
    release.set()
    assert in_progress.wait_until_none(5) and in_progress.count == 0
