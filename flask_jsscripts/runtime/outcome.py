"""How a run ended, as the caller sees it: :class:`RunResult`, and the mapping from a worker's
report (or its failure to give one) to a status and an error."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .exchange import RunState
from .limits import Limits

STATUSES = (
    "completed",
    "failed",
    "timeout",
    "memory",
    "output_limit",
    "host_call_limit",
    "crashed",
)


@dataclass
class RunResult:
    status: str
    value: Any = None
    error: dict[str, Any] | None = None
    console: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "completed"


def script_error(name: str, message: str) -> dict[str, Any]:
    """An error as the script's own errors are reported (no position)."""
    return {
        "name": name,
        "message": message,
        "stack": f"{name}: {message}",
        "line": None,
        "column": None,
    }


def failure_error(status: str, limits: Limits, returncode: int | None, what: str) -> dict:
    """The error of a run the parent ended: ``timeout``, ``output_limit`` (``what`` names the
    value that was too large) or ``crashed``."""
    if status == "timeout":
        return script_error(
            "TimeoutError", f"the script ran longer than its limit of {limits.timeout:g} s"
        )
    if status == "output_limit":
        message = (
            f"{what} more than {limits.output_elements} JSON elements (the output element limit)"
        )
        return {**script_error("LimitError", message), "code": "output_limit"}
    how = f" (signal {-returncode})" if returncode is not None and returncode < 0 else ""
    return script_error("InternalError", f"the sandbox worker died{how}")


def reported(frame: dict[str, Any], state: RunState, metrics: dict[str, Any]) -> RunResult:
    """The result of a run the worker reported on (its ``result`` frame)."""
    body = frame["body"]
    wm = frame.get("metrics", {})
    metrics["memory_bytes"] = int_or_none(wm.get("memory_bytes")) or 0
    metrics["cache"] = "hit" if wm.get("cache") == "hit" else "miss"
    status = body.get("status") if body.get("status") in STATUSES else "crashed"
    error = body.get("error") if isinstance(body.get("error"), dict) else None
    if status != "completed" and error is None:
        error = script_error("InternalError", "the run ended without a report")
    state.dropped += max(0, int_or_none(body.get("consoleDropped")) or 0)
    value = body.get("value") if status == "completed" else None
    return finish(status, value, error, state, metrics)


def finish(
    status: str, value: Any, error: dict | None, state: RunState, metrics: dict[str, Any]
) -> RunResult:
    console = state.console
    if state.dropped:
        console.append(
            {
                "level": "warn",
                "ts": time.time() * 1000,
                "message": f"{state.dropped} console entries dropped (limit reached)",
            }
        )
    return RunResult(status, value, error, console, state.logs, metrics)


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
