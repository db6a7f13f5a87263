"""Routes of the admin UI.

Every view goes through :func:`jsview`: permission first (deny by default), then the tenant
from the host's loader (none: 403), then the view body inside ``tenancy.tenant_scope``; a
:class:`ServiceError` becomes its status with its message (an HTML page for full requests, a
short ``text/plain`` body for htmx requests, which ``ui.js`` shows in an alert).

Conventions:

* State changes are POST only and CSRF-checked: by the host's ``CSRFProtect`` when it has one,
  else by this blueprint's ``before_request`` (so the UI is never unprotected).
* Validation failures answer **422** everywhere, with the form or fragment showing the errors
  next to their fields; ``ui.js`` tells htmx to swap 422 responses like successes.
* Full form posts redirect (303) on success; htmx posts answer with a fragment, an empty body
  (row removed) or an ``HX-Redirect`` header.
"""

from __future__ import annotations

import difflib
import functools
import json
import logging
import math
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar
from zoneinfo import available_timezones

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    stream_with_context,
    url_for,
)
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.utils import secure_filename
from wtforms.validators import ValidationError as WTFValidationError

from .. import permissions, tenancy
from ..i18n import gettext as _
from ..i18n import locale_name, ngettext
from ..models import (
    END_REASONS,
    EXECUTION_STATUSES,
    EXECUTION_TRIGGERS,
    SCRIPT_STATUSES,
    SCRIPT_TYPES,
    DeadLetter,
    Execution,
    Script,
    ScriptVersion,
)
from ..permissions import (
    ENDPOINTS_MANAGE,
    SCRIPTS_CREATE,
    SCRIPTS_DELETE,
    SCRIPTS_EXECUTE,
    SCRIPTS_READ,
    SCRIPTS_UPDATE,
)
from ..runtime import jsonvalues
from ..services import dead_letters as dead_letter_service
from ..services import endpoints as endpoint_service
from ..services import executions as execution_service
from ..services import filters as filter_service
from ..services import outputs as output_service
from ..services import scripts as script_service
from ..services.errors import (
    NotFound,
    PermissionDenied,
    RunRefused,
    ServiceError,
    ValidationError,
)
from ..services.validation import next_cron_runs, validate_script
from . import assets, origin
from .forms import AUTH_CHOICES, STATUS_CHOICES, TYPE_CHOICES, ScriptForm, type_choices

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

PER_PAGE = 25
HISTORY_LIMIT = 20
MAX_VERSION_NUMBER = 2**31 - 1  # beyond an INTEGER column: unknown, not a database error
LIVE_STATUSES = ("pending", "running")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# endpoint -> permission, filled by @jsview; the tests walk the URL map against it.
VIEW_PERMISSIONS: dict[str, str | tuple[str, ...]] = {}
# Endpoints that need no permission: static files of the UI (public, versioned libraries).
PUBLIC_ENDPOINTS = frozenset({"static", "monaco"})


# --- helpers -------------------------------------------------------------------------------


def _state() -> Any:
    return current_app.extensions["jsscripts"]


def _session() -> Any:
    return _state().db.session


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def can(perm: str) -> bool:
    """Template helper: may the current user do ``perm``? (cached for the request)"""
    cache = g.setdefault("_jsscripts_perms", {})
    if perm not in cache:
        cache[perm] = permissions.has_permission(permissions.current_user(), perm)
    return cache[perm]


def error_response(status: int, message: str) -> Response:
    """A failure the user sees: plain text for htmx (ui.js shows it), else a full page."""
    if is_htmx():
        return Response(message, status=status, mimetype="text/plain")
    html = render_template("jsscripts/error.html", status=status, message=message)
    return Response(html, status=status, mimetype="text/html")


def _actor() -> str | None:
    ident = (execution_service.user_ref(permissions.current_user()) or {}).get("id")
    return None if ident is None else ident[:64]


def _requires_any(perms: tuple[str, ...]) -> Callable[[F], F]:
    """Like :func:`permissions.requires`, for a view that any one of ``perms`` opens."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = permissions.current_user()
            if not any(permissions.has_permission(user, perm) for perm in perms):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def jsview(perm: str | tuple[str, ...]) -> Callable[[F], F]:
    """Permission, tenant scope and service-error handling around a view. ``perm`` is one
    permission name, or a tuple of names of which the user needs any one."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def scoped(*args: Any, **kwargs: Any) -> Any:
            tenant = _state().load_tenant()
            if not tenant:
                abort(403)
            with ExitStack() as stack:
                try:
                    stack.enter_context(tenancy.tenant_scope(tenant))
                except tenancy.TenantScopeError:
                    abort(403)  # the host's loader gave something that is not a tenant id
                try:
                    return view(*args, **kwargs)
                except ServiceError as exc:
                    _session().rollback()
                    return error_response(exc.status, exc.message)

        # Permission first (deny by default), then the tenant.
        if isinstance(perm, tuple):
            wrapper = _requires_any(perm)(scoped)
        else:
            wrapper = permissions.requires(perm)(scoped)
        VIEW_PERMISSIONS[view.__name__] = perm
        wrapper.jsscripts_permission = perm  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def _int_arg(name: str, default: int) -> int:
    try:
        return max(1, min(int(request.args.get(name, default)), 1_000_000))
    except (TypeError, ValueError):
        return default


