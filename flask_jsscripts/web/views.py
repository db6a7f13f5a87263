"""The admin blueprint: its routes, the context its templates share, and how it answers
errors. The views themselves live by feature in :mod:`.scripts`, :mod:`.runs`,
:mod:`.versions`, :mod:`.tokens`, :mod:`.tools` and :mod:`.dead_letters`.

State changes are POST only and CSRF-checked: by the host's ``CSRFProtect`` when it has one,
else by this blueprint's ``before_request`` (:mod:`.csrf`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, send_from_directory
from flask_wtf.csrf import CSRFError, generate_csrf
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from ..i18n import gettext as _
from ..i18n import locale_name, ngettext
from ..permissions import (
    ENDPOINTS_MANAGE,
    SCRIPTS_CREATE,
    SCRIPTS_DELETE,
    SCRIPTS_EXECUTE,
    SCRIPTS_READ,
    SCRIPTS_UPDATE,
)
from ..services import endpoints as endpoint_service
from . import assets, dead_letters, origin, runs, scripts, tokens, tools, versions
from .common import PUBLIC_ENDPOINTS, VIEW_PERMISSIONS, can, error_response, is_htmx
from .csrf import check_csrf
from .forms import AUTH_CHOICES, STATUS_CHOICES, TYPE_CHOICES
from .labels import end_reason_labels, execution_status_labels, trigger_labels

__all__ = ["PUBLIC_ENDPOINTS", "ROUTES", "VIEW_PERMISSIONS", "create_blueprint"]

log = logging.getLogger(__name__)


def monaco(filename: str) -> Any:
    """Monaco's AMD build, from the package (no CDN), cached for a year."""
    response = send_from_directory(assets.monaco_dir(), filename, max_age=assets.MONACO_MAX_AGE)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


def endpoint_rate_limit(endpoint: Any) -> int | None:
    """The calls per minute the endpoint answers (its own limit or the public default)."""
    return endpoint_service.rate_limit_of(
        endpoint.auth_mode, endpoint.rate_limit_per_minute, current_app.config
    )


def _not_on_the_endpoint_origin() -> None:
    """No admin page on the endpoint origin, where scripts' answers live."""
    if origin.on_endpoint_origin():
        abort(404)


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


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def _fmt_dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


class _PermissionNames:
    """The permissions as templates name them: ``jsscripts_can(P.update)``."""

    read = SCRIPTS_READ
    create = SCRIPTS_CREATE
    update = SCRIPTS_UPDATE
    delete = SCRIPTS_DELETE
    execute = SCRIPTS_EXECUTE
    manage = ENDPOINTS_MANAGE


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
        "P": _PermissionNames,
        "dumps": _dumps,
        "fmt_dt": _fmt_dt,
        "type_labels": dict(TYPE_CHOICES),
        "status_labels": dict(STATUS_CHOICES),
        "execution_status_labels": execution_status_labels(),
        "trigger_labels": trigger_labels(),
        "end_reason_labels": end_reason_labels(),
        "auth_labels": dict(AUTH_CHOICES),
        "endpoint_url": origin.endpoint_url,
        "endpoint_rate_limit": endpoint_rate_limit,
    }


GET, POST, GET_POST = ("GET",), ("POST",), ("GET", "POST")

# (rule, view, methods); each endpoint is named after its view function.
ROUTES: tuple[tuple[str, Callable[..., Any], tuple[str, ...]], ...] = (
    ("/", scripts.index, GET),
    ("/new", scripts.new, GET_POST),
    ("/cron-preview", tools.cron_preview, GET),
    ("/filter-test", tools.filter_test, POST),
    ("/source-check", tools.source_check, POST),
    ("/dead-letters", dead_letters.dead_letters, GET),
    ("/dead-letters/replay-all", dead_letters.replay_all_dead_letters, POST),
    ("/dead-letters/discard-all", dead_letters.discard_all_dead_letters, POST),
    ("/dead-letters/<dead_letter_id>", dead_letters.dead_letter, GET),
    ("/dead-letters/<dead_letter_id>/replay", dead_letters.replay_dead_letter, POST),
    ("/dead-letters/<dead_letter_id>/discard", dead_letters.discard_dead_letter, POST),
    ("/<script_id>", scripts.view, GET),
    ("/<script_id>/edit", scripts.edit, GET_POST),
    ("/<script_id>/status", scripts.set_status, POST),
    ("/<script_id>/delete", scripts.delete, POST),
    ("/<script_id>/run", runs.run, POST),
    ("/<script_id>/endpoint/token", tokens.issue_token, POST),
    ("/<script_id>/endpoint/token/revoke", tokens.revoke_token, POST),
    ("/<script_id>/executions", runs.executions, GET),
    ("/<script_id>/executions/<execution_id>", runs.execution, GET),
    ("/<script_id>/executions/<execution_id>/output", runs.execution_output, GET),
    ("/<script_id>/versions", versions.versions, GET),
    ("/<script_id>/versions/<int:number>", versions.version, GET),
    ("/<script_id>/versions/<int:number>/rollback", versions.rollback, POST),
    ("/monaco/<path:filename>", monaco, GET),
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
    for rule, view, methods in ROUTES:
        bp.add_url_rule(rule, view.__name__, view, methods=list(methods))
    bp.before_request(_not_on_the_endpoint_origin)
    bp.before_request(check_csrf)
    bp.context_processor(_context)
    bp.register_error_handler(HTTPException, _handle_http_error)
    bp.register_error_handler(OperationalError, _database_unavailable)
    return bp
