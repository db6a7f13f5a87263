"""The parent's side of a run's frame exchange with its worker.

The worker is untrusted once user code has run in it: every frame it sends is counted and
checked here, its ``sdk.*`` calls are answered only for the run's capabilities, and its console
and log entries are capped again.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from . import jsonvalues
from .errors import HostCallError
from .limits import Limits
from .pool import WorkerProcess
from .protocol import MAX_CONTROL_FRAME, ProtocolError, decode, encode, json_values, write_all

log = logging.getLogger("flask_jsscripts.runtime")

Broker = Callable[[str, list[Any]], Any]
_LEVELS = {"debug", "info", "warn", "error"}


class RunState:
    """Book-keeping of one run in the parent (its caps are enforced here too: the worker is
    untrusted once user code has run in it)."""

    def __init__(self, limits: Limits, broker: Broker | None, capabilities: frozenset[str]):
        self.limits = limits
        self.broker = broker
        self.capabilities = capabilities
        self.console: list[dict[str, Any]] = []
        self.logs: list[dict[str, Any]] = []
        self.host_calls = 0
        self.entries = 0
        self.chars = 0
        self.dropped = 0

    def take_entry(self, channel: str, entry: Any) -> None:
        if not isinstance(entry, dict):
            return
        message = entry.get("message")
        if not isinstance(message, str):
            return
        size = len(message)
        if "meta" in entry:  # counted like the shim counts it (its JSON text)
            try:
                size += len(json.dumps(entry["meta"], ensure_ascii=False, separators=(",", ":")))
            except (TypeError, ValueError, RecursionError):
                return
        if (
            self.entries >= self.limits.console_entries
            or self.chars + size > self.limits.console_bytes
        ):
            self.dropped += 1
            return
        self.entries += 1
        self.chars += size
        level = entry.get("level") if entry.get("level") in _LEVELS else "info"
        ts = entry.get("ts") if isinstance(entry.get("ts"), (int, float)) else time.time() * 1000
        clean = {"level": level, "message": message, "ts": ts}
        if "meta" in entry:
            clean["meta"] = entry["meta"]
        (self.logs if channel == "log" else self.console).append(clean)

    def host_reply(self, request: Any) -> bytes:
        if not isinstance(request, dict):
            return reply_error("BAD_REQUEST", "malformed sdk call")
        name, args = request.get("name"), request.get("args")
        if not isinstance(name, str) or not isinstance(args, list):
            return reply_error("BAD_REQUEST", "malformed sdk call")
        self.host_calls += 1
        if self.host_calls > self.limits.host_calls:
            message = f"host call limit of {self.limits.host_calls} reached"
            return encode({"fatal": "host_call_limit", "error": {"message": message}})
        if self.broker is None or name not in self.capabilities:
            return reply_error("NOT_AVAILABLE", f"sdk.{name} is not available here")
        try:
            value = self.broker(name, args)
        except HostCallError as exc:
            return reply_error(exc.code, exc.message)
        except Exception:  # noqa: BLE001 - the script gets a safe message, the log gets the rest
            log.exception("sdk.%s failed", name)
            return reply_error("HOST_ERROR", f"sdk.{name} failed")
        try:
            return encode({"value": jsonvalues.as_js_numbers(value)})
        except (TypeError, ValueError, RecursionError):
            log.error("sdk.%s returned a value that is not JSON", name)
            return reply_error("HOST_ERROR", f"sdk.{name} returned a value that is not JSON")


def reply_error(code: str, message: str) -> bytes:
    return encode({"error": {"code": code, "message": message}})


class DeadlinePassed(Exception):
    """Writing to the worker outlasted the deadline: it is not reading its pipe."""


class TooManyValues(Exception):
    """A frame carries a value with more JSON values than the run's ``output_elements``."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


# Values of a frame around the one it carries (op, retire, metrics, status, error fields...):
# an honest worker's frames have far fewer.
_ENVELOPE_VALUES = 64
# op -> where its frame carries a value of the script's making, and how the error names it
_CARRIED = {
    "result": ("body", "value", "the result has"),
    "log": ("entry", "meta", "an sdk.log entry has"),
    "console": ("entry", "meta", "a console entry has"),
    "call": ("req", "args", "the arguments of an sdk call have"),
}
_OP = re.compile(rb'\{"op":"(\w+)"')


def _carrier(line: bytes) -> str:
    """What a frame not decoded carries, as its op says (an honest worker writes it first)."""
    match = _OP.match(line)
    op = match.group(1).decode("ascii") if match else ""
    return _CARRIED[op][2] if op in _CARRIED else "a frame has"


def _count_values(value: Any, limit: int) -> int:
    """The JSON values in ``value``, counted up to one past ``limit``."""
    count, stack = 0, [value]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def read_counted(worker: WorkerProcess, deadline: float, max_bytes: int, limit: int) -> dict | None:
    """The next frame of a run, or None when ``deadline`` passes. Raises TooManyValues, before
    building a single Python object of it, when the value it carries has more than ``limit``
    JSON values.

    The worker is untrusted, so its frame is counted here, on the bytes (``json_values``), not
    in the sandbox. The count covers the whole frame: past ``limit`` plus any honest envelope
    the frame is refused unread; just past ``limit`` it is decoded (no more than the limit plus
    the envelope) and its carried value counted exactly."""
    line = worker.reader.read(deadline, max_bytes)
    if line is None:
        return None
    # each value takes at least one byte: a frame no longer than the limit needs no count
    counted = json_values(line) if len(line) > limit else 0
    if counted > limit + _ENVELOPE_VALUES:
        raise TooManyValues(_carrier(line))
    frame = decode(line)
    if counted > limit:
        outer, inner, what = _CARRIED.get(frame["op"], ("", "", "a frame has"))
        holder = frame.get(outer)
        carried = holder.get(inner) if isinstance(holder, dict) and inner in holder else frame
        if _count_values(carried, limit) > limit:
            raise TooManyValues(what)
    return frame


def send(worker: WorkerProcess, data: bytes, deadline: float) -> None:
    if not write_all(worker.fd_write, data, deadline):
        raise DeadlinePassed


def converse(
    worker: WorkerProcess, run_frame: bytes, state: RunState, deadline: float
) -> tuple[str, dict[str, Any] | None, str]:
    """Send ``run_frame`` and serve the run's frames until its result arrives: ``("result",
    frame, "")``, or how the parent must end it: ``timeout``, ``crashed`` or ``output_limit``
    (with what was too large)."""
    limits = state.limits
    max_frame = 12 * limits.output_bytes + MAX_CONTROL_FRAME
    try:
        send(worker, run_frame, deadline)
        while True:
            frame = read_counted(worker, deadline, max_frame, limits.output_elements)
            if frame is None:
                return "timeout", None, ""
            op = frame["op"]
            if op == "result":
                if not (
                    isinstance(frame.get("body"), dict)
                    and isinstance(frame.get("metrics", {}), dict)
                ):  # read with .get later: a list or a string there is a broken worker
                    raise ProtocolError("malformed result frame")
                return "result", frame, ""
            if op == "call":
                reply = state.host_reply(frame.get("req"))
                if time.monotonic() >= deadline:
                    return "timeout", None, ""
                send(worker, reply, deadline)
            elif op in ("console", "log"):
                state.take_entry(op, frame.get("entry"))
            else:
                raise ProtocolError(f"unexpected frame {op!r}")
    except (ProtocolError, OSError):
        return "crashed", None, ""
    except DeadlinePassed:
        return "timeout", None, ""
    except TooManyValues as exc:
        return "output_limit", None, exc.what