def _version_number(number: int) -> int:
    if number > MAX_VERSION_NUMBER:
        raise NotFound(f"version {number} not found")
    return number


def _get_script(script_id: str) -> Script:
    return script_service.get_script(_session(), script_id)


def last_runs(script_ids: list[str]) -> dict[str, Any]:
    """The latest run (status, time) of each listed script, in one query (no N+1 on the list):
    per script, two correlated subqueries that each read one entry of the (tenant, script,
    created_at) index, whatever the size of the history. A join with a grouped subquery
    scanned the whole table instead (~100 ms with 100,000 runs on SQLite)."""
    if not script_ids:
        return {}

    def newest(column: Any) -> Any:
        return (
            select(column)
            .where(Execution.script_id == Script.id)
            .order_by(Execution.created_at.desc())
            .limit(1)
            .correlate(Script)
            .scalar_subquery()
        )

    rows = _session().execute(
        select(
            Script.id.label("script_id"),
            newest(Execution.status).label("status"),
            newest(Execution.created_at).label("created_at"),
        ).where(Script.id.in_(script_ids))
    )
    return {row.script_id: row for row in rows if row.status is not None}


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def _fmt_dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


@functools.lru_cache(maxsize=1)
def _timezones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def diff_lines(old: str, new: str, old_label: str, new_label: str) -> list[tuple[str, str]]:
    """A unified diff as (css class, line) pairs for the server-rendered view."""
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_label, tofile=new_label, lineterm=""
    ):
        if line.startswith(("+++", "---")):
            kind = "meta"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "added"
        elif line.startswith("-"):
            kind = "removed"
        else:
            kind = "context"
        out.append((kind, line))
    return out


# --- list ----------------------------------------------------------------------------------


@jsview(SCRIPTS_READ)
def index() -> Any:
    search = request.args.get("q", "").strip()[:200]
    type_ = request.args.get("type", "")
    status = request.args.get("status", "")
    page_no = _int_arg("page", 1)
    if "\x00" in search:
        search = search.replace("\x00", "")
    page = script_service.list_scripts(
        _session(),
        search=search,
        type=type_ if type_ in SCRIPT_TYPES else "",
        status=status if status in SCRIPT_STATUSES else "",
        page=page_no,
        per_page=PER_PAGE,
    )
    if page.page > page.pages and page.total:
        page = script_service.list_scripts(
            _session(), search=search, type=type_, status=status, page=page.pages, per_page=PER_PAGE
        )
    context = {
        "page": page,
        "runs": last_runs([s.id for s in page.items]),
        "q": search,
        "type": type_ if type_ in SCRIPT_TYPES else "",
        "status": status if status in SCRIPT_STATUSES else "",
        "type_choices": type_choices(_state().config),
        "status_choices": STATUS_CHOICES,
    }
    if is_htmx() and request.headers.get("HX-Target") == "jsscripts-results":
        return render_template("jsscripts/_list_results.html", **context)
    return render_template("jsscripts/list.html", **context)


# --- create / edit -------------------------------------------------------------------------


def _save(form: ScriptForm, script: Script | None) -> Any:
    """Validate and save the form; on errors re-render it with 422."""
    state = _state()
    general: list[str] = []
    syntax: dict[str, Any] = {}
    status = 422
    if form.validate():
        try:
            if script is None:
                saved = script_service.create_script(
                    _session(),
                    form.to_input(),
                    config=state.config,
                    runtime=state.runtime,
                    actor=_actor(),
                    may_manage_endpoints=can(ENDPOINTS_MANAGE),
                )
            else:
                saved = script_service.update_script(
                    _session(),
                    script.id,
                    form.to_input(),
                    config=state.config,
                    runtime=state.runtime,
                    actor=_actor(),
                    may_manage_endpoints=can(ENDPOINTS_MANAGE),
                )
        except ValidationError as exc:
            _session().rollback()
            general = form.apply_service_errors(exc.errors)
            syntax = _syntax_error(exc)
        except PermissionDenied:
            _session().rollback()
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


