"""What every admin view shares: the :func:`jsview` decorator, the extension's state, error
responses and the choice between a whole page and an htmx fragment.

Every view goes through :func:`jsview`: permission first (deny by default), then the tenant
from the host's loader (none: 403), then the view body inside ``tenancy.tenant_scope``; a
:class:`ServiceError` becomes its status with its message (an HTML page for full requests, a
short ``text/plain`` body for htmx requests, which ``ui.js`` shows in an alert).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any, TypeVar

from flask import Response, abort, g, redirect, render_template, request
from sqlalchemy.orm import Session

from .. import permissions, tenancy
from ..models import Script
from ..services import executions as execution_service
from ..services import scripts as script_service
from ..services.errors import ServiceError
from ..state import current_state

F = TypeVar("F", bound=Callable[..., Any])

PER_PAGE = 25

# endpoint -> permission, filled by @jsview; the tests walk the URL map against it.
VIEW_PERMISSIONS: dict[str, str | tuple[str, ...]] = {}
# Endpoints that need no permission: static files of the UI (public, versioned libraries).
PUBLIC_ENDPOINTS = frozenset({"static", "monaco"})


def db_session() -> Session:
    return current_state().db.session


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def htmx_target() -> str:
    """The element an htmx request swaps ("" for a full request)."""
    return request.headers.get("HX-Target", "") if is_htmx() else ""


def can(perm: str) -> bool:
    """Template helper: may the current user do ``perm``? (cached for the request)"""
    cache = g.setdefault("_jsscripts_perms", {})
    if perm not in cache:
        cache[perm] = permissions.has_permission(permissions.current_user(), perm)
    return cache[perm]


def actor() -> str | None:
    """Who does this, as recorded next to what it changed."""
    ident = (execution_service.user_ref(permissions.current_user()) or {}).get("id")
    return None if ident is None else ident[:64]


def error_response(status: int, message: str) -> Response:
    """A failure the user sees: plain text for htmx (ui.js shows it), else a full page."""
    if is_htmx():
        return Response(message, status=status, mimetype="text/plain")
    return html_response(
        render_template("jsscripts/error.html", status=status, message=message), status
    )


def html_response(html: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(html, status=status, mimetype="text/html", headers=headers)


def page_or_fragment(
    page_template: str, fragment_template: str, target: str | None = None, /, **context: Any
) -> str:
    """The fragment for an htmx request (aimed at ``target``, when given), else the page."""
    if is_htmx() and (target is None or request.headers.get("HX-Target") == target):
        return render_template(fragment_template, **context)
    return render_template(page_template, **context)


def go_to(location: str) -> Response:
    """After a change: htmx follows an ``HX-Redirect``, a form post a 303."""
    if is_htmx():
        return Response("", status=200, headers={"HX-Redirect": location})
    return redirect(location, code=303)


def int_arg(name: str, default: int) -> int:
    try:
        return max(1, min(int(request.args.get(name, default)), 1_000_000))
    except (TypeError, ValueError):
        return default


def get_script(script_id: str) -> Script:
    return script_service.get_script(db_session(), script_id)


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
            tenant = current_state().load_tenant()
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
                    db_session().rollback()
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
