"""Executions: every run is a database row first, then its outcome. A run the runtime kills is
still recorded; a row whose process died is found by the reaper.

The ways to run a script:

* :func:`run_script`: synchronous and recorded (manual runs, the CLI, ``jsscripts.run``);
* :func:`run_for_outcome` and :func:`run_then_record`: synchronous, answering with the
  runtime's result (HTTP endpoints, with every call recorded or a sample of them);
* :func:`run_batch`: the ``pending`` rows a consumer picked up.

Modules: ``rules`` (what a run must meet), ``snapshot`` (an execution as its run sees it),
``start``, ``sandbox``, ``record``, ``sync``, ``batch``, ``maintenance`` (reaper, re-drive,
retention), ``queries``.
"""

from ..context import RunContext, user_ref
from .batch import DEFER_SECONDS, Batch, run_batch, tenants_of
from .maintenance import ABANDONED_ERROR, prune, reap_stale, redrive_pending
from .queries import LIVE_STATUSES, any_live, get_execution, last_runs, list_executions
from .rules import (
    ACTIVE,
    AUTOMATIC_TRIGGERS,
    DEADLINE_MARGIN,
    STATUS_OF_END,
    TRIGGER_FLAGS,
    pending_deadline,
    running_deadline,
)
from .snapshot import AS_GIVEN, POOL_BUSY, ExecutionSnapshot, FollowUp, pending_row
from .sync import RunOutcome, ScriptRef, run_for_outcome, run_script, run_then_record

__all__ = [
    "ABANDONED_ERROR",
    "ACTIVE",
    "AS_GIVEN",
    "AUTOMATIC_TRIGGERS",
    "Batch",
    "DEADLINE_MARGIN",
    "DEFER_SECONDS",
    "ExecutionSnapshot",
    "FollowUp",
    "LIVE_STATUSES",
    "POOL_BUSY",
    "RunContext",
    "RunOutcome",
    "STATUS_OF_END",
    "ScriptRef",
    "TRIGGER_FLAGS",
    "any_live",
    "get_execution",
    "last_runs",
    "list_executions",
    "pending_deadline",
    "pending_row",
    "prune",
    "reap_stale",
    "redrive_pending",
    "run_batch",
    "run_for_outcome",
    "run_script",
    "run_then_record",
    "running_deadline",
    "tenants_of",
    "user_ref",
]