def _render_form(
    form: ScriptForm,
    script: Script | None,
    general: list[str] | None = None,
    syntax: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    html = render_template(
        "jsscripts/form.html",
        form=form,
        script=script,
        general_errors=general or [],
        syntax=syntax or {},
        timezones=_timezones(),
        **_preview(form.cron.data or "", form.timezone.data or ""),
    )
    return Response(html, status=status, mimetype="text/html")


# The JSDoc line gives Monaco the type of ctx (completions); the sandbox ignores it.
NEW_SCRIPT_SOURCE = (
    "/** @param {ScriptContext} ctx */\n"
    "function main(ctx) {\n"
    "  console.log('input', ctx.input);\n"
    "  return {ok: true};\n"
    "}\n"
)


@jsview(SCRIPTS_CREATE)
def new() -> Any:
    form = ScriptForm()
    form.offer_types(_state().config)
    if request.method == "POST":
        return _save(form, None)
    if not form.source.data:
        form.source.data = NEW_SCRIPT_SOURCE
    return _render_form(form, None)


@jsview(SCRIPTS_UPDATE)
def edit(script_id: str) -> Any:
    script = _get_script(script_id)
    form = ScriptForm()
    form.offer_types(_state().config, keep=script.type)
    if request.method == "POST":
        return _save(form, script)
    form.fill_from(script)
    return _render_form(form, script)


def _preview(cron: str, zone: str) -> dict[str, Any]:
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
        **_preview(request.args.get("cron", ""), request.args.get("timezone", "")),
    )


MAX_SAMPLE_CHARS = 64 * 1024  # a sample event payload pasted into the filter tester


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


@jsview((SCRIPTS_UPDATE, SCRIPTS_CREATE))
def filter_test() -> Any:
    """htmx: how the filter typed in the form judges a sample payload, condition by condition
    (a POST for the size of the payload; it changes nothing). Unusable input answers 422 with
    the messages, which ui.js swaps in like a result."""
    raw_filter = request.form.get("event_filter", "")
    raw_sample = request.form.get("filter_sample", "")
    errors: list[str] = []
    tree: Any = None
    sample: Any = None
    if raw_filter.strip():
        tree, problem, detail = _load_json(raw_filter)
        if problem == "deep":
            errors.append(_("The filter is nested too deeply."))
        elif problem:
            errors.append(_("The filter is not valid JSON: %(error)s", error=detail))
        elif not isinstance(tree, dict):
            errors.append(_("The filter must be a JSON object."))
    if not raw_sample.strip():
        errors.append(_("Enter a sample event payload (JSON) to test the filter against."))
    elif len(raw_sample) > MAX_SAMPLE_CHARS:
        errors.append(
            _("The sample payload is too large (at most %(num)s characters).", num=MAX_SAMPLE_CHARS)
        )
    else:
        sample, problem, detail = _load_json(raw_sample)
        if problem == "deep":
            errors.append(_("The sample payload is nested too deeply."))
        elif problem:
            errors.append(_("The sample payload is not valid JSON: %(error)s", error=detail))
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
    return Response(html, status=422 if errors else 200, mimetype="text/html")


# --- view, status, delete ------------------------------------------------------------------


def _history(script: Script) -> list[Execution]:
    return execution_service.list_executions(_session(), script.id, limit=HISTORY_LIMIT)


@jsview(SCRIPTS_READ)
def view(script_id: str) -> Any:
    return _view_page(_get_script(script_id), run_input=request.args.get("input", ""))


def _view_page(script: Script, **extra: Any) -> str:
    history = _history(script)
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
        history=history,
        live=any(e.status in LIVE_STATUSES for e in history),
        open_dead_letters=_open_dead_letters(script.id),
        **context,
    )


def _open_dead_letters(script_id: str) -> int:
    return (
        _session().scalar(
            select(func.count())
            .select_from(DeadLetter)
            .where(
                DeadLetter.script_id == script_id,
                DeadLetter.replayed_at.is_(None),
                DeadLetter.discarded_at.is_(None),
            )
        )
        or 0
    )


@jsview(SCRIPTS_UPDATE)
def set_status(script_id: str) -> Any:
    status = request.form.get("status", "")
    script = script_service.set_status(_session(), script_id, status, actor=_actor())
    if is_htmx():
        return render_template(
            "jsscripts/_row.html", script=script, run=last_runs([script.id]).get(script.id)
        )
    flash(_("Status changed to %(status)s", status=_status_label(script.status)), "success")
    if request.form.get("return_to") == "view":
        return redirect(url_for("jsscripts.view", script_id=script.id), code=303)
    return redirect(url_for("jsscripts.index"), code=303)


def _status_label(status: str) -> str:
    return str(dict(STATUS_CHOICES).get(status, status))


