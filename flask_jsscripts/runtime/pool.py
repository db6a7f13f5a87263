"""Pre-started sandbox worker processes, handed out one run at a time.

Waiting callers are served strictly first come, first served: a released worker goes straight
to the oldest waiter. A worker that was killed or retired is replaced in the background from a
warm spare, so the caller that hit a timeout returns at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from .errors import RuntimeClosedError
from .limits import MAX_RUNS_PER_WORKER
from .protocol import FrameReader, ProtocolError, decode, encode, write_all


class RuntimeBusyError(RuntimeError):
    """No worker became free within the acquire timeout."""


# TZ is kept so that a script's local dates match the host's.
WORKER_ENVIRONMENT = {"PATH": os.defpath, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"} | (
    {"TZ": os.environ["TZ"]} if "TZ" in os.environ else {}
)


class WorkerProcess:
    """The parent's handle on one worker: its process, pipes and frame reader."""

    def __init__(self, args: list[str], start_timeout: float = 30.0):
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: killpg reaches everything in it
            close_fds=True,
            # Not the host's environment: it holds the secret key and database URLs, and a
            # script that broke out of Duktape could read /proc/self/environ.
            env=WORKER_ENVIRONMENT,
        )
        self.pid = self.proc.pid
        self.fd_write = self.proc.stdin.fileno()
        os.set_blocking(self.fd_write, False)  # writes with a deadline must never block
        self.reader = FrameReader(self.proc.stdout.fileno())
        self.runs = 0
        self.alive = True
        line = self.reader.read(time.monotonic() + start_timeout)
        if line is None or decode(line).get("op") != "ready":
            self.kill()
            raise RuntimeError("sandbox worker did not start")

    def send(self, frame: dict) -> None:
        write_all(self.fd_write, encode(frame))

    def send_raw(self, data: bytes) -> None:
        write_all(self.fd_write, data)

    def kill(self) -> None:
        """SIGKILL the worker's process group and reap it."""
        self.alive = False
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        self._close_pipes()
        with contextlib.suppress(subprocess.TimeoutExpired):  # SIGKILL cannot be ignored
            self.proc.wait(timeout=5)

    def stop(self, timeout: float = 1.0) -> None:
        """Ask an idle worker to exit; kill it if it does not."""
        if self.alive:
            try:
                self.send({"op": "exit"})
                self.proc.wait(timeout=timeout)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()


@dataclass
class _Waiter:
    event: threading.Event = field(default_factory=threading.Event)
    worker: WorkerProcess | None = None


class WorkerPool:
    def __init__(
        self,
        size: int,
        spare: int = 1,
        cache_size: int = 64,
        max_runs: int = MAX_RUNS_PER_WORKER,
        python: str | None = None,
    ):
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        self.size = size
        self.spare = max(0, spare)
        self.args = [
            python or sys.executable,
            "-I",
            "-m",
            "flask_jsscripts.runtime.worker",
            "--cache-size",
            str(cache_size),
            "--max-runs",
            str(max_runs),
        ]
        self._lock = threading.Lock()
        self._idle: deque[WorkerProcess] = deque()
        self._spares: deque[WorkerProcess] = deque()
        self._waiters: deque[_Waiter] = deque()
        self._busy: set[WorkerProcess] = set()
        self._starting = 0
        self._closed = False
        self._wakeup = threading.Condition(self._lock)
        self._drained = threading.Condition(self._lock)
        self.replacements = 0
        # Start everything in parallel, then wait for the working set.
        first = [
            threading.Thread(target=self._start_one, daemon=True)
            for _ in range(self.size + self.spare)
        ]
        with self._lock:
            self._starting += len(first)
        for t in first:
            t.start()
        for t in first:
            t.join()
        if len(self._idle) < self.size:
            self.close()
            raise RuntimeError("could not start the sandbox workers")
        self._keeper = threading.Thread(target=self._keep_full, name="jsscripts-pool", daemon=True)
        self._keeper.start()

    # -- hand-out --
    def acquire(self, timeout: float | None = None) -> WorkerProcess:
        with self._lock:
            if self._closed:
                raise RuntimeClosedError("the runtime is closed")
            if self._idle and not self._waiters:
                worker = self._idle.pop()  # most recently used: its caches are warmest
                self._busy.add(worker)
                return worker
            waiter = _Waiter()
            self._waiters.append(waiter)
        if not waiter.event.wait(timeout):
            with self._lock:
                if waiter.worker is None:
                    self._waiters.remove(waiter)
                    raise RuntimeBusyError("no sandbox worker became free in time")
        if waiter.worker is None:
            raise RuntimeClosedError("the runtime is closed")
        return waiter.worker

    def release(self, worker: WorkerProcess) -> None:
        with self._lock:
            self._busy.discard(worker)
            if self._closed:
                self._drained.notify_all()
            else:
                self._give(worker)
                return
        worker.stop()

    def discard(self, worker: WorkerProcess) -> None:
        """The worker was killed, crashed or retired: reap it and bring in a replacement."""
        worker.kill()
        with self._lock:
            self._busy.discard(worker)
            self.replacements += 1
            if self._closed:
                self._drained.notify_all()
                return
            if self._spares:
                self._give(self._spares.popleft())
            self._wakeup.notify()

    def _give(self, worker: WorkerProcess) -> None:
        # caller holds the lock
        while self._waiters:
            waiter = self._waiters.popleft()
            waiter.worker = worker
            self._busy.add(worker)
            waiter.event.set()
            return
        self._idle.append(worker)

    # -- keeping the pool full --
    def _missing(self) -> int:
        have = len(self._idle) + len(self._busy) + len(self._spares) + self._starting
        return self.size + self.spare - have

    def _keep_full(self) -> None:
        while True:
            with self._lock:
                while not self._closed and self._missing() <= 0:
                    self._wakeup.wait()
                if self._closed:
                    return
                self._starting += 1
            self._start_one()

    def _start_one(self) -> None:
        try:
            worker: WorkerProcess | None = WorkerProcess(self.args)
        except (OSError, RuntimeError, ProtocolError):
            worker = None
        with self._lock:
            self._starting -= 1
            if worker is not None and not self._closed:
                if len(self._idle) + len(self._busy) < self.size:
                    self._give(worker)
                else:
                    self._spares.append(worker)
                return
        if worker is not None:
            worker.stop()  # the pool closed while it started
        else:
            time.sleep(0.05)  # a failed start: do not spin

    # -- observation and shutdown --
    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "workers": len(self._idle) + len(self._busy),
                "busy": len(self._busy),
                "idle": len(self._idle),
                "spare": len(self._spares),
                "waiting": len(self._waiters),
                "replacements": self.replacements,
            }

    def pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in (*self._idle, *self._busy, *self._spares)]

    def close(self, grace: float = 0.0) -> None:
        """Stop handing out workers, let busy ones finish for up to ``grace`` seconds, then
        stop every worker and reap it."""
        with self._lock:
            self._closed = True
            self._wakeup.notify_all()
            for waiter in self._waiters:
                waiter.event.set()
            self._waiters.clear()
            deadline = time.monotonic() + grace
            while self._busy and grace > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._drained.wait(remaining)
            leftovers = [*self._idle, *self._spares, *self._busy]
            self._idle.clear()
            self._spares.clear()
            self._busy.clear()
        for worker in leftovers:
            worker.stop(timeout=0.2)
