"""Dead letters: the list (by state and script), one letter with its runs, and replay or
discard of one letter or of every open one."""

from __future__ import annotations

import math
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for

from ..i18n import gettext as _
from ..i18n import ngettext
from ..models import DeadLetter, Execution
from ..permissions import SCRIPTS_EXECUTE, SCRIPTS_READ, SCRIPTS_UPDATE
from ..services import dead_letters as dead_letter_service
from ..services.errors import RunRefused
from ..state import current_state
from .common import (
    PER_PAGE,
    db_session,
    get_script,
    go_to,
    html_response,
    htmx_target,
    int_arg,
    is_htmx,
    jsview,
    page_or_fragment,
)
from .labels import dead_letter_state_labels

DEAD_LETTER_STATES = dead_letter_service.STATES  # open, replayed, discarded, all
BULK_LIMIT = 500  # what one "replay all" / "discard all" handles (the service's page size)

Notices = list[tuple[str, str]]


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
    script = get_script(script_id) if script_id else None  # a foreign script: 404
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
    pairs = dead_letter_service.script_names(db_session(), extra)
    return dict(pairs), pairs


def _dead_letter_list(filters: dict[str, Any], notices: Notices) -> dict[str, Any]:
    page_no = int_arg("page", 1) if request.method == "GET" else 1
    script = filters["script"]
    script_id = script.id if script is not None else None

    def fetch(page: int) -> tuple[list[DeadLetter], int]:
        return dead_letter_service.list_dead_letters(
            db_session(),
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
        "state_labels": dead_letter_state_labels(),
        "prev_url": _list_url(filters, page_no - 1) if page_no > 1 else None,
        "next_url": _list_url(filters, page_no + 1) if page_no < pages else None,
        "notices": notices,
    }


@jsview(SCRIPTS_READ)
def dead_letters() -> Any:
    return page_or_fragment(
        "jsscripts/dead_letters.html",
        "jsscripts/_dead_letter_results.html",
        "jsscripts-dl-results",
        **_dead_letter_list(_list_filters(), []),
    )


def _detail_context(letter: DeadLetter, notices: Notices) -> dict[str, Any]:
    return {
        "letter": letter,
        "script": get_script(letter.script_id),
        "state": letter.state,
        "attempts": dead_letter_service.runs_of(db_session(), letter),
        "recorded": set(letter.attempts or []),
        "state_labels": dead_letter_state_labels(),
        "notices": notices,
    }


@jsview(SCRIPTS_READ)
def dead_letter(dead_letter_id: str) -> Any:
    letter = dead_letter_service.get_dead_letter(db_session(), dead_letter_id)
    return render_template("jsscripts/dead_letter.html", **_detail_context(letter, []))


def _letter_refused(letter: DeadLetter, status: int, notices: Notices) -> Response:
    """A refusal: its message as text for htmx (ui.js shows it), else the detail page."""
    if is_htmx():
        return Response(notices[0][1], status=status, mimetype="text/plain")
    html = render_template("jsscripts/dead_letter.html", **_detail_context(letter, notices))
    return html_response(html, status)


def _letter_answer(
    letter: DeadLetter, filters: dict[str, Any], notices: Notices, queued: Execution | None = None
) -> Any:
    """What a replay or discard of one dead letter answers: the row or the detail fragment for
    htmx (by its target), else a redirect to where the form came from, with the notices
    flashed."""
    target = htmx_target()
    if target == f"jsscripts-dl-row-{letter.id}":
        names, _pairs = _script_names([letter.script_id])
        return render_template(
            "jsscripts/_dead_letter_row.html",
            letter=letter,
            script_names=names,
            state_labels=dead_letter_state_labels(),
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
        return go_to(_list_url(filters))
    return go_to(url_for("jsscripts.dead_letter", dead_letter_id=letter.id))


@jsview(SCRIPTS_EXECUTE)
def replay_dead_letter(dead_letter_id: str) -> Any:
    letter = dead_letter_service.get_dead_letter(db_session(), dead_letter_id)
    filters = _list_filters()  # where the answer goes back to: checked before acting
    try:
        queued = dead_letter_service.replay(db_session(), current_state().run_context(), letter.id)
    except RunRefused as exc:
        db_session().rollback()
        letter = dead_letter_service.get_dead_letter(db_session(), dead_letter_id)
        return _letter_refused(letter, 409, [("error", _refusal_message(exc))])
    message = _("The event was queued again (attempt %(num)s).", num=queued.attempt)
    return _letter_answer(letter, filters, [("success", message)], queued)


@jsview(SCRIPTS_UPDATE)
def discard_dead_letter(dead_letter_id: str) -> Any:
    letter = dead_letter_service.get_dead_letter(db_session(), dead_letter_id)
    filters = _list_filters()
    if letter.state != "open":
        message = _("This dead letter was already replayed or discarded.")
        return _letter_refused(letter, 409, [("error", message)])
    dead_letter_service.discard(db_session(), letter.id)
    return _letter_answer(letter, filters, [("success", _("Dead letter discarded."))])


def _bulk_answer(filters: dict[str, Any], notices: Notices) -> Any:
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
        db_session(), current_state().run_context(), script_id=script.id if script else None
    )
    notices: Notices = []
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
    config = current_state().config
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
            db_session(), script_id=script.id, limit=BULK_LIMIT
        )
        ids = [letter.id for letter in letters]
    count = dead_letter_service.discard_all(db_session(), ids)
    message = ngettext("%(num)d dead letter discarded.", "%(num)d dead letters discarded.", count)
    return _bulk_answer(filters, [("success", message)])