@jsview(SCRIPTS_DELETE)
def delete(script_id: str) -> Any:
    script = _get_script(script_id)
    name = script.name
    script_service.delete_script(_session(), script.id)
    target = request.headers.get("HX-Target", "")
    if is_htmx() and target.startswith("jsscripts-row-"):
        return Response("", status=200)  # the row is swapped out in place
    flash(_("Script %(name)s deleted", name=name), "success")
    if is_htmx():
        return Response("", status=200, headers={"HX-Redirect": url_for("jsscripts.index")})
    return redirect(url_for("jsscripts.index"), code=303)


# --- HTTP endpoint tokens ------------------------------------------------------------------


def endpoint_rate_limit(endpoint: Any) -> int | None:
    """The calls per minute the endpoint answers (its own limit or the public default)."""
    return endpoint_service.rate_limit_of(
        endpoint.auth_mode, endpoint.rate_limit_per_minute, current_app.config
    )


def _endpoint_answer(script: Script, token: str | None, notice: str | None) -> Any:
    """The endpoint panel (htmx) or the whole page, showing a new token this once: never
    cached, never redirected to (the token lives in this response only)."""
    if is_htmx():
        html = render_template(
            "jsscripts/_endpoint.html", script=script, new_token=token, endpoint_notice=notice
        )
    else:
        html = _view_page(script, new_token=token, endpoint_notice=notice)
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@jsview(ENDPOINTS_MANAGE)
def issue_token(script_id: str) -> Any:
    script = _get_script(script_id)
    token = endpoint_service.issue_token(_session(), script.id)
    return _endpoint_answer(script, token, None)


@jsview(ENDPOINTS_MANAGE)
def revoke_token(script_id: str) -> Any:
    script = _get_script(script_id)
    endpoint_service.revoke_token(_session(), script.id)
    message = _("The token was revoked: calls with it are refused from now on.")
    if is_htmx():
        return _endpoint_answer(script, None, message)
    flash(message, "success")
    return redirect(url_for("jsscripts.view", script_id=script.id), code=303)


# --- run and executions --------------------------------------------------------------------


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


@jsview(SCRIPTS_EXECUTE)
def run(script_id: str) -> Any:
    script = _get_script(script_id)
    raw = request.form.get("input", "")
    try:
        execution = execution_service.run_script(
            _session(),
            _state().run_context(),
            script.id,
            "manual",
            _parse_input(raw),
            user=permissions.current_user(),
        )
    except ValidationError as exc:
        _session().rollback()
        errors = [m for msgs in exc.errors.values() for m in msgs] or [exc.message]
        if is_htmx():
            html = render_template(
                "jsscripts/_run_panel.html",
                script=script,
                run_input=raw,
                run_errors=errors,
                result=None,
            )
            return Response(html, status=422, mimetype="text/html")
        history = _history(script)
        html = render_template(
            "jsscripts/view.html",
            script=script,
            history=history,
            live=any(e.status in LIVE_STATUSES for e in history),
            run_input=raw,
            run_errors=errors,
            result=None,
        )
        return Response(html, status=422, mimetype="text/html")
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
        return Response(html, mimetype="text/html", headers={"HX-Trigger": "jsscripts:ran"})
    return redirect(
        url_for("jsscripts.execution", script_id=script.id, execution_id=execution.id), code=303
    )


@jsview(SCRIPTS_READ)
def executions(script_id: str) -> Any:
    script = _get_script(script_id)
    history = _history(script)
    template = "jsscripts/_executions.html" if is_htmx() else "jsscripts/executions.html"
    return render_template(
        template,
        script=script,
        history=history,
        live=any(e.status in LIVE_STATUSES for e in history),
    )


def _execution_of(script_id: str, execution_id: str) -> tuple[Script, Execution]:
    script = _get_script(script_id)
    found = execution_service.get_execution(_session(), execution_id)
    if found.script_id != script.id:
        raise NotFound("execution not found")
    return script, found


def _output_head(execution: Execution) -> output_service.OutputHead | None:
    """The head of a completed run's output (pages never load an output whole)."""
    if execution.status != "completed":
        return None
    return output_service.output_head(_session(), execution.id)


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
    session = _session()
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


# --- versions ------------------------------------------------------------------------------


@jsview(SCRIPTS_READ)
def versions(script_id: str) -> Any:
    script = _get_script(script_id)
    return render_template(
        "jsscripts/versions.html",
        script=script,
        versions=script_service.list_versions(_session(), script.id),
    )


@jsview(SCRIPTS_READ)
def version(script_id: str, number: int) -> Any:
    script = _get_script(script_id)
    old: ScriptVersion = script_service.get_version(_session(), script.id, _version_number(number))
    current_label = _("current (version %(num)s)", num=script.current_version)
    return render_template(
        "jsscripts/version.html",
        script=script,
        version=old,
        diff=diff_lines(
            old.source, script.source, _("version %(num)s", num=old.number), current_label
        ),
    )


