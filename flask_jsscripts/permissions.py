"""Permission names and the deny-by-default check used by every view.

Deny by default: without a permission checker every check fails (and ``init_app`` logs a
warning). With one, its answer is final. Hosts whose user objects already answer
``user.has_permission(perm)`` register :func:`user_has_permission` as their checker.
No user, an anonymous user, an unknown permission or a checker that raises: denied.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, has_app_context

from .services.context import grants

SCRIPTS_READ = "scripts.read"
SCRIPTS_CREATE = "scripts.create"
SCRIPTS_UPDATE = "scripts.update"
SCRIPTS_DELETE = "scripts.delete"
SCRIPTS_EXECUTE = "scripts.execute"
# Who may call an endpoint from outside the tenant's signed-in users: making an endpoint public
# or giving it token access (and back), a public endpoint's rate limit, and issuing, rotating
# and revoking its token (services.endpoint_access holds the rule).
ENDPOINTS_MANAGE = "endpoints.manage"

ALL_PERMISSIONS: frozenset[str] = frozenset(
    {
        SCRIPTS_READ,
        SCRIPTS_CREATE,
        SCRIPTS_UPDATE,
        SCRIPTS_DELETE,
        SCRIPTS_EXECUTE,
        ENDPOINTS_MANAGE,
    }
)

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def _state() -> Any:
    return current_app.extensions.get("jsscripts") if has_app_context() else None


def has_permission(user: Any, perm: str) -> bool:
    """True only when something positively grants ``perm`` (one of ours) to ``user``."""
    if perm not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {perm!r}")
    return granted(user, perm)


def granted(user: Any, perm: str) -> bool:
    """The host checker's answer for any permission name (host functions may use their own)."""
    state = _state()
    return grants(state.permission_checker if state is not None else None, user, perm)


def user_has_permission(user: Any, perm: str) -> bool:
    """A ready-made checker for hosts whose users have ``has_permission(perm)``:
    ``jsscripts.permission_checker(user_has_permission)``."""
    method = getattr(user, "has_permission", None)
    return callable(method) and method(perm) is True


def current_user() -> Any:
    """The user the extension acts for, from the host's ``user_loader`` (None without one)."""
    state = _state()
    return state.load_user() if state is not None else None


def requires(perm: str) -> Callable[[F], F]:
    """View decorator: 403 unless the current user has ``perm``."""
    if perm not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {perm!r}")

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not has_permission(current_user(), perm):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
