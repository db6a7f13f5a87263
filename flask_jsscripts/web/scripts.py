"""The script pages: the list, the form (create and edit), the script's page, its status and
its deletion.

Validation failures answer **422** with the form showing the errors next to their fields;
``ui.js`` tells htmx to swap 422 responses like successes. Full form posts redirect (303) on
success; htmx posts answer with a fragment, an empty body (row removed) or an ``HX-Redirect``.
"""

from __future__ import annotations

import functools
from typing import Any
from zoneinfo import available_timezones

from flask import Response, flash, redirect, render_template, request, url_for

from ..i18n import gettext as _
from ..models import SCRIPT_STATUSES, SCRIPT_TYPES, Script
from ..permissions import (
    ENDPOINTS_MANAGE,
    SCRIPTS_CREATE,
    SCRIPTS_DELETE,
    SCRIPTS_READ,
    SCRIPTS_UPDATE,
)
from ..services import dead_letters as dead_letter_service
from ..services import executions as execution_service
from ..services import scripts as script_service
from ..services.errors import PermissionDenied, ValidationError
from ..services.validation import validate_script
from ..state import current_state
from .common import (
    PER_PAGE,
    actor,
    can,
    db_session,
    get_script,
    go_to,
    html_response,
    int_arg,
    is_htmx,
    jsview,
    page_or_fragment,
)
from .forms import STATUS_CHOICES, ScriptForm, type_choices
from .labels import status_label
from .tools import cron_preview_context

HISTORY_LIMIT = 20

# The JSDoc line gives Monaco the type of ctx (completions); the sandbox ignores it.
NEW_SCRIPT_SOURCE = (
    "/** @param {ScriptContext} ctx */\n"
    "function main(ctx) {\n"
    "  console.log('input', ctx.input);\n"
    "  return {ok: true};\n"
    "}\n"
)


@jsview(SCRIPTS_READ)
def index() -> Any:
    search = request.args.get("q", "").strip()[:200].replace("\x00", "")
    type_ = request.args.get("type", "")
    type_ = type_ if type_ in SCRIPT_TYPES else ""
    status = request.args.get("status", "")
    status = status if status in SCRIPT_STATUSES else ""
    filters = {"search": search, "type": type_, "status": status}
    page = script_service.list_scripts(
        db_session(), **filters, page=int_arg("page", 1), per_page=PER_PAGE
    )
    if page.page > page.pages and page.total:
        page = script_service.list_scripts(
            db_session(), **filters, page=page.pages, per_page=PER_PAGE
        )
    return page_or_fragment(
        "jsscripts/list.html",
        "jsscripts/_list_results.html",
        "jsscripts-results",
        page=page,
        runs=execution_service.last_runs(db_session(), [s.id for s in page.items]),
        q=search,
        type=type_,
        status=status,
        type_choices=type_choices(current_state().config),
        status_choices=STATUS_CHOICES,
    )


def _save(form: ScriptForm, script: Script | None) -> Any:
    """Validate and save the form; on errors re-render it with 422."""
    state = current_state()
    general: list[str] = []
    syntax: dict[str, Any] = {}
    status = 422
    if form.validate():
        try:
            saved = _create_or_update(form, script)
        except ValidationError as exc:
            db_session().rollback()
            general = form.apply_service_errors(exc.errors)
            syntax = _syntax_error(exc)
        except PermissionDenied:
            db_session().rollback()
            status = 403
            general = [_manage_refused()]
        else:
            if saved.version is not None:
                flash(_("Version %(num)s created", num=saved.version.number), "success")
            else:
                flash(_("Saved"), "success")
            for warning in saved.warnings:
                flash(warning, "warning")
            return redirect(url_for("jsscripts.view", script_id=saved.script.id), code=303)
    else:
        # Report the service's rules too, so the user sees every problem at once.
        try:
            validate_script(form.to_input(), config=state.config, runtime=state.runtime)
        except ValidationError as exc:
            general = form.apply_service_errors(exc.errors)
            syntax = _syntax_error(exc)
    return _render_form(form, script, general, syntax, status=status)