@jsview(SCRIPTS_UPDATE)
def rollback(script_id: str, number: int) -> Any:
    script = _get_script(script_id)
    created = script_service.rollback(
        _session(), script.id, _version_number(number), runtime=_state().runtime, actor=_actor()
    )
    flash(
        _("Version %(num)s created (rollback to version %(old)s)", num=created.number, old=number),
        "success",
    )
    target = url_for("jsscripts.view", script_id=script.id)
    if is_htmx():
        return Response("", status=200, headers={"HX-Redirect": target})
    return redirect(target, code=303)


# --- dead letters --------------------------------------------------------------------------

DEAD_LETTER_STATES = dead_letter_service.STATES  # open, replayed, discarded, all
BULK_LIMIT = 500  # what one "replay all" / "discard all" handles (the service's page size)


def _dead_letter_state_labels() -> dict[str, str]:
    labels = {
        "open": _("Open"),
        "replayed": _("Replayed"),
        "discarded": _("Discarded"),
        "all": _("All"),
    }
    assert tuple(labels) == DEAD_LETTER_STATES
    return labels


def letter_state(letter: DeadLetter) -> str:
    if letter.replayed_at is not None:
        return "replayed"
    if letter.discarded_at is not None:
        return "discarded"
    return "open"


def _refusal_message(exc: RunRefused) -> str:
    """The user's words for a refused replay (the service's reason codes)."""
    if exc.reason == "closed":
        return _("This dead letter was already replayed or discarded.")
    if exc.reason == "disabled":
        return _("Event runs are switched off: nothing can be replayed.")
    if exc.reason == "inactive":
        return _("The script is not active: activate it, then replay.")
    return exc.message


def _list_filters() -> dict[str, Any]:
    """State and script of the dead-letter list, from the query string or a posted form."""
    source = request.form if request.method == "POST" else request.args
    state = source.get("state", "open")
    script_id = source.get("script", "").strip()
    script = _get_script(script_id) if script_id else None  # a foreign script: 404
    return {"state": state if state in DEAD_LETTER_STATES else "open", "script": script}


def _list_url(filters: dict[str, Any], page: int | None = None) -> str:
    args: dict[str, Any] = {"state": filters["state"]}
    if filters["script"] is not None:
        args["script"] = filters["script"].id
    if page and page > 1:
        args["page"] = page
    return url_for("jsscripts.dead_letters", **args)


