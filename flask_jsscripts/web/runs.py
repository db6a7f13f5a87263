"""Running a script by hand, its run history and one run with its output."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request, stream_with_context, url_for
from werkzeug.utils import secure_filename

from .. import permissions, tenancy
from ..i18n import gettext as _
from ..models import Execution, Script
from ..permissions import SCRIPTS_EXECUTE, SCRIPTS_READ
from ..runtime import jsonvalues
from ..services import executions as execution_service
from ..services import outputs as output_service
from ..services.errors import NotFound, ValidationError
from ..state import current_state
from .common import (
    db_session,
    error_response,
    get_script,
    html_response,
    is_htmx,
    jsview,
    page_or_fragment,
)
from .scripts import history_context, view_page


def _parse_input(raw: str) -> Any:
    if not raw.strip():
        return None
    try:
        return jsonvalues.parse(raw)
    except jsonvalues.JSONValueError as exc:
        if exc.reason == "too_deep":
            message = _(
                "The input is nested too deeply (at most %(num)s levels).",
                num=jsonvalues.MAX_DEPTH,
            )
        else:
            message = _("The input is not valid JSON: %(error)s", error=exc.message)
        raise ValidationError({"input": [message]}) from None


def _output_head(execution: Execution) -> output_service.OutputHead | None:
    """The head of a completed run's output (pages never load an output whole)."""
    if execution.status != "completed":
        return None
    return output_service.output_head(db_session(), execution.id)


@jsview(SCRIPTS_EXECUTE)
def run(script_id: str) -> Any:
    script = get_script(script_id)
    raw = request.form.get("input", "")
    try:
        execution = execution_service.run_script(
            db_session(),
            current_state().run_context(),
            script.id,
            "manual",
            _parse_input(raw),
            user=permissions.current_user(),
        )
    except ValidationError as exc:
        db_session().rollback()
        errors = [m for msgs in exc.errors.values() for m in msgs] or [exc.message]
        return _run_refused(script, raw, errors)
    if is_htmx():
        html = render_template(
            "jsscripts/_run_panel.html",
            script=script,
            run_input=raw,
            run_errors=[],
            result=execution,
            result_output=_output_head(execution),
        )
        # The history table listens for this event and reloads itself (new run on top).
        return html_response(html, headers={"HX-Trigger": "jsscripts:ran"})
    return redirect(
        url_for("jsscripts.execution", script_id=script.id, execution_id=execution.id), code=303
    )


def _run_refused(script: Script, raw: str, errors: list[str]) -> Response:
    """The run panel (htmx) or the script's page with the input's problems, status 422."""
    if is_htmx():
        html = render_template(
            "jsscripts/_run_panel.html",
            script=script,
            run_input=raw,
            run_errors=errors,
            result=None,
        )
    else:
        html = view_page(script, run_input=raw, run_errors=errors)
    return html_response(html, 422)


@jsview(SCRIPTS_READ)
def executions(script_id: str) -> Any:
    script = get_script(script_id)
    return page_or_fragment(
        "jsscripts/executions.html",
        "jsscripts/_executions.html",
        script=script,
        **history_context(script),
    )


def _execution_of(script_id: str, execution_id: str) -> tuple[Script, Execution]:
    script = get_script(script_id)
    found = execution_service.get_execution(db_session(), execution_id)
    if found.script_id != script.id:
        raise NotFound("execution not found")
    return script, found


@jsview(SCRIPTS_READ)
def execution(script_id: str, execution_id: str) -> Any:
    script, found = _execution_of(script_id, execution_id)
    return render_template(
        "jsscripts/execution.html", script=script, execution=found, output=_output_head(found)
    )


@jsview(SCRIPTS_READ)
def execution_output(script_id: str, execution_id: str) -> Any:
    """A completed run's whole output, as the JSON file it is stored as, streamed a piece at a
    time from the database (the web process never holds more than one piece)."""
    script, found = _execution_of(script_id, execution_id)
    session = db_session()
    size = output_service.output_size(session, found.id) if found.status == "completed" else None
    if size is None:
        return error_response(404, _("This execution has no output."))
    tenant, run_id = tenancy.require_tenant(), found.id

    def pieces() -> Any:
        start = 0
        while True:
            # the scope of the view is gone once it returned: each read takes its own
            with tenancy.tenant_scope(tenant):
                try:
                    piece = output_service.read_output_bytes(
                        session, run_id, start, output_service.CHUNK_BYTES
                    )
                except NotFound:  # pruned meanwhile: the body ends short of Content-Length
                    return
            if piece:
                yield piece
            if len(piece) < output_service.CHUNK_BYTES:
                return
            start += len(piece)

    response = Response(stream_with_context(pieces()), mimetype="application/json")
    filename = secure_filename(f"{script.name}-{run_id}-output.json") or "output.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Content-Length"] = str(size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
