"""Domain events: from the outbox to runs, retries and dead letters.

The path of an event: ``publish()`` writes an outbox row (:mod:`..outbox`) in the publisher's
transaction; after commit a task calls :func:`dispatch`, which claims the row, finds the active
subscriptions of its tenant whose pattern and filter match (``subscriptions``), and writes one
``pending`` execution per match in the same transaction. Each execution runs in a task;
:class:`EventFollowUp` (``retries``), called in the transaction that records the outcome,
schedules the next attempt of a retryable failure or writes the dead letter. Every step is a
database claim, so a re-driven message finds the work already done and does nothing
(idempotency by event id, execution id, and the unique ``(event_id, script_id, attempt)``
index).
"""

from ..outbox import (
    EVENT_TYPE_RE,
    MAX_EVENT_TYPE_LENGTH,
    envelope,
    new_outbox_event,
    patterns_for,
    redrive_outbox,
    validate_event_type,
)
from .fanout import dispatch
from .retries import (
    PERMANENT_CODES,
    RETRYABLE_END_REASONS,
    EventFollowUp,
    dead_letter,
    is_retryable,
    retry_delay,
)
from .subscriptions import SubscriptionCache, SubscriptionTable, _matching_scripts

__all__ = [
    "EVENT_TYPE_RE",
    "MAX_EVENT_TYPE_LENGTH",
    "PERMANENT_CODES",
    "RETRYABLE_END_REASONS",
    "EventFollowUp",
    "SubscriptionCache",
    "SubscriptionTable",
    "_matching_scripts",
    "dead_letter",
    "dispatch",
    "envelope",
    "is_retryable",
    "new_outbox_event",
    "patterns_for",
    "redrive_outbox",
    "retry_delay",
    "validate_event_type",
]
