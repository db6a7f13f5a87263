"""The token of a script's HTTP endpoint: issued (shown this once) and revoked."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, url_for

from ..i18n import gettext as _
from ..models import Script
from ..permissions import ENDPOINTS_MANAGE
from ..services import endpoints as endpoint_service
from .common import db_session, get_script, html_response, is_htmx, jsview
from .scripts import view_page


def _endpoint_answer(script: Script, token: str | None, notice: str | None) -> Response:
    """The endpoint panel (htmx) or the whole page, showing a new token this once: never
    cached, never redirected to (the token lives in this response only)."""
    if is_htmx():
        html = render_template(
            "jsscripts/_endpoint.html", script=script, new_token=token, endpoint_notice=notice
        )
    else:
        html = view_page(script, new_token=token, endpoint_notice=notice)
    return html_response(html, headers={"Cache-Control": "no-store"})


@jsview(ENDPOINTS_MANAGE)
def issue_token(script_id: str) -> Any:
    script = get_script(script_id)
    token = endpoint_service.issue_token(db_session(), script.id)
    return _endpoint_answer(script, token, None)


@jsview(ENDPOINTS_MANAGE)
def revoke_token(script_id: str) -> Any:
    script = get_script(script_id)
    endpoint_service.revoke_token(db_session(), script.id)
    message = _("The token was revoked: calls with it are refused from now on.")
    if is_htmx():
        return _endpoint_answer(script, None, message)
    flash(message, "success")
    return redirect(url_for("jsscripts.view", script_id=script.id), code=303)
