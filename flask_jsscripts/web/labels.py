"""The words the pages show for the stored codes (statuses, triggers, end reasons, states),
translated per request; each table covers every code its model allows."""

from __future__ import annotations

from ..i18n import gettext as _
from ..models import END_REASONS, EXECUTION_STATUSES, EXECUTION_TRIGGERS
from ..services import dead_letters as dead_letter_service
from .forms import STATUS_CHOICES


def status_label(status: str) -> str:
    return str(dict(STATUS_CHOICES).get(status, status))


def execution_status_labels() -> dict[str, str]:
    labels = {
        "pending": _("pending"),
        "running": _("running"),
        "completed": _("completed"),
        "failed": _("failed"),
        "timeout": _("timeout"),
        "cancelled": _("cancelled"),
    }
    assert set(labels) == set(EXECUTION_STATUSES)
    return labels


def trigger_labels() -> dict[str, str]:
    labels = {
        "manual": _("Manual"),
        "cron": _("Schedule"),
        "http": _("HTTP request"),
        "event": _("Event"),
        "api": _("API"),
    }
    assert set(labels) == set(EXECUTION_TRIGGERS)
    return labels


def end_reason_labels() -> dict[str, str]:
    labels = {
        "completed": _("completed"),
        "failed": _("failed"),
        "timeout": _("timeout"),
        "memory": _("memory limit"),
        "output_limit": _("output limit"),
        "host_call_limit": _("host call limit"),
        "crashed": _("crashed"),
        "cancelled": _("cancelled"),
        "skipped": _("skipped (still running)"),
    }
    assert set(labels) == set(END_REASONS)
    return labels


def dead_letter_state_labels() -> dict[str, str]:
    labels = {
        "open": _("Open"),
        "replayed": _("Replayed"),
        "discarded": _("Discarded"),
        "all": _("All"),
    }
    assert tuple(labels) == dead_letter_service.STATES
    return labels
