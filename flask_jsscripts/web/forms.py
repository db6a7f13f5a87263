"""The script form (Flask-WTF). It only parses what the browser sends into a
:class:`~flask_jsscripts.services.validation.ScriptInput`; every rule about what a valid
script is lives in the services, whose errors are mapped back onto these fields."""

from __future__ import annotations

import json
import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from ..i18n import lazy_gettext as _
from ..models import Script
from ..runtime import jsonvalues
from ..services.validation import HTTP_AUTH_MODES, HTTP_METHODS, LIMIT_KEYS, ScriptInput

TYPE_CHOICES = [
    ("manual", _("Manual")),
    ("scheduled", _("Scheduled (cron)")),
    ("http", _("HTTP endpoint")),
    ("event", _("Event")),
]
# The config switch of each trigger kind's script type; manual scripts are always offered.
TYPE_FLAGS = {
    "scheduled": "JSSCRIPTS_ENABLE_CRON",
    "http": "JSSCRIPTS_ENABLE_HTTP",
    "event": "JSSCRIPTS_ENABLE_EVENTS",
}


def type_choices(config: Any, keep: str | None = None) -> list[tuple[str, Any]]:
    """The script types whose trigger kind is switched on, plus ``keep`` (the type of the
    script being edited, so that it can still be saved as it is)."""
    return [
        (value, label)
        for value, label in TYPE_CHOICES
        if value == keep or value not in TYPE_FLAGS or config.get(TYPE_FLAGS[value], True)
    ]


STATUS_CHOICES = [
    ("draft", _("Draft")),
    ("active", _("Active")),
    ("paused", _("Paused")),
    ("disabled", _("Disabled")),
    ("archived", _("Archived")),
]
AUTH_CHOICES = [
    ("session", _("Signed-in users (session)")),
    ("token", _("Token")),
    ("public", _("Public")),
]
assert [c for c, _label in AUTH_CHOICES] == list(HTTP_AUTH_MODES)

LIMIT_LABELS = {
    "timeout": _("Timeout (seconds)"),
    "memory_mb": _("Memory (MB)"),
    "output_bytes": _("Output (bytes)"),
    "console_entries": _("Console entries"),
    "host_calls": _("Host calls per run"),
    "concurrency": _("Concurrent runs"),
}
assert set(LIMIT_LABELS) == set(LIMIT_KEYS)


try:  # WTForms >= 3.3 deprecates (value, label) tuples as choices
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def _choices(pairs: list[tuple[str, Any]]) -> list[Any]:
    if SelectChoice is None:  # pragma: no cover
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


