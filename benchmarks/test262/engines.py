"""Where built test sources run: the sandbox, through ``Runtime.run`` only (whatever compiles
and runs scripts behind it), or node 20 for comparison. Both give ``t262`` outcomes."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from flask_jsscripts.runtime import Limits, RunResult, Runtime, RuntimeBusyError

NODE_RUNNER = Path(__file__).resolve().parent / "node_runner.js"

# Runtime.run reports a compile that hit its limit or lost its worker as a SyntaxError; for a
# test that is the runner's limit, not the parser's verdict.
_COMPILE_LIMITS = {
    "compiling took longer than": "timeout",
    "the sandbox worker died while compiling": "crashed",
    "the sandbox worker sent a malformed answer": "crashed",
}


class Engine(Protocol):
    def run(self, source: str) -> dict[str, Any]: ...

    def close(self) -> None: ...


def runtime_outcome(result: RunResult) -> dict[str, Any]:
    """The outcome of one ``Runtime.run``."""
    error = result.error or {}
    status = result.status
    message = str(error.get("message") or "")
    if status == "failed" and error.get("name") == "SyntaxError":
        for prefix, limit_status in _COMPILE_LIMITS.items():
            if message.startswith(prefix):
                status = limit_status
    return {
        "status": status,
        "value": result.value,
        "error": {"name": error.get("name"), "message": message} if result.error else None,
    }


class RuntimeEngine:
    """A real Runtime: ``jobs`` run workers and as many compile workers."""

    def __init__(self, jobs: int, timeout: float, memory_mb: int, compile_timeout: float):
        self.runtime = Runtime(
            workers=jobs,
            compile_workers=jobs,
            limits=Limits(timeout=timeout, memory_mb=memory_mb),
            acquire_timeout=3600.0,  # the runner's threads queue for workers by design
            compile_timeout=compile_timeout,
        )

    def run(self, source: str) -> dict[str, Any]:
        try:
            return runtime_outcome(self.runtime.run(source))
        except RuntimeBusyError as exc:
            return {
                "status": "crashed",
                "value": None,
                "error": {"name": "Busy", "message": str(exc)},
            }

    def close(self) -> None:
        self.runtime.close()


class _NodeProcess:
    def __init__(self, node: str):
        self.proc = subprocess.Popen(
            [node, "--max-old-space-size=512", str(NODE_RUNNER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.buffer = b""

    def ask(self, request: str, wait: float) -> dict[str, Any] | None:
        """The answer to one request line, or None when none came within ``wait`` seconds."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(request.encode("utf-8") + b"\n")
        self.proc.stdin.flush()
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + wait
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


class NodeEngine:
    """One long-lived node process per runner thread, each test in a fresh vm context; a
    process that does not answer in time (a job that never ends) is killed and replaced."""

    def __init__(self, timeout: float, node: str | None = None):
        found = node or shutil.which("node")
        if found is None:
            raise RuntimeError("--node needs a `node` executable on PATH")
        self.node = found
        self.timeout = timeout
        self._local = threading.local()
        self._all: list[_NodeProcess] = []
        self._lock = threading.Lock()

    def _process(self) -> _NodeProcess:
        proc = getattr(self._local, "proc", None)
        if proc is None:
            proc = _NodeProcess(self.node)
            self._local.proc = proc
            with self._lock:
                self._all.append(proc)
        return proc

    def run(self, source: str) -> dict[str, Any]:
        proc = self._process()
        request = json.dumps({"source": source, "timeoutMs": int(self.timeout * 1000)})
        answer = proc.ask(request, self.timeout + 10)
        if answer is None:
            proc.kill()
            self._local.proc = None
            return {"status": "timeout", "value": None, "error": None}
        return answer

    def close(self) -> None:
        with self._lock:
            for proc in self._all:
                if proc.proc.poll() is None:
                    proc.kill()


def run_all(
    engine: Engine,
    sources: dict[str, str],
    jobs: int,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Outcomes by key, ``jobs`` sources at a time."""
    outcomes: dict[str, dict[str, Any]] = {}
    keys: Iterable[str] = list(sources)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for done, (key, outcome) in enumerate(
            pool.map(lambda k: (k, engine.run(sources[k])), keys), start=1
        ):
            outcomes[key] = outcome
            if progress is not None:
                progress(done, len(sources))
    return outcomes


def stderr_progress(every: int = 100) -> Callable[[int, int], None]:
    started = time.monotonic()

    def report(done: int, total: int) -> None:
        if done % every == 0 or done == total:
            elapsed = time.monotonic() - started
            print(f"  {done}/{total} tests, {elapsed:.0f} s", file=sys.stderr, flush=True)

    return report
