"""What the services need of the task queue, and nothing more.

Services decide *what* must run asynchronously; the Huey tasks (``flask_jsscripts.tasks``, a
layer above) decide *how*. The services receive an object with these methods and call them
only after the rows they refer to are committed. Enqueueing may fail (Redis down): the rows
stay in the database and the periodic sweep enqueues them again, so a failure here is logged,
never raised into a host's request.

``tenant_id`` names the tenant whose work the ids are, when the caller knows it: the queue
serves tenants in turn, so that one tenant's flood does not hold up the others. It orders the
work only; the rows themselves say whose they are. None (ids of several tenants, e.g. the
sweep's) shares one turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class TaskQueue(Protocol):
    def dispatch_events(self, event_ids: Sequence[str], *, tenant_id: str | None = None) -> None:
        """Match these committed outbox rows to subscriptions and queue their runs."""

    def run_executions(
        self, execution_ids: Sequence[str], delay: float = 0, *, tenant_id: str | None = None
    ) -> None:
        """Run these committed ``pending`` executions, ``delay`` seconds from now."""

    def run_retries(
        self, retries: Sequence[tuple[str, float]], *, tenant_id: str | None = None
    ) -> None:
        """Run each ``(execution_id, delay)`` that a retry policy wrote, after its delay."""
