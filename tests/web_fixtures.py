"""Fixtures of the web UI tests (``from web_fixtures import *``): a host app on each backend
with two tenants (acme, globex), a script each with two versions and one run, and a client
that picks user permissions, tenant, htmx and CSRF per request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from data_fixtures import *  # noqa: F403 - app_factory, database_url
from flask import request
from flask_wtf.csrf import CSRFProtect

from flask_jsscripts import tenancy
from flask_jsscripts.extension import JSScripts
from flask_jsscripts.permissions import ALL_PERMISSIONS
from flask_jsscripts.services import executions, scripts
from flask_jsscripts.services.validation import ScriptInput

__all__ = ["ALL", "READ", "Seed", "User", "WebClient", "make_web", "web"]

ALL = ",".join(sorted(ALL_PERMISSIONS))
READ = "scripts.read"


class User:
    is_authenticated = True

    def __init__(self, perms: str) -> None:
        self.id = "u-" + (perms.replace(",", "-")[:40] or "none")
        self.perms = {p for p in perms.split(",") if p}


@dataclass
class Seed:
    script_id: str
    execution_id: str
    name: str


def _seed(app, db, tenant: str) -> Seed:
    state = app.extensions["jsscripts"]
    with tenancy.tenant_scope(tenant):
        saved = scripts.create_script(
            db.session,
            ScriptInput(
                name=f"{tenant}-report",
                source="function main(ctx) { console.log('hello'); return {n: 1} }",
                status="active",
                description=f"the {tenant} report",
            ),
            config=app.config,
            runtime=state.runtime,
            actor="seed",
        )
        script_id = saved.script.id
        scripts.update_script(
            db.session,
            script_id,
            ScriptInput(
                name=f"{tenant}-report",
                source="function main(ctx) { return {n: 2} }",
                status="active",
                note="second",
            ),
            config=app.config,
            runtime=state.runtime,
            actor="seed",
        )
        run = executions.run_script(db.session, state.run_context(), script_id, "manual", {"x": 1})
        return Seed(script_id, run.id, f"{tenant}-report")


class WebClient:
    """Test client with per-request user permissions (``perms``), tenant, htmx and CSRF."""

    def __init__(self, app) -> None:
        self.app = app
        self.client = app.test_client()
        self._token: str | None = None

    def headers(self, perms: str, tenant: str | None, htmx: bool, extra: dict | None) -> dict:
        headers = {"X-Perms": perms}
        if tenant is not None:
            headers["X-Tenant"] = tenant
        if htmx:
            headers["HX-Request"] = "true"
        headers.update(extra or {})
        return headers

    def get(
        self,
        url: str,
        perms: str = ALL,
        tenant: str | None = "acme",
        htmx: bool = False,
        headers: dict | None = None,
    ):
        return self.client.get(url, headers=self.headers(perms, tenant, htmx, headers))

    def token(self) -> str:
        if self._token is None:
            html = self.get("/scripts/").get_data(as_text=True)
            match = re.search(r'"X-CSRFToken": "([^"]+)"', html)
            assert match, "the page carries no CSRF token in hx-headers"
            self._token = match.group(1)
        return self._token

    def post(
        self,
        url: str,
        data: dict | None = None,
        perms: str = ALL,
        tenant: str | None = "acme",
        htmx: bool = False,
        csrf: str = "form",
        headers: dict | None = None,
    ):
        """csrf: "form" (hidden field), "header" (X-CSRFToken like htmx), "none", "bad"."""
        data = dict(data or {})
        extra = dict(headers or {})
        if csrf == "form":
            data["csrf_token"] = self.token()
        elif csrf == "header":
            extra["X-CSRFToken"] = self.token()
        elif csrf == "bad":
            data["csrf_token"] = "not-a-token"
        return self.client.post(url, data=data, headers=self.headers(perms, tenant, htmx, extra))


def make_web(app_factory, rt, *, csrf_protect: bool = False, config: dict | None = None):
    ext = JSScripts(runtime=rt)
    ext.user_loader(lambda: User(request.headers.get("X-Perms", "")))
    ext.tenant_loader(lambda: request.headers.get("X-Tenant"))
    ext.permission_checker(lambda user, perm: perm in user.perms)
    cfg = {"WTF_CSRF_ENABLED": True, **(config or {})}
    app, db, _ = app_factory(ext=ext, config=cfg)
    if csrf_protect:
        CSRFProtect(app)
    with app.app_context():
        db.create_all()
        acme = _seed(app, db, "acme")
        globex = _seed(app, db, "globex")
    return _Web(app, db, WebClient(app), acme, globex, ext)


@dataclass
class _Web:
    app: Any
    db: Any
    client: WebClient
    acme: Seed
    globex: Seed
    ext: JSScripts

    def count(self, model, tenant: str) -> int:
        from sqlalchemy import func, select

        with self.app.app_context(), tenancy.tenant_scope(tenant):
            return self.db.session.scalar(
                select(func.count()).select_from(model).where(model.tenant_id == tenant)
            )


@pytest.fixture
def web(app_factory, rt):
    return make_web(app_factory, rt)
