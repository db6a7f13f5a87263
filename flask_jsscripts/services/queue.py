"""What the services need of the task queue, and nothing more.

Services decide *what* must run asynchronously; the Huey tasks (``flask_jsscripts.tasks``, a
layer above) decide *how*. The services receive an object with these methods and call them
only after the rows they refer to are committed. Enqueueing may fail (Redis down): the rows
stay in the database and the periodic sweep enqueues them again, so a failure here is logged,
never raised into a host's request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class TaskQueue(Protocol):
    def dispatch_events(self, event_ids: Sequence[str]) -> None:
        """Match these committed outbox rows to subscriptions and queue their runs."""

    def run_executions(self, execution_ids: Sequence[str], delay: float = 0) -> None:
        """Run these committed ``pending`` executions, ``delay`` seconds from now."""

    def run_retries(self, retries: Sequence[tuple[str, float]]) -> None:
        """Run each ``(execution_id, delay)`` that a retry policy wrote, after its delay."""
