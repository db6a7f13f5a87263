"""Helpers of the script form that change nothing: the cron preview, the filter tester and the
source check the editor asks for as the author types."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import current_app, jsonify, render_template, request

from ..i18n import gettext as _
from ..permissions import SCRIPTS_CREATE, SCRIPTS_READ, SCRIPTS_UPDATE
from ..runtime import jsonvalues
from ..services import filters as filter_service
from ..services.validation import compile_checked, next_cron_runs
from ..state import current_state
from .common import html_response, jsview

MAX_SAMPLE_CHARS = 64 * 1024  # a sample event payload pasted into the filter tester


def cron_preview_context(cron: str, zone: str) -> dict[str, Any]:
    """The next five run times of ``cron`` in ``zone``, or why there are none."""
    cron = " ".join(cron[:120].split())
    zone = zone[:64].strip() or "UTC"
    runs: list[datetime] = []
    error = ""
    if cron:
        try:
            runs = next_cron_runs(cron, zone, count=5)
        except ValueError as exc:
            error = str(exc)
    return {"runs": runs, "error": error, "cron": cron, "zone": zone}


@jsview(SCRIPTS_READ)
def cron_preview() -> Any:
    """htmx: the next five run times of a cron expression in a time zone."""
    return render_template(
        "jsscripts/_cron_preview.html",
        **cron_preview_context(request.args.get("cron", ""), request.args.get("timezone", "")),
    )


def _load_json(raw: str) -> tuple[Any, str, str]:
    """(value, problem, detail) of JSON typed into the filter tester: problem is "" (fine),
    "invalid" (detail: the parser's message) or "deep" (past ``jsonvalues.MAX_DEPTH``)."""
    try:
        return jsonvalues.parse(raw), "", ""
    except jsonvalues.JSONValueError as exc:
        if exc.reason == "too_deep":
            return None, "deep", ""
        return None, "invalid", exc.message


def _compact(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _filter_problems(raw_filter: str) -> tuple[Any, list[str]]:
    if not raw_filter.strip():
        return None, []
    tree, problem, detail = _load_json(raw_filter)
    if problem == "deep":
        return tree, [_("The filter is nested too deeply.")]
    if problem:
        return tree, [_("The filter is not valid JSON: %(error)s", error=detail)]
    if not isinstance(tree, dict):
        return tree, [_("The filter must be a JSON object.")]
    return tree, []


def _sample_problems(raw_sample: str) -> tuple[Any, list[str]]:
    if not raw_sample.strip():
        return None, [_("Enter a sample event payload (JSON) to test the filter against.")]
    if len(raw_sample) > MAX_SAMPLE_CHARS:
        message = _(
            "The sample payload is too large (at most %(num)s characters).", num=MAX_SAMPLE_CHARS
        )
        return None, [message]
    sample, problem, detail = _load_json(raw_sample)
    if problem == "deep":
        return sample, [_("The sample payload is nested too deeply.")]
    if problem:
        return sample, [_("The sample payload is not valid JSON: %(error)s", error=detail)]
    return sample, []


@jsview((SCRIPTS_UPDATE, SCRIPTS_CREATE))
def filter_test() -> Any:
    """htmx: how the filter typed in the form judges a sample payload, condition by condition
    (a POST for the size of the payload; it changes nothing). Unusable input answers 422 with
    the messages, which ui.js swaps in like a result."""
    tree, errors = _filter_problems(request.form.get("event_filter", ""))
    sample, sample_errors = _sample_problems(request.form.get("filter_sample", ""))
    errors += sample_errors
    report: dict[str, Any] | None = None
    if not errors:
        report = filter_service.explain(tree, sample)
        errors = list(report["errors"])
        report["conditions"] = [
            {**c, "value_text": _compact(c["value"]), "actual_text": _compact(c["actual"])}
            for c in report["conditions"]
        ]
    html = render_template(
        "jsscripts/_filter_test.html",
        errors=errors,
        report=report if not errors else None,
        empty_filter=not tree,
    )
    return html_response(html, 422 if errors else 200)


@jsview((SCRIPTS_UPDATE, SCRIPTS_CREATE))
def source_check() -> Any:
    """The editor's check of a draft, as it would be judged at save: ``{"ok": true}`` or the
    message with its line and column (always 200: a draft that does not compile is an answer)."""
    source = request.form.get("source", "")
    _, problem = compile_checked(source, current_app.config, current_state().runtime)
    if problem is None:
        return jsonify(ok=True)
    return jsonify(ok=False, message=problem.message, line=problem.line, column=problem.column)
