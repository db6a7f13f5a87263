"""CSRF for the admin pages and the session endpoints: state changes need a valid token even
when the host has no ``CSRFProtect`` (so the UI is never unprotected)."""

from __future__ import annotations

from flask import current_app, g, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError as WTFValidationError

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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


def check_csrf() -> None:
    """``before_request`` of the admin blueprint: a state change without a valid token is
    refused (400, the CSRF error page)."""
    if request.method not in STATE_CHANGING:
        return
    problem = csrf_problem()
    if problem is not None:
        raise CSRFError(problem)
