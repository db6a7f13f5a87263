"""The public runtime: compile and run JavaScript in the worker pools.

The caller's process never runs JavaScript. ``Runtime.run`` takes a worker, sends the run, and
then only waits on the worker's pipe (``poll`` releases the GIL), serving the run's ``sdk.*``
calls through ``broker`` in the calling thread, until the result arrives or the deadline passes;
then the worker's process group is killed and a warm spare takes its place.

Compiling (the syntax check, and Babel for modern syntax) happens in a pool of its own, started
on the first compile: a compile may take up to ``compile_timeout`` and must not hold a worker
that runs are waiting for. Both pools share workers out fairly between tenants (``pool.py``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import jsonvalues
from .errors import RuntimeClosedError, ScriptSyntaxError
from .exchange import Broker, DeadlinePassed, RunState, converse, send
from .intl import check_defaults
from .limits import MAX_RUNS_PER_WORKER, Limits
from .outcome import RunResult, failure_error, finish, int_or_none, reported, script_error
from .pool import WorkerPool, WorkerProcess
from .protocol import MAX_CONTROL_FRAME, ProtocolError, decode, encode
from .transpile import COMPILER


@dataclass(frozen=True)
class CompiledScript:
    """Source made runnable: Babel's ES5 output, lines kept (``transpiled`` when it differs from
    the source)."""

    source_hash: str
    code: str
    transpiled: bool
    #: The compiler that made ``code`` (``transpile.COMPILER``); "" when unknown.
    compiler: str = ""

    @functools.cached_property
    def key(self) -> str:
        """Identifies the compiled form in the workers' context caches (hashed once, not on
        every run)."""
        return hashlib.sha256(self.code.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


# Duktape's JSON.parse rounds integers beyond 2**53 wrongly (2**53 + 1 arrives as 2**53 + 2):
# it gets the nearest double's digits instead. Every such integer has at least 16 digits, so
# JSON text without such a run of digits needs no walk.
_LONG_DIGITS = re.compile(r"\d{16}")


def _to_json_text(value: Any, what: str) -> str:
    try:
        text = json.dumps(value, ensure_ascii=True, allow_nan=False)
        if _LONG_DIGITS.search(text) is None:
            return text
        return json.dumps(jsonvalues.as_js_numbers(value), ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON-compatible: {exc}") from None
    except RecursionError:
        raise ValueError(f"{what} is nested too deeply") from None


@functools.lru_cache(maxsize=256)
def _options_json(limits: Limits, capabilities: tuple[str, ...]) -> str:
    # the same few (limits, capabilities) pairs come back run after run
    return json.dumps({"limits": limits.to_shim(), "capabilities": list(capabilities)})


class Runtime:
    """A pool of sandbox workers plus the compilation cache. Thread-safe; one per process."""

    #: What compiles in this runtime's compile workers; a stored form made by another
    #: compiler is stale and must be compiled again before it runs.
    compiler: str = COMPILER

    def __init__(
        self,
        workers: int = 2,
        *,
        spare: int = 1,
        limits: Limits | None = None,
        cache_size: int = 64,
        compile_cache_size: int = 1024,
        max_runs_per_worker: int = MAX_RUNS_PER_WORKER,
        acquire_timeout: float = 30.0,
        compile_timeout: float = 30.0,
        python: str | None = None,
        tenant_reserve: int = 0,
        compile_workers: int = 1,
    ):
        """``workers`` processes run scripts (plus ``spare`` warm ones); ``compile_workers``
        more compile sources, started on the first compile. In each pool one isolation key
        (tenant) holds at most all but ``tenant_reserve`` of the workers at once (at least
        one): 0 lets one tenant take a whole pool."""
        if compile_workers < 1:
            raise ValueError("compiling needs at least one worker")
        self.default_limits = (limits or Limits()).validate()
        self.acquire_timeout = acquire_timeout
        self.compile_timeout = compile_timeout
        self._compiled: OrderedDict[str, CompiledScript] = OrderedDict()
        self._compile_cache_size = compile_cache_size
        self._compiled_lock = threading.Lock()
        self.pool = WorkerPool(
            workers,
            spare=spare,
            cache_size=cache_size,
            max_runs=max_runs_per_worker,
            python=python,
            tenant_reserve=tenant_reserve,
        )
        self._compile_pool_args = {
            "size": compile_workers,
            "spare": 0,  # a compile that timed out waits for a fresh worker: compiles are rare
            "cache_size": 1,  # compile workers never run scripts
            "python": python,
            "tenant_reserve": tenant_reserve,
        }
        self._compile_pool: WorkerPool | None = None
        self._compile_pool_lock = threading.Lock()
        self._closed = False
        self._owner_pid = os.getpid()
        # Interpreter exit must not leave worker processes behind (weakref.finalize runs at
        # exit too); a forked child must not stop its parent's workers. The list gains the
        # compile pool when it starts.
        self._pools: list[WorkerPool] = [self.pool]
        self._finalizer = weakref.finalize(self, _close_pools, self._pools, self._owner_pid)

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, grace: float = 0.0) -> None:
        """Stop accepting runs, let in-flight runs finish for up to ``grace`` seconds, then stop
        and reap every worker."""
        with self._compile_pool_lock:  # no compile pool starts after this
            self._closed = True
        self._finalizer.detach()
        _close_pools(self._pools, self._owner_pid, grace)

    def stats(self) -> dict[str, int]:
        """The run pool's figures (the compile pool's: ``compile_pool.stats()``)."""
        return self.pool.stats()

    @property
    def compile_pool(self) -> WorkerPool:
        """The compile workers, started on first use."""
        if self._closed:
            raise RuntimeClosedError("the runtime is closed")
        pool = self._compile_pool
        if pool is not None:
            return pool
        with self._compile_pool_lock:
            if self._closed:
                raise RuntimeClosedError("the runtime is closed")
            if self._compile_pool is None:
                self._compile_pool = WorkerPool(**self._compile_pool_args)
                self._pools.append(self._compile_pool)
            return self._compile_pool

    # -- compiling --
    def compile(self, source: str, *, isolation: str = "") -> CompiledScript:
        """Parse (and if needed transpile) ``source`` once; cached by source hash.

        Runs in the compile pool, where ``isolation`` (the tenant) gets its fair share. Raises
        ScriptSyntaxError, RuntimeBusyError when no compile worker frees up within
        ``acquire_timeout``, and RuntimeClosedError after close()."""
        if not isinstance(source, str):
            raise TypeError("source must be a string")
        digest = source_hash(source)
        cached = self._cached(digest)
        if cached is not None:
            return cached
        pool = self.compile_pool
        worker = pool.acquire(self.acquire_timeout, isolation)
        deadline = time.monotonic() + self.compile_timeout
        try:
            send(worker, encode({"op": "compile", "source": source}), deadline)
            frame = self._read(worker, deadline, 12 * len(source) + MAX_CONTROL_FRAME)
        except (ProtocolError, OSError):
            pool.discard(worker)
            raise ScriptSyntaxError("the sandbox worker died while compiling") from None
        except DeadlinePassed:
            frame = None
        if frame is None:
            pool.discard(worker)
            raise ScriptSyntaxError(f"compiling took longer than {self.compile_timeout:g} s")
        error, code = frame.get("error"), frame.get("code")
        if frame["op"] != "compiled" or not (
            isinstance(error, dict) if error else isinstance(code, str)
        ):
            # a worker that once ran user code is untrusted: a wrong answer ends it
            pool.discard(worker)
            raise ScriptSyntaxError("the sandbox worker sent a malformed answer while compiling")
        pool.release(worker)
        if error:
            raise ScriptSyntaxError(
                str(error.get("message")),
                int_or_none(error.get("line")),
                int_or_none(error.get("column")),
            )
        compiler = frame.get("compiler")
        return self._remember(
            CompiledScript(
                digest,
                code,
                bool(frame.get("transpiled")),
                compiler if isinstance(compiler, str) else "",
            )
        )

    def _cached(self, digest: str) -> CompiledScript | None:
        with self._compiled_lock:
            compiled = self._compiled.get(digest)
            if compiled is not None:
                self._compiled.move_to_end(digest)
            return compiled

    def _remember(self, compiled: CompiledScript) -> CompiledScript:
        with self._compiled_lock:
            self._compiled[compiled.source_hash] = compiled
            while len(self._compiled) > self._compile_cache_size:
                self._compiled.popitem(last=False)
        return compiled

    # -- running --
    def run(
        self,
        source: str | CompiledScript,
        input: Any = None,  # noqa: A002 - the documented name
        *,
        limits: Limits | None = None,
        context: dict[str, Any] | None = None,
        broker: Broker | None = None,
        capabilities: Iterable[str] | None = None,
        isolation: str = "",
        locale: str | None = None,
        time_zone: str | None = None,
    ) -> RunResult:
        """Run a script and report how it ended.

        ``capabilities`` names the ``sdk.*`` functions the script sees (dotted, e.g.
        ``"kv.get"``); each call reaches ``broker(name, args)`` in this thread. Scripts with
        different ``isolation`` keys (tenants) never share a JavaScript context, and each key
        gets its fair share of the workers. ``locale`` (a BCP 47 tag, e.g. the host request's)
        and ``time_zone`` (an IANA name) are the defaults of the script's ``Intl`` and
        ``toLocaleString``; without them "en" and "UTC".

        Never raises for anything the script does; raises ValueError for input/context that is
        not JSON, RuntimeClosedError after close() and RuntimeBusyError when no worker frees up
        within ``acquire_timeout``."""
        limits = (limits or self.default_limits).validate()
        input_json = _to_json_text(input, "input")
        context_json = _to_json_text(context or {}, "context")
        if capabilities is None:
            capabilities = getattr(broker, "capabilities", ()) if broker else ()
        caps = tuple(sorted(set(capabilities)))
        options = _options_json(limits, caps)
        intl_settings = check_defaults(locale, time_zone) if locale or time_zone else None

        if isinstance(source, CompiledScript):
            compiled = source
        else:
            # compiled (once: cached by source hash) even when Duktape would load it as it is:
            # Duktape reads some sources with another meaning (`const` scoped to the function,
            # `[a, b] = [b, a]` failing at run time)
            try:
                compiled = self.compile(source, isolation=isolation)
            except ScriptSyntaxError as exc:
                return _syntax_failure(exc)
        run = (
            input_json,
            context_json,
            options,
            limits,
            broker,
            frozenset(caps),
            isolation,
            intl_settings,
        )
        result = self._run_compiled(compiled, *run)
        return result

    def _acquire(self, isolation: str) -> WorkerProcess:
        if self._closed:
            raise RuntimeClosedError("the runtime is closed")
        return self.pool.acquire(self.acquire_timeout, isolation)

    def _read(self, worker: WorkerProcess, deadline: float, max_bytes: int) -> dict | None:
        line = worker.reader.read(deadline, max_bytes)
        return None if line is None else decode(line)

    def _run_compiled(
        self,
        compiled: CompiledScript,
        input_json: str,
        context_json: str,
        options: str,
        limits: Limits,
        broker: Broker | None,
        capabilities: frozenset[str],
        isolation: str,
        intl_settings: dict[str, str] | None = None,
    ) -> RunResult:
        queued = time.perf_counter()
        worker = self._acquire(isolation)
        started = time.perf_counter()
        deadline = time.monotonic() + limits.timeout
        state = RunState(limits, broker, capabilities)
        run_frame = {
            "op": "run",
            "key": compiled.key,
            "code": compiled.code,
            "isolation": isolation,
            "input": input_json,
            "context": context_json,
            "options": options,
            "limits": {"memory_mb": limits.memory_mb, "timeout": limits.timeout},
        }
        if intl_settings:
            run_frame["intl"] = intl_settings
        status, frame, too_many = converse(worker, encode(run_frame), state, deadline)
        metrics: dict[str, Any] = {
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "queue_ms": round((started - queued) * 1000, 3),
            "memory_bytes": 0,
            "host_calls": state.host_calls,
            "cache": "miss",
        }
        if frame is None:
            worker.kill()
            returncode = worker.proc.returncode
            self.pool.discard(worker)
            error = failure_error(status, limits, returncode, too_many)
            return finish(status, None, error, state, metrics)
        worker.runs += 1
        if frame.get("retire"):
            self.pool.discard(worker)
        else:
            self.pool.release(worker)
        return reported(frame, state, metrics)


def _syntax_failure(exc: ScriptSyntaxError) -> RunResult:
    return RunResult(
        "failed",
        error={**script_error("SyntaxError", exc.message), "line": exc.line, "column": exc.column},
    )


def _close_pools(pools: list[WorkerPool], owner_pid: int, grace: float = 0.0) -> None:
    if os.getpid() == owner_pid:
        deadline = time.monotonic() + grace  # one grace period for all pools together
        for pool in pools:
            pool.close_by(deadline)
