"""``flask jsscripts ...``: list, run, export, import, prune and reap from a terminal.

Every command that touches data runs inside :func:`tenancy.tenant_scope` (or
:func:`tenancy.all_tenants` for the system jobs), exactly like a view or a task, so the CLI is
no back door around tenant isolation.

Exit codes, so shell scripts can rely on them: 0 success; 1 the script run did not complete
(or the database failed); 2 bad usage (unknown script, bad JSON, an invalid document, a refused
run). Errors are printed as one ``Error: ...`` line on stderr, never as a traceback.
"""

from __future__ import annotations

# Importing the feature modules registers their commands on the group.
from . import dead_letters, operations, scripts, transfer  # noqa: F401
from .common import CommandFailure, UsageFailure, jsscripts

__all__ = ["CommandFailure", "UsageFailure", "jsscripts"]
