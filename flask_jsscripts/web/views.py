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
    url_for,
)
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
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
    Execution,
    Script,
    ScriptVersion,
)
from ..permissions import (
    SCRIPTS_CREATE,
    SCRIPTS_DELETE,
    SCRIPTS_EXECUTE,
    SCRIPTS_READ,
    SCRIPTS_UPDATE,
)
from ..services import executions as execution_service
from ..services import scripts as script_service
from ..services.errors import NotFound, ServiceError, ValidationError
from ..services.validation import next_cron_runs, validate_script
from . import assets
from .forms import AUTH_CHOICES, STATUS_CHOICES, TYPE_CHOICES, ScriptForm

F = TypeVar("F", bound=Callable[..., Any])

PER_PAGE = 25
HISTORY_LIMIT = 20
MAX_VERSION_NUMBER = 2**31 - 1  # beyond an INTEGER column: unknown, not a database error
LIVE_STATUSES = ("pending", "running")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# endpoint -> permission, filled by @jsview; the tests walk the URL map against it.
VIEW_PERMISSIONS: dict[str, str] = {}
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


def jsview(perm: str) -> Callable[[F], F]:
    """Permission, tenant scope and service-error handling around a view."""

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
        "type_choices": TYPE_CHOICES,
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
    if form.validate():
        try:
            if script is None:
                saved = script_service.create_script(
                    _session(),
                    form.to_input(),
                    config=state.config,
                    runtime=state.runtime,
                    actor=_actor(),
                )
            else:
                saved = script_service.update_script(
                    _session(),
                    script.id,
                    form.to_input(),
                    config=state.config,
                    runtime=state.runtime,
                    actor=_actor(),
                )
        except ValidationError as exc:
            _session().rollback()
            general = form.apply_service_errors(exc.errors)
            syntax = _syntax_error(exc)
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
    return _render_form(form, script, general, syntax, status=422)


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
    if request.method == "POST":
        return _save(form, None)
    if not form.source.data:
        form.source.data = NEW_SCRIPT_SOURCE
    return _render_form(form, None)


@jsview(SCRIPTS_UPDATE)
def edit(script_id: str) -> Any:
    script = _get_script(script_id)
    form = ScriptForm()
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


# --- view, status, delete ------------------------------------------------------------------


def _history(script: Script) -> list[Execution]:
    return execution_service.list_executions(_session(), script.id, limit=HISTORY_LIMIT)


@jsview(SCRIPTS_READ)
def view(script_id: str) -> Any:
    script = _get_script(script_id)
    history = _history(script)
    return render_template(
        "jsscripts/view.html",
        script=script,
        history=history,
        live=any(e.status in LIVE_STATUSES for e in history),
        run_input=request.args.get("input", ""),
        run_errors=[],
        result=None,
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


# --- run and executions --------------------------------------------------------------------


def _parse_input(raw: str) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        message = _("The input is not valid JSON: %(error)s", error=exc)
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


@jsview(SCRIPTS_READ)
def execution(script_id: str, execution_id: str) -> Any:
    script = _get_script(script_id)
    found = execution_service.get_execution(_session(), execution_id)
    if found.script_id != script.id:
        raise NotFound("execution not found")
    return render_template("jsscripts/execution.html", script=script, execution=found)


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


# --- static Monaco -------------------------------------------------------------------------


def monaco(filename: str) -> Any:
    """Monaco's AMD build, from the package (no CDN), cached for a year."""
    response = send_from_directory(assets.monaco_dir(), filename, max_age=assets.MONACO_MAX_AGE)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


# --- blueprint -----------------------------------------------------------------------------


def _check_csrf() -> None:
    """POSTs need a valid CSRF token even when the host has no ``CSRFProtect``."""
    if request.method not in STATE_CHANGING:
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or g.get("csrf_valid"):
        return
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
        raise CSRFError(exc.args[0] if exc.args else "CSRF check failed") from None
    g.csrf_valid = True


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
    }


_PERMISSION_NAMES = SimpleNamespace(
    read=SCRIPTS_READ,
    create=SCRIPTS_CREATE,
    update=SCRIPTS_UPDATE,
    delete=SCRIPTS_DELETE,
    execute=SCRIPTS_EXECUTE,
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
    }
    assert set(labels) == set(END_REASONS)
    return labels


ROUTES: tuple[tuple[str, str, Callable[..., Any], tuple[str, ...]], ...] = (
    ("/", "index", index, ("GET",)),
    ("/new", "new", new, ("GET", "POST")),
    ("/cron-preview", "cron_preview", cron_preview, ("GET",)),
    ("/<script_id>", "view", view, ("GET",)),
    ("/<script_id>/edit", "edit", edit, ("GET", "POST")),
    ("/<script_id>/status", "set_status", set_status, ("POST",)),
    ("/<script_id>/delete", "delete", delete, ("POST",)),
    ("/<script_id>/run", "run", run, ("POST",)),
    ("/<script_id>/executions", "executions", executions, ("GET",)),
    ("/<script_id>/executions/<execution_id>", "execution", execution, ("GET",)),
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
    bp.before_request(_check_csrf)
    bp.context_processor(_context)
    bp.register_error_handler(HTTPException, _handle_http_error)
    return bp
