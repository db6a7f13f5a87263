"""Which changes to an HTTP endpoint need ``endpoints.manage``: the one rule, applied wherever an
endpoint's settings are written (:func:`flask_jsscripts.services.scripts.apply_fields`, which the
editor's create and update and the import all go through).

``session`` access keeps an endpoint among the tenant's signed-in users, who need
``scripts.execute`` to call it. ``token`` and ``public`` access open it to programs and to
anyone: choosing them, or leaving them, is the decision ``endpoints.manage`` stands for. So is
the rate limit of a public endpoint, the only thing between it and anonymous callers. Issuing,
rotating and revoking a token are views that need the permission themselves. Everything else
about an endpoint (path, methods, source, status) stays with ``scripts.update``: an admin who
made an endpoint public decided who may call it, not what it runs.

The services trust their caller, as they do for every other permission: the views pass what
the signed-in user may do; Python code and the CLI (which run with the server's own rights)
may do everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import PermissionDenied
from .validation import ScriptInput

MANAGED_MODES = frozenset({"token", "public"})


@dataclass(frozen=True)
class Access:
    """Who may call a script's endpoint: its access mode (None: the script has no endpoint)
    and its own rate limit."""

    mode: str | None = None
    rate_limit: int | None = None


NO_ENDPOINT = Access()


def access_of_script(script: Any) -> Access:
    """The stored access of a script's endpoint (a new, unsaved script has none)."""
    if script.type != "http" or not script.endpoints:
        return NO_ENDPOINT
    endpoint = script.endpoints[0]
    return Access(endpoint.auth_mode, endpoint.rate_limit_per_minute)


def access_of_input(data: ScriptInput) -> Access:
    """The access a validated script input asks for."""
    if data.type != "http":
        return NO_ENDPOINT
    return Access(data.http_auth, data.http_rate_limit)


def needs_manage(before: Access, after: Access) -> bool:
    """Does going from ``before`` to ``after`` need ``endpoints.manage``?"""
    if before.mode != after.mode and (before.mode in MANAGED_MODES or after.mode in MANAGED_MODES):
        return True
    return after.mode == "public" and before.rate_limit != after.rate_limit


def check(before: Access, after: Access, *, may_manage: bool) -> None:
    """Raise :class:`PermissionDenied` for a change the caller may not make."""
    if not may_manage and needs_manage(before, after):
        raise PermissionDenied(
            "making an endpoint public or token-protected, changing it back, or changing a "
            "public endpoint's rate limit needs the endpoints.manage permission"
        )
