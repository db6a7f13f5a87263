"""Pre-started sandbox worker processes, handed out one run at a time, fairly between tenants.

Every hand-out names a tenant (the run's isolation key). One tenant may hold at most
``size - tenant_reserve`` workers at once (at least one): runs are not preemptible, so only
capacity held back from a tenant that already holds its share lets another tenant's run start
at once while that tenant keeps the rest busy with long runs. Waiters queue per tenant; a
worker that comes free goes to the waiting tenant holding the fewest workers (the longest
waiting one among equals), so tenants take turns and one tenant's waiters are served first
come, first served. A worker that was killed or retired is replaced in the background from a
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
from itertools import count

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


@dataclass(eq=False)
class _Waiter:
    tenant: str
    arrival: int  # breaks ties between tenants: the longest waiting one goes first
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
        tenant_reserve: int = 0,
    ):
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        if tenant_reserve < 0:
            raise ValueError("tenant_reserve cannot be negative")
        self.size = size
        self.spare = max(0, spare)
        # the most workers one tenant holds at once; a pool of one cannot keep any back
        self.tenant_share = max(1, size - tenant_reserve)
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
        self._queues: dict[str, deque[_Waiter]] = {}  # per tenant, only while non-empty
        self._waiting = 0
        self._arrivals = count()
        self._busy: dict[WorkerProcess, str] = {}  # worker -> the tenant holding it
        self._held: dict[str, int] = {}  # tenant -> workers it holds, only while > 0
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
    def acquire(self, timeout: float | None = None, tenant: str = "") -> WorkerProcess:
        """A worker for one run of ``tenant``; raises RuntimeBusyError when none is handed
        over within ``timeout`` seconds."""
        with self._lock:
            if self._closed:
                raise RuntimeClosedError("the runtime is closed")
            held = self._held.get(tenant, 0)
            # A worker is idle only while every waiting tenant holds its share, so a tenant
            # below its share takes it without overtaking anyone.
            if self._idle and held < self.tenant_share:
                worker = self._idle.pop()  # most recently used: its caches are warmest
                self._busy[worker] = tenant
                self._held[tenant] = held + 1
                return worker
            waiter = _Waiter(tenant, next(self._arrivals))
            queue = self._queues.get(tenant)
            if queue is None:
                queue = self._queues[tenant] = deque()
            queue.append(waiter)
            self._waiting += 1
        if not waiter.event.wait(timeout):
            with self._lock:
                if waiter.worker is None and not self._closed:
                    self._leave_queue(waiter)
                    held = self._held.get(tenant, 0)
                    if held >= self.tenant_share:
                        raise RuntimeBusyError(
                            f"no sandbox worker within {timeout:g} s: this tenant's runs hold"
                            f" {held} of the {self.size} workers, its share"
                        )
                    raise RuntimeBusyError(
                        f"no sandbox worker became free within {timeout:g} s: all {self.size}"
                        " are busy"
                    )
        if waiter.worker is None:
            raise RuntimeClosedError("the runtime is closed")
        return waiter.worker

    def release(self, worker: WorkerProcess) -> None:
        with self._lock:
            self._let_go(worker)
            if self._closed:
                self._drained.notify_all()
            else:
                self._idle.append(worker)
                if self._waiting:
                    self._dispatch()
                return
        worker.stop()

    def discard(self, worker: WorkerProcess) -> None:
        """The worker was killed, crashed or retired: reap it and bring in a replacement."""
        worker.kill()
        with self._lock:
            self._let_go(worker)
            self.replacements += 1
            if self._closed:
                self._drained.notify_all()
                return
            if self._spares:
                self._idle.append(self._spares.popleft())
            if self._waiting:  # its tenant may be below its share again: an idle worker fits
                self._dispatch()
            self._wakeup.notify()

    def _let_go(self, worker: WorkerProcess) -> None:
        # caller holds the lock
        tenant = self._busy.pop(worker, None)
        if tenant is not None:
            held = self._held[tenant] - 1
            if held:
                self._held[tenant] = held
            else:
                del self._held[tenant]

    def _dispatch(self) -> None:
        """Hand idle workers to waiters, the tenant holding the fewest first (caller holds the
        lock). A scan over the waiting tenants: as many as the threads waiting, at most."""
        while self._idle and self._waiting:
            best: deque[_Waiter] | None = None
            best_rank = (0, 0)
            for tenant, queue in self._queues.items():
                held = self._held.get(tenant, 0)
                if held < self.tenant_share:
                    rank = (held, queue[0].arrival)
                    if best is None or rank < best_rank:
                        best, best_rank = queue, rank
            if best is None:
                return  # every waiting tenant holds its share: the idle workers are held back
            waiter = best[0]
            self._leave_queue(waiter)
            worker = self._idle.pop()
            self._busy[worker] = waiter.tenant
            self._held[waiter.tenant] = best_rank[0] + 1
            waiter.worker = worker
            waiter.event.set()

    def _leave_queue(self, waiter: _Waiter) -> None:
        # caller holds the lock
        queue = self._queues[waiter.tenant]
        if queue[0] is waiter:
            queue.popleft()
        else:
            queue.remove(waiter)
        if not queue:
            del self._queues[waiter.tenant]
        self._waiting -= 1

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
                    self._idle.append(worker)
                    if self._waiting:
                        self._dispatch()
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
                "waiting": self._waiting,
                # runs waiting because their tenant already holds its share
                "waiting_over_share": sum(
                    len(queue)
                    for tenant, queue in self._queues.items()
                    if self._held.get(tenant, 0) >= self.tenant_share
                ),
                "replacements": self.replacements,
            }

    def pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in (*self._idle, *self._busy, *self._spares)]

    def close(self, grace: float = 0.0) -> None:
        """Stop handing out workers, let busy ones finish for up to ``grace`` seconds, then
        stop every worker and reap it."""
        self.close_by(time.monotonic() + grace)

    def close_by(self, deadline: float) -> None:
        """:meth:`close`, with busy workers given until ``deadline`` (``time.monotonic``)."""
        with self._lock:
            self._closed = True
            self._wakeup.notify_all()
            for queue in self._queues.values():
                for waiter in queue:
                    waiter.event.set()
            self._queues.clear()
            self._waiting = 0
            while self._busy:
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