def _create_or_update(form: ScriptForm, script: Script | None) -> Any:
    state = current_state()
    options = {
        "config": state.config,
        "runtime": state.runtime,
        "actor": actor(),
        "may_manage_endpoints": can(ENDPOINTS_MANAGE),
    }
    if script is None:
        return script_service.create_script(db_session(), form.to_input(), **options)
    return script_service.update_script(db_session(), script.id, form.to_input(), **options)


def _manage_refused() -> str:
    return _(
        "Only users who manage endpoints may make an endpoint public or token-protected, "
        "change it back, or change a public endpoint's rate limit."
    )


def _syntax_error(exc: ValidationError) -> dict[str, Any]:
    if exc.line is None:
        return {}
    messages = exc.errors.get("source") or [exc.message]
    return {"line": exc.line, "column": exc.column or 1, "message": messages[-1]}


@functools.lru_cache(maxsize=1)
def _timezones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def _render_form(
    form: ScriptForm,
    script: Script | None,
    general: list[str] | None = None,
    syntax: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    html = render_template(
        "jsscripts/form.html",
        form=form,
        script=script,
        general_errors=general or [],
        syntax=syntax or {},
        timezones=_timezones(),
        **cron_preview_context(form.cron.data or "", form.timezone.data or ""),
    )
    return html_response(html, status)


@jsview(SCRIPTS_CREATE)
def new() -> Any:
    form = ScriptForm()
    form.offer_types(current_state().config)
    if request.method == "POST":
        return _save(form, None)
    if not form.source.data:
        form.source.data = NEW_SCRIPT_SOURCE
    return _render_form(form, None)


@jsview(SCRIPTS_UPDATE)
def edit(script_id: str) -> Any:
    script = get_script(script_id)
    form = ScriptForm()
    form.offer_types(current_state().config, keep=script.type)
    if request.method == "POST":
        return _save(form, script)
    form.fill_from(script)
    return _render_form(form, script)


def history_context(script: Script) -> dict[str, Any]:
    """The script's recent runs for the history table, and whether it should refresh."""
    runs = execution_service.list_executions(db_session(), script.id, limit=HISTORY_LIMIT)
    return {"history": runs, "live": execution_service.any_live(runs)}


def view_page(script: Script, **extra: Any) -> str:
    """The script's page; ``extra`` fills the run panel or the endpoint panel."""
    context: dict[str, Any] = {
        "run_input": "",
        "run_errors": [],
        "result": None,
        "new_token": None,
        "endpoint_notice": None,
        **extra,
    }
    return render_template(
        "jsscripts/view.html",
        script=script,
        open_dead_letters=dead_letter_service.count_open(db_session(), script.id),
        **history_context(script),
        **context,
    )


@jsview(SCRIPTS_READ)
def view(script_id: str) -> Any:
    return view_page(get_script(script_id), run_input=request.args.get("input", ""))


@jsview(SCRIPTS_UPDATE)
def set_status(script_id: str) -> Any:
    status = request.form.get("status", "")
    script = script_service.set_status(db_session(), script_id, status, actor=actor())
    if is_htmx():
        run = execution_service.last_runs(db_session(), [script.id]).get(script.id)
        return render_template("jsscripts/_row.html", script=script, run=run)
    flash(_("Status changed to %(status)s", status=status_label(script.status)), "success")
    if request.form.get("return_to") == "view":
        return redirect(url_for("jsscripts.view", script_id=script.id), code=303)
    return redirect(url_for("jsscripts.index"), code=303)


@jsview(SCRIPTS_DELETE)
def delete(script_id: str) -> Any:
    script = get_script(script_id)
    name = script.name
    script_service.delete_script(db_session(), script.id)
    if is_htmx() and request.headers.get("HX-Target", "").startswith("jsscripts-row-"):
        return Response("", status=200)  # the row is swapped out in place
    flash(_("Script %(name)s deleted", name=name), "success")
    return go_to(url_for("jsscripts.index"))