def _script_names(extra: list[str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Names of the scripts that have dead letters (for the filter) and of ``extra`` ids."""
    with_letters = select(DeadLetter.script_id).distinct().scalar_subquery()
    rows = _session().execute(
        select(Script.id, Script.name)
        .where(Script.id.in_(with_letters) | Script.id.in_(extra))
        .order_by(Script.name)
    )
    pairs = [(row.id, row.name) for row in rows]
    return dict(pairs), pairs


def _dead_letter_list(filters: dict[str, Any], notices: list[tuple[str, str]]) -> dict[str, Any]:
    page_no = _int_arg("page", 1) if request.method == "GET" else 1
    script = filters["script"]
    script_id = script.id if script is not None else None

    def fetch(page: int) -> tuple[list[DeadLetter], int]:
        return dead_letter_service.list_dead_letters(
            _session(),
            state=filters["state"],
            script_id=script_id,
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
        )

    rows, total = fetch(page_no)
    pages = max(1, math.ceil(total / PER_PAGE))
    if page_no > pages:
        page_no = pages
        rows, total = fetch(page_no)
    names, choices = _script_names([script_id] if script_id else [])
    return {
        "letters": rows,
        "total": total,
        "page_no": page_no,
        "pages": pages,
        "state": filters["state"],
        "script": script,
        "script_names": names,
        "script_choices": choices,
        "state_labels": _dead_letter_state_labels(),
        "prev_url": _list_url(filters, page_no - 1) if page_no > 1 else None,
        "next_url": _list_url(filters, page_no + 1) if page_no < pages else None,
        "notices": notices,
    }


@jsview(SCRIPTS_READ)
def dead_letters() -> Any:
    context = _dead_letter_list(_list_filters(), [])
    if is_htmx() and request.headers.get("HX-Target") == "jsscripts-dl-results":
        return render_template("jsscripts/_dead_letter_results.html", **context)
    return render_template("jsscripts/dead_letters.html", **context)


def _attempts(letter: DeadLetter) -> list[Execution]:
    """Every run of the event for the script: the recorded attempts and the replays since."""
    found = {e.id: e for e in dead_letter_service.attempts_of(_session(), letter)}
    if letter.event_id:
        for e in _session().scalars(
            select(Execution).where(
                Execution.script_id == letter.script_id, Execution.event_id == letter.event_id
            )
        ):
            found.setdefault(e.id, e)
    return sorted(found.values(), key=lambda e: (e.attempt, e.created_at))


def _detail_context(letter: DeadLetter, notices: list[tuple[str, str]]) -> dict[str, Any]:
    recorded = set(letter.attempts or [])
    return {
        "letter": letter,
        "script": _get_script(letter.script_id),
        "state": letter_state(letter),
        "attempts": _attempts(letter),
        "recorded": recorded,
        "state_labels": _dead_letter_state_labels(),
        "notices": notices,
    }


@jsview(SCRIPTS_READ)
def dead_letter(dead_letter_id: str) -> Any:
    letter = dead_letter_service.get_dead_letter(_session(), dead_letter_id)
    return render_template("jsscripts/dead_letter.html", **_detail_context(letter, []))


def _letter_answer(
    letter: DeadLetter,
    filters: dict[str, Any],
    status: int,
    notices: list[tuple[str, str]],
    queued: Execution | None = None,
) -> Any:
    """What a replay or discard of one dead letter answers. A refusal: its message as text for
    htmx (ui.js shows it), else the detail page with the message. A success: the row or the
    detail fragment for htmx (by its target), else a redirect to where the form came from,
    with the notices flashed."""
    if status >= 400:
        if is_htmx():
            return Response(notices[0][1], status=status, mimetype="text/plain")
        html = render_template("jsscripts/dead_letter.html", **_detail_context(letter, notices))
        return Response(html, status=status, mimetype="text/html")
    target = request.headers.get("HX-Target", "") if is_htmx() else ""
    if target == f"jsscripts-dl-row-{letter.id}":
        names, _pairs = _script_names([letter.script_id])
        return render_template(
            "jsscripts/_dead_letter_row.html",
            letter=letter,
            script_names=names,
            state_labels=_dead_letter_state_labels(),
            notices=notices,
            queued=queued,
            **filters,
        )
    if target == "jsscripts-dead-letter":
        return render_template(
            "jsscripts/_dead_letter_detail.html", **_detail_context(letter, notices)
        )
    for category, message in notices:
        flash(message, category)
    if request.form.get("return_to") == "list":
        location = _list_url(filters)
    else:
        location = url_for("jsscripts.dead_letter", dead_letter_id=letter.id)
    if is_htmx():
        return Response("", status=200, headers={"HX-Redirect": location})
    return redirect(location, code=303)


@jsview(SCRIPTS_EXECUTE)
def replay_dead_letter(dead_letter_id: str) -> Any:
    letter = dead_letter_service.get_dead_letter(_session(), dead_letter_id)
    filters = _list_filters()  # where the answer goes back to: checked before acting
    try:
        queued = dead_letter_service.replay(_session(), _state().run_context(), letter.id)
    except RunRefused as exc:
        _session().rollback()
        letter = dead_letter_service.get_dead_letter(_session(), dead_letter_id)
        return _letter_answer(letter, filters, 409, [("error", _refusal_message(exc))])
    message = _("The event was queued again (attempt %(num)s).", num=queued.attempt)
    return _letter_answer(letter, filters, 200, [("success", message)], queued)


@jsview(SCRIPTS_UPDATE)
def discard_dead_letter(dead_letter_id: str) -> Any:
    letter = dead_letter_service.get_dead_letter(_session(), dead_letter_id)
    filters = _list_filters()
    if letter_state(letter) != "open":
        message = _("This dead letter was already replayed or discarded.")
        return _letter_answer(letter, filters, 409, [("error", message)])
    dead_letter_service.discard(_session(), letter.id)
    return _letter_answer(letter, filters, 200, [("success", _("Dead letter discarded."))])


def _bulk_answer(filters: dict[str, Any], notices: list[tuple[str, str]]) -> Any:
    if is_htmx():
        context = _dead_letter_list(filters, notices)
        return render_template("jsscripts/_dead_letter_results.html", **context)
    for category, message in notices:
        flash(message, category)
    return redirect(_list_url(filters), code=303)


@jsview(SCRIPTS_EXECUTE)
def replay_all_dead_letters() -> Any:
    filters = _list_filters()
    script = filters["script"]
    queued, refused = dead_letter_service.replay_all(
        _session(), _state().run_context(), script_id=script.id if script else None
    )
    notices: list[tuple[str, str]] = []
    if not queued and not refused:
        notices.append(("success", _("There are no open dead letters to replay.")))
    elif queued:
        message = ngettext(
            "%(num)d event queued again.", "%(num)d events queued again.", len(queued)
        )
        notices.append(("success", message))
    notices.extend(("error", message) for message in _refusal_notices(refused))
    return _bulk_answer(filters, notices)


def _refusal_notices(refused: list[tuple[DeadLetter, str]]) -> list[str]:
    """One line per cause of the refusals of a "replay all" (they only concern open letters:
    event runs switched off, or scripts that are not active)."""
    if not refused:
        return []
    config = _state().config
    if not (config["JSSCRIPTS_ENABLED"] and config["JSSCRIPTS_ENABLE_EVENTS"]):
        return [_("Event runs are switched off: nothing can be replayed.")]
    per_script: dict[str, int] = {}
    for letter, _reason in refused:
        per_script[letter.script_id] = per_script.get(letter.script_id, 0) + 1
    names, _pairs = _script_names(list(per_script))
    return [
        ngettext(
            "%(num)d dead letter of %(name)s was not replayed: the script is not active.",
            "%(num)d dead letters of %(name)s were not replayed: the script is not active.",
            count,
            name=names.get(script_id, script_id),
        )
        for script_id, count in per_script.items()
    ]


@jsview(SCRIPTS_UPDATE)
def discard_all_dead_letters() -> Any:
    filters = _list_filters()
    script = filters["script"]
    ids = None
    if script is not None:
        letters, _total = dead_letter_service.list_dead_letters(
            _session(), script_id=script.id, limit=BULK_LIMIT
        )
        ids = [letter.id for letter in letters]
    count = dead_letter_service.discard_all(_session(), ids)
    message = ngettext("%(num)d dead letter discarded.", "%(num)d dead letters discarded.", count)
    return _bulk_answer(filters, [("success", message)])


# --- static Monaco -------------------------------------------------------------------------


def monaco(filename: str) -> Any:
    """Monaco's AMD build, from the package (no CDN), cached for a year."""
    response = send_from_directory(assets.monaco_dir(), filename, max_age=assets.MONACO_MAX_AGE)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


# --- blueprint -----------------------------------------------------------------------------


def csrf_problem() -> str | None:
    """Why the request carries no valid CSRF token (form field or header, as Flask-WTF looks
    for it), or None when it does or CSRF is switched off (``WTF_CSRF_ENABLED``)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or g.get("csrf_valid"):
        return None
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = request.form.get(field)
    if not token:
        headers = current_app.config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"])
        for header in headers:
            token = request.headers.get(header)
            if token:
                break
    try:
        validate_csrf(token)
    except WTFValidationError as exc:
        return exc.args[0] if exc.args else "CSRF check failed"
    g.csrf_valid = True
    return None


def _not_on_the_endpoint_origin() -> None:
    """No admin page on the endpoint origin, where scripts' answers live."""
    if origin.on_endpoint_origin():
        abort(404)


def _check_csrf() -> None:
    """POSTs need a valid CSRF token even when the host has no ``CSRFProtect``."""
    if request.method not in STATE_CHANGING:
        return
    problem = csrf_problem()
    if problem is not None:
        raise CSRFError(problem)


def _handle_http_error(exc: HTTPException) -> Any:
    if exc.code is None or exc.code < 400:
        return exc
    if isinstance(exc, CSRFError):
        message = _(
            "The security token of this page expired or is missing (CSRF). "
            "Reload the page and try again."
        )
    elif exc.code == 403:
        message = _("You do not have permission to do this.")
    elif exc.code == 404:
        message = _("Not found.")
    elif exc.code == 405:
        message = _("This action is not allowed here.")
    elif exc.code >= 500:
        message = _("Something went wrong on the server. Please try again.")
    else:
        message = _("The request could not be processed.")
    return error_response(exc.code, message)


def _database_unavailable(exc: OperationalError) -> Response:
    """The database went away (a restart, a failover): 503 and a moment to wait, on a bare
    page (the host's layout, like a locale chosen from the user's profile, may need the
    database too)."""
    log.warning("admin page: database unavailable (%s)", type(exc.orig).__name__)
    try:
        message = _("Something went wrong on the server. Please try again.")
    except Exception:  # noqa: BLE001 - the host's locale selector may need the database
        message = "Something went wrong on the server. Please try again."
    if is_htmx():
        response = Response(message, status=503, mimetype="text/plain")
    else:
        page = f"<!doctype html><title>503</title><p>{escape(message)}</p>"
        response = Response(page, status=503, mimetype="text/html")
    response.headers["Retry-After"] = "5"
    return response


def _context() -> dict[str, Any]:
    config = current_app.config
    return {
        # Our domain for our templates (see flask_jsscripts.i18n for why and the fallback).
        "_": _,
        "gettext": _,
        "ngettext": ngettext,
        "csrf_token": generate_csrf,
        "jsscripts_base_template": config["JSSCRIPTS_BASE_TEMPLATE"],
        "jsscripts_include_htmx": config["JSSCRIPTS_INCLUDE_HTMX"],
        "jsscripts_lang": locale_name(),
        "jsscripts_can": can,
        "jsscripts_is_htmx": is_htmx(),
        "P": _PERMISSION_NAMES,
        "dumps": _dumps,
        "fmt_dt": _fmt_dt,
        "type_labels": dict(TYPE_CHOICES),
        "status_labels": dict(STATUS_CHOICES),
        "execution_status_labels": _execution_status_labels(),
        "trigger_labels": _trigger_labels(),
        "end_reason_labels": _end_reason_labels(),
        "auth_labels": dict(AUTH_CHOICES),
        "endpoint_url": origin.endpoint_url,
        "endpoint_rate_limit": endpoint_rate_limit,
    }


_PERMISSION_NAMES = SimpleNamespace(
    read=SCRIPTS_READ,
    create=SCRIPTS_CREATE,
    update=SCRIPTS_UPDATE,
    delete=SCRIPTS_DELETE,
    execute=SCRIPTS_EXECUTE,
    manage=ENDPOINTS_MANAGE,
)


def _execution_status_labels() -> dict[str, str]:
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


def _trigger_labels() -> dict[str, str]:
    labels = {
        "manual": _("Manual"),
        "cron": _("Schedule"),
        "http": _("HTTP request"),
        "event": _("Event"),
        "api": _("API"),
    }
    assert set(labels) == set(EXECUTION_TRIGGERS)
    return labels


def _end_reason_labels() -> dict[str, str]:
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


ROUTES: tuple[tuple[str, str, Callable[..., Any], tuple[str, ...]], ...] = (
    ("/", "index", index, ("GET",)),
    ("/new", "new", new, ("GET", "POST")),
    ("/cron-preview", "cron_preview", cron_preview, ("GET",)),
    ("/filter-test", "filter_test", filter_test, ("POST",)),
    ("/dead-letters", "dead_letters", dead_letters, ("GET",)),
    ("/dead-letters/replay-all", "replay_all_dead_letters", replay_all_dead_letters, ("POST",)),
    (
        "/dead-letters/discard-all",
        "discard_all_dead_letters",
        discard_all_dead_letters,
        ("POST",),
    ),
    ("/dead-letters/<dead_letter_id>", "dead_letter", dead_letter, ("GET",)),
    (
        "/dead-letters/<dead_letter_id>/replay",
        "replay_dead_letter",
        replay_dead_letter,
        ("POST",),
    ),
    (
        "/dead-letters/<dead_letter_id>/discard",
        "discard_dead_letter",
        discard_dead_letter,
        ("POST",),
    ),
    ("/<script_id>", "view", view, ("GET",)),
    ("/<script_id>/edit", "edit", edit, ("GET", "POST")),
    ("/<script_id>/status", "set_status", set_status, ("POST",)),
    ("/<script_id>/delete", "delete", delete, ("POST",)),
    ("/<script_id>/run", "run", run, ("POST",)),
    ("/<script_id>/endpoint/token", "issue_token", issue_token, ("POST",)),
    ("/<script_id>/endpoint/token/revoke", "revoke_token", revoke_token, ("POST",)),
    ("/<script_id>/executions", "executions", executions, ("GET",)),
    ("/<script_id>/executions/<execution_id>", "execution", execution, ("GET",)),
    (
        "/<script_id>/executions/<execution_id>/output",
        "execution_output",
        execution_output,
        ("GET",),
    ),
    ("/<script_id>/versions", "versions", versions, ("GET",)),
    ("/<script_id>/versions/<int:number>", "version", version, ("GET",)),
    ("/<script_id>/versions/<int:number>/rollback", "rollback", rollback, ("POST",)),
    ("/monaco/<path:filename>", "monaco", monaco, ("GET",)),
)


def create_blueprint() -> Blueprint:
    """A new ``jsscripts`` blueprint (one per app): pages, its static folder, Monaco."""
    bp = Blueprint(
        "jsscripts",
        __name__,
        template_folder=assets.templates_dir(),
        static_folder=assets.static_dir(),
        static_url_path="/static",
    )
    for rule, endpoint, fn, methods in ROUTES:
        bp.add_url_rule(rule, endpoint, fn, methods=list(methods))
    bp.before_request(_not_on_the_endpoint_origin)
    bp.before_request(_check_csrf)
    bp.context_processor(_context)
    bp.register_error_handler(HTTPException, _handle_http_error)
    bp.register_error_handler(OperationalError, _database_unavailable)
    return bp
