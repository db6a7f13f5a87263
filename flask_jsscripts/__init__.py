"""flask-jsscripts: admins write JavaScript in the browser; the server runs it in a sandbox.

The public names are imported lazily so that ``flask_jsscripts.runtime`` (which the sandbox
worker processes import) never pulls in Flask or SQLAlchemy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "HostCallError": "flask_jsscripts.runtime",
    "JSScripts": "flask_jsscripts.extension",
    "Limits": "flask_jsscripts.runtime",
    "Runtime": "flask_jsscripts.runtime",
    "RunResult": "flask_jsscripts.runtime",
    "ScriptSyntaxError": "flask_jsscripts.runtime",
    "TenantScopeError": "flask_jsscripts.tenancy",
    "current_tenant": "flask_jsscripts.tenancy",
    "tenant_scope": "flask_jsscripts.tenancy",
    "user_has_permission": "flask_jsscripts.permissions",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from .extension import JSScripts  # noqa: F401
    from .permissions import user_has_permission  # noqa: F401
    from .runtime import HostCallError, Limits, RunResult, Runtime, ScriptSyntaxError  # noqa: F401
    from .tenancy import TenantScopeError, current_tenant, tenant_scope  # noqa: F401


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'flask_jsscripts' has no attribute {name!r}")
    return getattr(import_module(module), name)
