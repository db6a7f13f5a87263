"""What the services need of the app to run a script, handed in by the layer above (the
extension builds it from the app): no service imports Flask.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..runtime import Runtime
from .queue import TaskQueue

log = logging.getLogger(__name__)

PermissionChecker = Callable[[Any, str], bool]


@dataclass
class RunContext:
    """The app's side of a run: its configuration, sandbox, database and host functions."""

    config: Mapping[str, Any]
    runtime: Runtime
    engine: Any
    exposed: Mapping[str, Any]
    queue: TaskQueue | None = None  # where async work goes after commit (None: the sweep)
    clock: Callable[[], float] = time.time  # Unix seconds, for budgets counted per minute
    # The host's answer to "may this user do that?"; None denies everything.
    permission_checker: PermissionChecker | None = None


def grants(checker: PermissionChecker | None, user: Any, permission: str) -> bool:
    """True only when ``checker`` positively grants ``permission`` to a signed-in ``user``;
    a checker that raises denies (fail closed, but loudly)."""
    if user is None or getattr(user, "is_authenticated", True) is not True or checker is None:
        return False
    try:
        return checker(user, permission) is True
    except Exception:
        log.exception("permission check for %r raised; denying", permission)
        return False


def user_ref(user: Any) -> dict[str, Any] | None:
    """The JSON view of the user a script sees as ``ctx.user`` (never the object itself)."""
    if user is None or getattr(user, "is_authenticated", True) is not True:
        return None
    get_id = getattr(user, "get_id", None)
    ident = get_id() if callable(get_id) else getattr(user, "id", None)
    ref: dict[str, Any] = {"id": None if ident is None else str(ident)}
    for attr in ("name", "email", "username"):
        value = getattr(user, attr, None)
        if isinstance(value, str):
            ref[attr] = value
    return ref
