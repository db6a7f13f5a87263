"""HTTP endpoint scripts for the UI and endpoint tests, created through the service the way
the editor does (``from endpoint_fixtures import add_http_script, seed_http_scripts``)."""

from __future__ import annotations

from typing import Any

from flask_jsscripts import tenancy
from flask_jsscripts.services import scripts
from flask_jsscripts.services.validation import ScriptInput

__all__ = ["ECHO", "add_http_script", "seed_http_scripts"]

# Answers with what it was given: ctx.request, ctx.input and ctx.user.
ECHO = (
    "function main(ctx) {\n"
    "  return {status: 200, body: {request: ctx.request, input: ctx.input, user: ctx.user,\n"
    "                              trigger: ctx.execution.trigger}};\n"
    "}\n"
)


def add_http_script(
    app: Any,
    db: Any,
    tenant: str,
    name: str,
    *,
    source: str = ECHO,
    path: str = "/echo",
    methods: tuple[str, ...] = ("GET", "POST"),
    auth: str = "public",
    status: str = "active",
    **fields: Any,
) -> str:
    """An ``http`` script; returns its id."""
    state = app.extensions["jsscripts"]
    with app.app_context(), tenancy.tenant_scope(tenant):
        saved = scripts.create_script(
            db.session,
            ScriptInput(
                name=name,
                type="http",
                status=status,
                source=source,
                http_path=path,
                http_methods=list(methods),
                http_auth=auth,
                **fields,
            ),
            config=app.config,
            runtime=state.runtime,
            actor="seed",
        )
        return saved.script.id


def seed_http_scripts(web: Any) -> None:
    """Give each seeded tenant of a ``make_web`` app an active token endpoint on ``/hook``:
    ``seed.http_script_id``."""
    for tenant, seed in (("acme", web.acme), ("globex", web.globex)):
        seed.http_script_id = add_http_script(
            web.app, web.db, tenant, f"{tenant}-hook", path="/hook", auth="token"
        )
