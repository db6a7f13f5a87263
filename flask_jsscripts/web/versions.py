"""A script's versions: the list, one version against the current source, and rollback."""

from __future__ import annotations

import difflib
from typing import Any

from flask import flash, render_template, url_for

from ..i18n import gettext as _
from ..models import ScriptVersion
from ..permissions import SCRIPTS_READ, SCRIPTS_UPDATE
from ..services import scripts as script_service
from ..services.errors import NotFound
from ..state import current_state
from .common import actor, db_session, get_script, go_to, jsview

MAX_VERSION_NUMBER = 2**31 - 1  # beyond an INTEGER column: unknown, not a database error


def _version_number(number: int) -> int:
    if number > MAX_VERSION_NUMBER:
        raise NotFound(f"version {number} not found")
    return number


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


@jsview(SCRIPTS_READ)
def versions(script_id: str) -> Any:
    script = get_script(script_id)
    return render_template(
        "jsscripts/versions.html",
        script=script,
        versions=script_service.list_versions(db_session(), script.id),
    )


@jsview(SCRIPTS_READ)
def version(script_id: str, number: int) -> Any:
    script = get_script(script_id)
    old: ScriptVersion = script_service.get_version(
        db_session(), script.id, _version_number(number)
    )
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
    script = get_script(script_id)
    created = script_service.rollback(
        db_session(),
        script.id,
        _version_number(number),
        runtime=current_state().runtime,
        actor=actor(),
    )
    flash(
        _("Version %(num)s created (rollback to version %(old)s)", num=created.number, old=number),
        "success",
    )
    return go_to(url_for("jsscripts.view", script_id=script.id))
