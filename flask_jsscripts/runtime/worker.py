"""A sandbox worker process: ``python -I -m flask_jsscripts.runtime.worker``.

It runs one script at a time for its parent, speaking the frame protocol of ``protocol.py`` on
the pipes it was started with. It holds no secrets, no database connection and no app: every
``sdk.*`` call is a ``call`` frame answered by the parent. It knows nothing of Flask.

Per run it lowers its own soft ``RLIMIT_AS`` to "what it uses now + the run's memory limit", so
Duktape's allocator fails (a catchable ``alloc failed``) instead of growing without bound, and
sets ``RLIMIT_CPU`` as a backstop in case its parent dies mid-run. After an allocation failure,
a run that used much memory, or ``--max-runs`` runs, it retires (the parent replaces it).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import hashlib
import json
import os
import re
import resource
import signal
import sys
import time
from collections import OrderedDict
from importlib import resources
from typing import Any

import pyduktape2

from . import intl
from .limits import MAX_RUNS_PER_WORKER
from .protocol import FrameReader, ProtocolError, decode, encode, write_all
from .transpile import COMPILER, Transpiler

MB = 1_048_576
_LINE_SUFFIX = re.compile(r"\s*\(line \d+\)$")  # Duktape's, once the line is a field
_JS = resources.files("flask_jsscripts.runtime") / "js"
#: What every context evaluates before user code, in order (intl.js captures the bridge before
#: shim.js deletes it; the shim seals what intrinsics.js lists).
PRELUDE = ("polyfills.js", "core-js.js", "intl.js", "intrinsics.js", "shim.js")


def _js(name: str) -> str:
    path = _JS / name
    return path.read_text(encoding="utf-8") if path.is_file() else ""


_PAGE = os.sysconf("SC_PAGE_SIZE")
_STATM: int | None = None  # kept open: re-reading from offset 0 is far cheaper than reopening


def _statm() -> tuple[int, int]:
    """(virtual size, resident size) of this process in bytes (read twice per run)."""
    global _STATM
    if _STATM is None:
        _STATM = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
    size, resident = os.pread(_STATM, 128, 0).split()[:2]
    return int(size) * _PAGE, int(resident) * _PAGE


_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


class _LoadError(Exception):
    """Compiled code that Duktape did not load (a form made for another engine, or forged)."""

    def __init__(self, error: dict[str, Any]):
        super().__init__(error.get("message"))
        self.error = error


class _Sandbox:
    """A sealed Duktape context for one isolation key (a tenant), with the scripts compiled in
    it. Tenants never share a context; scripts of one tenant do, and rely on the freeze."""

    def __init__(self, bridge: Any, prelude: tuple[str, ...], max_scripts: int):
        ctx = pyduktape2.DuktapeContext()
        ctx.set_globals(__jss_bridge=bridge)
        for source in prelude:
            ctx.eval_js(source)
        self.load_fn = ctx.get_global("__jss_load")
        self.unload_fn = ctx.get_global("__jss_unload")
        self.run_fn = ctx.get_global("__jss_run")
        self.gc_fn = ctx.get_global("__jss_gc")
        ctx.eval_js("__jss_seal()")
        self.ctx = ctx
        self.scripts: OrderedDict[str, bool] = OrderedDict()
        self.max_scripts = max_scripts

    def ensure(self, key: str, code: str) -> bool:
        """Compile ``code`` under ``key`` unless it is there; True when it already was."""
        if key in self.scripts:
            self.scripts.move_to_end(key)
            return True
        loaded = json.loads(self.load_fn(key, json.dumps(code)))
        if not loaded["ok"]:
            raise _LoadError(loaded["error"])
        self.scripts[key] = loaded["hasMain"]
        while len(self.scripts) > self.max_scripts:
            old, _ = self.scripts.popitem(last=False)
            self.unload_fn(old)
        return False


class Worker:
    def __init__(self, fd_in: int, fd_out: int, cache_size: int, max_runs: int, max_sandboxes: int):
        self.reader = FrameReader(fd_in)
        self.fd_out = fd_out
        self.sandboxes: OrderedDict[str, _Sandbox] = OrderedDict()
        self.max_sandboxes = max_sandboxes
        self.cache_size = cache_size
        self.max_runs = max_runs
        self.runs = 0
        self.prelude = tuple(_js(name) for name in PRELUDE)
        self.transpiler: Transpiler | None = None
        self.syntax_box: _Sandbox | None = None
        self.baseline_rss = 0

    # -- the bridge Duktape calls; it must never raise (a raising callback corrupts Duktape) --
    def bridge(self, kind: str, text: str) -> str:
        try:
            if kind == "intl":  # formatting is pure: answered here, no round trip to the parent
                return intl.answer(text)
            if kind == "call":
                write_all(self.fd_out, b'{"op":"call","req":' + text.encode("ascii") + b"}\n")
                line = self.reader.read(None)
                return line.decode("ascii") if line else '{"fatal":"crashed","error":{}}'
            write_all(
                self.fd_out,
                b'{"op":"' + kind.encode("ascii") + b'","entry":' + text.encode("ascii") + b"}\n",
            )
            return ""
        except BaseException:  # noqa: BLE001 - anything at all becomes a value for the shim
            return '{"error":{"code":"BRIDGE_ERROR","message":"the host could not be reached"}}'

    def send(self, frame: dict[str, Any]) -> None:
        write_all(self.fd_out, encode(frame))

    # -- main loop --
    def serve(self) -> None:
        self.baseline_rss = _statm()[1]
        self.send({"op": "ready", "pid": os.getpid()})
        while True:
            try:
                line = self.reader.read(None)
            except ProtocolError:
                return  # parent went away
            frame = decode(line)
            op = frame["op"]
            if op == "run":
                retire = self.run(frame)
                if retire:
                    return
            elif op == "compile":
                self.compile(frame)
            elif op == "exit":
                return

    def compile(self, frame: dict[str, Any]) -> None:
        source = frame["source"]
        memory_mb = frame.get("memory_mb", 1024)
        try:
            if self.transpiler is None:
                # V8 reserves its address space when it starts: before the limit, never under it
                self.transpiler = Transpiler(memory_mb)
            try:
                code = self.transpiler.transpile(source)
            except Exception as exc:  # ScriptSyntaxError and Babel's own failures alike
                self.send({"op": "compiled", "error": _compile_error(exc)})
                return
            with _address_space_limit(memory_mb):
                after = self._syntax_error(code)
            if after is not None:
                self.send({"op": "compiled", "error": after})
                return
            self.send(
                {"op": "compiled", "code": code, "transpiled": code != source, "compiler": COMPILER}
            )
        except MemoryError:
            self.send({"op": "compiled", "error": _compile_error(MemoryError())})

    def _syntax_error(self, code: str) -> dict[str, Any] | None:
        """Load ``code`` the way runs load it, in a sealed context kept for checks only (loading
        runs no user code: it compiles, and finds a hoisted ``main``)."""
        if self.syntax_box is None:
            self.syntax_box = _Sandbox(self.bridge, self.prelude, 1)
        loaded = json.loads(self.syntax_box.load_fn("check", json.dumps(code)))
        self.syntax_box.unload_fn("check")
        if loaded["ok"]:
            return None
        error = loaded["error"]
        message = _LINE_SUFFIX.sub("", str(error.get("message")))
        return {"message": message, "line": error.get("line"), "column": None}

    def sandbox(self, isolation: str) -> _Sandbox:
        box = self.sandboxes.get(isolation)
        if box is None:
            box = _Sandbox(self.bridge, self.prelude, self.cache_size)
            self.sandboxes[isolation] = box
            while len(self.sandboxes) > self.max_sandboxes:
                self.sandboxes.popitem(last=False)
        else:
            self.sandboxes.move_to_end(isolation)
        return box

    def run(self, frame: dict[str, Any]) -> bool:
        """Run the script of a ``run`` frame and send its ``result``; True when this worker
        retires after it."""
        started = time.perf_counter()
        self.runs += 1
        isolation = str(frame.get("isolation") or "")
        limits = frame["limits"]
        vm_before, rss_before = _statm()
        body, cache, memory_failure = self._execute(frame, isolation, vm_before)
        _, rss_after = _statm()
        status_memory = body.startswith('{"status":"memory"')
        grew = rss_after - self.baseline_rss
        retire = (
            memory_failure
            or status_memory
            or self.runs >= self.max_runs
            or grew > 4 * limits["memory_mb"] * MB
        )
        if status_memory or rss_after - rss_before > limits["memory_mb"] * MB // 2:
            # free what the run left and give it back, so that the next run's limit is honest
            if not memory_failure and isolation in self.sandboxes:
                self.sandboxes[isolation].gc_fn()
            _libc.malloc_trim(0)
        metrics = {
            "memory_bytes": max(0, rss_after - rss_before),
            "worker_ms": round((time.perf_counter() - started) * 1000, 3),
            "cache": cache,
        }
        write_all(
            self.fd_out,
            b'{"op":"result","retire":'
            + (b"true" if retire else b"false")
            + b',"metrics":'
            + encode(metrics)[:-1]
            + b',"body":'
            + body.encode("ascii")
            + b"}\n",
        )
        return retire

    def _execute(
        self, frame: dict[str, Any], isolation: str, vm_before: int
    ) -> tuple[str, str, bool]:
        """(the run's report as JSON text, "hit" or "miss", whether the engine failed)."""
        code = frame["code"]
        key = frame.get("key") or hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()
        limits = frame["limits"]
        cache = "miss"
        intl.begin_run(frame.get("intl"))
        try:
            with (
                _address_space_limit(limits["memory_mb"], vm_before),
                _cpu_limit(limits["timeout"]),
            ):
                box = self.sandbox(isolation)
                if box.ensure(key, code):
                    cache = "hit"
                body = box.run_fn(key, frame["input"], frame["context"], frame["options"])
            return body, cache, False
        except _LoadError as exc:
            error = {**exc.error, "name": "SyntaxError", "column": None}
            return _report("failed", error), cache, False
        except MemoryError:
            return (
                _report("memory", _engine_error("RangeError", "memory limit exceeded")),
                cache,
                True,
            )
        except Exception as exc:  # noqa: BLE001 - pyduktape2 errors: report, then retire
            return (
                _report("crashed", _engine_error("InternalError", type(exc).__name__)),
                cache,
                True,
            )


def _compile_error(exc: BaseException) -> dict[str, Any]:
    """A compile failure as the ``error`` of a ``compiled`` frame."""
    if isinstance(exc, MemoryError):
        return {"message": "out of memory while compiling", "line": None, "column": None}
    return {
        "message": getattr(exc, "message", None) or str(exc),
        "line": getattr(exc, "line", None),
        "column": getattr(exc, "column", None),
    }


def _report(status: str, error: dict[str, Any]) -> str:
    """The report of a run that ended before the shim could write one."""
    return json.dumps({"status": status, "hostCalls": 0, "consoleDropped": 0, "error": error})


def _engine_error(name: str, message: str) -> dict[str, Any]:
    return {"name": name, "message": message, "stack": "", "line": None, "column": None}


class _address_space_limit:
    """Lower the soft RLIMIT_AS to current size + ``megabytes`` for the duration of a block."""

    def __init__(self, megabytes: int, current: int | None = None):
        self.megabytes = megabytes
        self.current = current

    def __enter__(self) -> None:
        self.previous = resource.getrlimit(resource.RLIMIT_AS)
        current = self.current if self.current is not None else _statm()[0]
        soft = current + self.megabytes * MB
        hard = self.previous[1]
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

    def __exit__(self, *exc: object) -> None:
        resource.setrlimit(resource.RLIMIT_AS, self.previous)


class _cpu_limit:
    """Backstop only: the parent's deadline normally kills a runaway run long before this."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __enter__(self) -> None:
        self.previous = resource.getrlimit(resource.RLIMIT_CPU)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        used = usage.ru_utime + usage.ru_stime
        resource.setrlimit(resource.RLIMIT_CPU, (int(used + self.seconds) + 5, self.previous[1]))

    def __exit__(self, *exc: object) -> None:
        resource.setrlimit(resource.RLIMIT_CPU, self.previous)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="flask_jsscripts.runtime.worker")
    parser.add_argument("--cache-size", type=int, default=64)
    parser.add_argument("--max-runs", type=int, default=MAX_RUNS_PER_WORKER)
    parser.add_argument("--max-sandboxes", type=int, default=16)
    args = parser.parse_args(argv)
    # The parent's terminal signals are the parent's business; it stops us with a frame or a kill.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Keep the protocol pipes on private descriptors; point stdio at /dev/null so that nothing
    # the engine might print can corrupt a frame.
    fd_in, fd_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    Worker(fd_in, fd_out, args.cache_size, args.max_runs, args.max_sandboxes).serve()


if __name__ == "__main__":
    main()