def _json_object(form: Any, field: Any) -> None:
    text = (field.data or "").strip()
    if not text:
        field.parsed = None
        return
    try:
        value = jsonvalues.parse(text)
    except jsonvalues.JSONValueError as exc:
        if exc.reason == "too_deep":
            raise StopValidation(str(_("The filter is nested too deeply."))) from None
        raise StopValidation(str(_("Not valid JSON: %(error)s", error=exc.message))) from None
    if not isinstance(value, dict):
        raise StopValidation(str(_("The filter must be a JSON object.")))
    field.parsed = value


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ScriptForm(FlaskForm):
    name = StringField(_("Name"))
    description = TextAreaField(_("Description"))
    type = SelectField(_("Type"), choices=_choices(TYPE_CHOICES), default="manual")
    status = SelectField(_("Status"), choices=_choices(STATUS_CHOICES), default="draft")
    tags = StringField(_("Tags"), description=_("Separated by commas or spaces."))
    cron = StringField(
        _("Cron expression"), description=_("5 fields: minute hour day month weekday.")
    )
    timezone = StringField(
        _("Time zone"), default="UTC", description=_("IANA name, e.g. Europe/Berlin.")
    )
    http_path = StringField(_("Path"), description=_("e.g. /orders/{id}"))
    http_methods = MultiCheckboxField(
        _("Methods"), choices=_choices([(m, m) for m in HTTP_METHODS]), default=["GET"]
    )
    http_auth = RadioField(_("Access"), choices=_choices(AUTH_CHOICES), default="session")
    http_rate_limit = IntegerField(
        _("Rate limit (calls per minute)"),
        validators=[Optional()],
        description=_("All callers together; leave empty for no limit."),
    )
    event_types = TextAreaField(
        _("Event types"), description=_("One per line, e.g. order.created or order.*")
    )
    event_filter = TextAreaField(_("Filter (JSON, optional)"), validators=[_json_object])
    limit_timeout = IntegerField(LIMIT_LABELS["timeout"], validators=[Optional()])
    limit_memory_mb = IntegerField(LIMIT_LABELS["memory_mb"], validators=[Optional()])
    limit_output_bytes = IntegerField(LIMIT_LABELS["output_bytes"], validators=[Optional()])
    limit_console_entries = IntegerField(LIMIT_LABELS["console_entries"], validators=[Optional()])
    limit_host_calls = IntegerField(LIMIT_LABELS["host_calls"], validators=[Optional()])
    limit_concurrency = IntegerField(LIMIT_LABELS["concurrency"], validators=[Optional()])
    note = StringField(_("Version note"))
    source = TextAreaField(_("Source"))

    # Service error keys -> form fields (the rest are shown above the form).
    FIELD_OF_ERROR = {f"limits.{key}": f"limit_{key}" for key in LIMIT_KEYS}
    FIELD_OF_ERROR["limits"] = "limit_timeout"

    def offer_types(self, config: Any, keep: str | None = None) -> None:
        """Offer only the types whose trigger kind is switched on (see :func:`type_choices`)."""
        self.type.choices = _choices(type_choices(config, keep))

    def limit_fields(self) -> list[Any]:
        return [getattr(self, f"limit_{key}") for key in LIMIT_KEYS]

    def to_input(self) -> ScriptInput:
        """What was submitted, as loose service input (fields that did not parse are left out
        so that the service still reports everything else)."""
        limits = {
            key: getattr(self, f"limit_{key}").data
            for key in LIMIT_KEYS
            if getattr(self, f"limit_{key}").data is not None
        }
        return ScriptInput(
            name=self.name.data or "",
            description=self.description.data or "",
            type=self.type.data or "",
            status=self.status.data or "",
            tags=[t for t in re.split(r"[\s,]+", self.tags.data or "") if t],
            cron=self.cron.data or "",
            timezone=self.timezone.data or "UTC",
            http_path=self.http_path.data or "",
            http_methods=list(self.http_methods.data or []),
            http_auth=self.http_auth.data or "session",
            http_rate_limit=self.http_rate_limit.data,
            event_types=[
                t.strip() for t in (self.event_types.data or "").splitlines() if t.strip()
            ],
            event_filter=getattr(self.event_filter, "parsed", None),
            limits=limits,
            note=self.note.data or "",
            source=(self.source.data or "").replace("\r\n", "\n"),
        )

    def fill_from(self, script: Script) -> None:
        """Pre-fill an edit form from the stored script and its trigger rows."""
        self.name.data = script.name
        self.description.data = script.description
        self.type.data = script.type
        self.status.data = script.status
        self.tags.data = ", ".join(script.tags or [])
        self.source.data = script.source
        for key in LIMIT_KEYS:
            getattr(self, f"limit_{key}").data = (script.limits or {}).get(key)
        if script.schedule is not None:
            self.cron.data = script.schedule.cron
            self.timezone.data = script.schedule.timezone
        if script.endpoints:
            endpoint = script.endpoints[0]
            self.http_path.data = endpoint.path
            self.http_methods.data = list(endpoint.methods or [])
            self.http_auth.data = endpoint.auth_mode
            self.http_rate_limit.data = endpoint.rate_limit_per_minute
        if script.subscriptions:
            self.event_types.data = "\n".join(s.event_type for s in script.subscriptions)
            first = script.subscriptions[0].filter
            self.event_filter.data = json.dumps(first, indent=2) if first else ""

    def apply_service_errors(self, errors: dict[str, list[str]]) -> list[str]:
        """Put the service's messages next to their fields; return the ones with no field."""
        general: list[str] = []
        for key, messages in errors.items():
            name = self.FIELD_OF_ERROR.get(key, key)
            field = self._fields.get(name) if name != "csrf_token" else None
            if field is None:
                general.extend(f"{key}: {m}" for m in messages)
                continue
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            for message in messages:
                if message not in field.errors:
                    field.errors.append(message)
        return general
