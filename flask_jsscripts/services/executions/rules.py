"""The rules a run must meet to start: its trigger switched on, its input JSON within the
limits, its script in a state that may run, the concurrency caps; and the deadlines of its row.

``deadline_at`` means two things, by status: for a ``running`` row, when its process must have
recorded an outcome (else the reaper closes it); for a ``pending`` row, when it must have been
picked up (else the sweep enqueues it again, which is harmless: only one claim succeeds).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ...models import EXECUTION_TRIGGERS
from ...runtime import jsonvalues
from ..errors import RunRefused, ValidationError

ACTIVE = ("pending", "running")
# Triggers that fire without a person pressing a button: only `active` scripts answer them.
AUTOMATIC_TRIGGERS = ("cron", "event", "http")
TRIGGER_FLAGS = {
    "manual": "JSSCRIPTS_ENABLE_MANUAL",
    "api": "JSSCRIPTS_ENABLE_MANUAL",
    "cron": "JSSCRIPTS_ENABLE_CRON",
    "event": "JSSCRIPTS_ENABLE_EVENTS",
    "http": "JSSCRIPTS_ENABLE_HTTP",
}
# How a runtime ending maps onto the execution's status (end_reason keeps the detail).
STATUS_OF_END = {
    "completed": "completed",
    "failed": "failed",
    "timeout": "timeout",
    "memory": "failed",
    "output_limit": "failed",
    "host_call_limit": "failed",
    "crashed": "failed",
}
DEADLINE_MARGIN = timedelta(seconds=5)  # transport and recording on top of the timeout


def running_deadline(started: datetime, timeout: float) -> datetime:
    return started + timedelta(seconds=timeout) + DEADLINE_MARGIN


def pending_deadline(now: datetime, config: Mapping[str, Any], delay: float = 0) -> datetime:
    return now + timedelta(seconds=delay + config["JSSCRIPTS_REAPER_GRACE_SECONDS"])


def check_trigger(config: Mapping[str, Any], trigger: str) -> None:
    if trigger not in EXECUTION_TRIGGERS:
        raise ValidationError({"trigger": [f"must be one of {', '.join(EXECUTION_TRIGGERS)}"]})
    if not config["JSSCRIPTS_ENABLED"] or not config[TRIGGER_FLAGS[trigger]]:
        raise RunRefused(f"{trigger} runs are switched off", "disabled")


def check_input(config: Mapping[str, Any], input: Any) -> str:
    """The input as JSON text, or ValidationError for one no run can take."""
    try:
        # Very deep nesting, integers beyond a double and lone surrogates (which the drivers
        # cannot encode) must be refused here, before any row is written.
        jsonvalues.check(input)
        encoded = json.dumps(input, allow_nan=False, ensure_ascii=False)
        size = len(encoded.encode("utf-8"))
    except (TypeError, ValueError, RecursionError):
        raise ValidationError(
            {"input": [f"the input must be JSON, nested at most {jsonvalues.MAX_DEPTH} levels"]}
        ) from None
    if size > config["JSSCRIPTS_MAX_INPUT_BYTES"]:
        raise ValidationError(
            {"input": [f"the input exceeds {config['JSSCRIPTS_MAX_INPUT_BYTES']} bytes"]}
        )
    return encoded


def refusal(status: str, trigger: str, *, new: bool) -> str | None:
    """Why a script in ``status`` may not run on ``trigger`` (None: it may). Archived and
    disabled scripts start no new run at all (``new``); automatic triggers need an active
    script, also for a run queued before the script was paused."""
    if new and status in ("archived", "disabled"):
        return f"the script is {status}"
    if trigger in AUTOMATIC_TRIGGERS and status != "active":
        return f"the script is {status}: only active scripts run on {trigger}"
    return None


def check_may_run(status: str, trigger: str, *, new: bool = True) -> None:
    """:func:`refusal` as a RunRefused (reason ``inactive``)."""
    reason = refusal(status, trigger, new=new)
    if reason is not None:
        raise RunRefused(reason, "inactive")


@dataclass(frozen=True)
class Cap:
    """One concurrency cap: of the script or of the tenant."""

    scope: str  # "script" or "tenant"
    limit: int
    reason: str  # RunRefused reason when full
    message: str


def caps_of(limits: Mapping[str, Any], config: Mapping[str, Any]) -> tuple[Cap, Cap]:
    """The script's and the tenant's concurrency caps, for a script with ``limits``."""
    per_script = limits.get("concurrency", config["JSSCRIPTS_DEFAULT_CONCURRENCY_PER_SCRIPT"])
    per_tenant = config["JSSCRIPTS_MAX_CONCURRENCY_PER_TENANT"]
    return (
        Cap(
            "script",
            per_script,
            "script_concurrency",
            f"the script already has {per_script} runs in progress (its concurrency limit)",
        ),
        Cap(
            "tenant",
            per_tenant,
            "tenant_concurrency",
            f"this tenant already has {per_tenant} runs in progress",
        ),
    )


def check_concurrency(
    limits: Mapping[str, Any], for_script: int, for_tenant: int, config: Mapping[str, Any]
) -> None:
    """RunRefused when the runs in progress fill one of the caps."""
    for cap, count in zip(caps_of(limits, config), (for_script, for_tenant), strict=True):
        if count >= cap.limit:
            raise RunRefused(cap.message, cap.reason)
