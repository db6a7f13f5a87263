"""Permission, tenant and CSRF matrix of every route of the UI blueprint.

:data:`MATRIX` lists every ``jsscripts.*`` endpoint with its methods, permission and a request
that would succeed for an admin. :func:`test_every_route_is_in_the_matrix` walks ``app.url_map``:
a new route without a row here fails the suite. Each row is then checked for: 403 without its
permission (with every other one), 403 without a tenant, 404 on another tenant's ids exactly
like unknown ids (nothing changed), and CSRF refusal of every POST (with and without the
host's CSRFProtect).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from data_fixtures import *  # noqa: F403 - app_factory, database_url
from dead_letter_fixtures import seed_dead_letters
from endpoint_fixtures import seed_http_scripts
from flask import url_for
from sqlalchemy import func, select
from web_fixtures import ALL
from web_fixtures import make_web as make_plain_web

from flask_jsscripts import tenancy
from flask_jsscripts.models import DeadLetter, Execution, Script, ScriptVersion
from flask_jsscripts.permissions import ALL_PERMISSIONS
from flask_jsscripts.web.views import PUBLIC_ENDPOINTS, VIEW_PERMISSIONS


@dataclass
class Route:
    method: str
    perm: str | tuple[str, ...]  # a tuple: any one of these permissions opens the route
    ids: tuple[str, ...] = ()  # which ids the URL takes
    data: dict[str, Any] = field(default_factory=dict)
    args: dict[str, Any] = field(default_factory=dict)
    # URL parameter -> key of the ids to fill it with (two routes on two different rows)
    id_keys: dict[str, str] = field(default_factory=dict)

    @property
    def perms(self) -> set[str]:
        return set(self.perm) if isinstance(self.perm, tuple) else {self.perm}


def make_web(app_factory, rt, **kw):
    """The web fixture's app, plus an event script with two open dead letters and a token
    endpoint script per tenant."""
    web = make_plain_web(app_factory, rt, **kw)
    seed_dead_letters(web)
    seed_http_scripts(web)
    return web


@pytest.fixture
def web(app_factory, rt):
    return make_web(app_factory, rt)


FORM = {
    "name": "from-matrix",
    "type": "manual",
    "status": "draft",
    "source": "function main() { return 1 }",
    "timezone": "UTC",
    "http_auth": "session",
}

# (endpoint, method) -> how to call it.
MATRIX: dict[tuple[str, str], Route] = {
    ("index", "GET"): Route("GET", "scripts.read"),
    ("new", "GET"): Route("GET", "scripts.create"),
    ("new", "POST"): Route("POST", "scripts.create", data=FORM),
    ("cron_preview", "GET"): Route("GET", "scripts.read", args={"cron": "* * * * *"}),
    ("view", "GET"): Route("GET", "scripts.read", ("script_id",)),
    ("edit", "GET"): Route("GET", "scripts.update", ("script_id",)),
    ("edit", "POST"): Route(
        "POST", "scripts.update", ("script_id",), data={**FORM, "name": "edited-by-matrix"}
    ),
    ("set_status", "POST"): Route("POST", "scripts.update", ("script_id",), {"status": "paused"}),
    ("delete", "POST"): Route("POST", "scripts.delete", ("script_id",)),
    ("run", "POST"): Route("POST", "scripts.execute", ("script_id",), {"input": "{}"}),
    ("issue_token", "POST"): Route(
        "POST", "scripts.update", ("script_id",), id_keys={"script_id": "http_script_id"}
    ),
    ("revoke_token", "POST"): Route(
        "POST", "scripts.update", ("script_id",), id_keys={"script_id": "http_script_id"}
    ),
    ("executions", "GET"): Route("GET", "scripts.read", ("script_id",)),
    ("execution", "GET"): Route("GET", "scripts.read", ("script_id", "execution_id")),
    ("execution_output", "GET"): Route("GET", "scripts.read", ("script_id", "execution_id")),
    ("versions", "GET"): Route("GET", "scripts.read", ("script_id",)),
    ("version", "GET"): Route("GET", "scripts.read", ("script_id", "number")),
    ("rollback", "POST"): Route("POST", "scripts.update", ("script_id", "number")),
    ("filter_test", "POST"): Route(
        "POST",
        ("scripts.update", "scripts.create"),
        data={"event_filter": '{"path": "a", "op": "eq", "value": 1}', "filter_sample": '{"a": 1}'},
    ),
    ("dead_letters", "GET"): Route("GET", "scripts.read"),
    ("dead_letter", "GET"): Route("GET", "scripts.read", ("dead_letter_id",)),
    ("replay_dead_letter", "POST"): Route("POST", "scripts.execute", ("dead_letter_id",)),
    ("discard_dead_letter", "POST"): Route(
        "POST",
        "scripts.update",
        ("dead_letter_id",),
        id_keys={"dead_letter_id": "other_letter_id"},
    ),
    ("replay_all_dead_letters", "POST"): Route("POST", "scripts.execute"),
    ("discard_all_dead_letters", "POST"): Route("POST", "scripts.update"),
}


def _url(app, endpoint: str, route: Route, ids: dict[str, Any]) -> str:
    with app.test_request_context():
        return url_for(
            f"jsscripts.{endpoint}",
            **{k: ids[route.id_keys.get(k, k)] for k in route.ids},
            **route.args,
        )


def _ids(seed) -> dict[str, Any]:
    return {
        "script_id": seed.script_id,
        "execution_id": seed.execution_id,
        "number": 1,
        "dead_letter_id": seed.dead_letter_id,
        "other_letter_id": seed.other_letter_id,
        "http_script_id": seed.http_script_id,
    }


def _call(web, endpoint: str, route: Route, ids: dict[str, Any], **kw):
    url = _url(web.app, endpoint, route, ids)
    if route.method == "GET":
        kw.pop("csrf", None)
        return web.client.get(url, **kw)
    return web.client.post(url, dict(route.data), **kw)


def _open_letters(web, tenant: str) -> int:
    with web.app.app_context(), tenancy.tenant_scope(tenant):
        return web.db.session.scalar(
            select(func.count())
            .select_from(DeadLetter)
            .where(DeadLetter.replayed_at.is_(None), DeadLetter.discarded_at.is_(None))
        )


def _snapshot(web, tenant: str) -> tuple[int, ...]:
    counts = tuple(web.count(m, tenant) for m in (Script, ScriptVersion, Execution, DeadLetter))
    return (*counts, _open_letters(web, tenant))


def test_every_route_is_in_the_matrix(web):
    seen: set[tuple[str, str]] = set()
    for rule in web.app.url_map.iter_rules():
        if not rule.endpoint.startswith("jsscripts."):
            continue
        endpoint = rule.endpoint.split(".", 1)[1]
        if endpoint in PUBLIC_ENDPOINTS:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            seen.add((endpoint, method))
            assert (endpoint, method) in MATRIX, f"untested route {method} {rule.rule}"
            assert VIEW_PERMISSIONS[endpoint] == MATRIX[endpoint, method].perm, endpoint
            assert rule.rule.startswith("/scripts")
    assert seen == set(MATRIX), f"matrix rows for missing routes: {set(MATRIX) - seen}"


@pytest.mark.parametrize("admin_ok", [True])
def test_matrix_requests_succeed_for_an_admin(web, admin_ok):
    """The matrix's requests are real: with every permission they do not fail."""
    for (endpoint, _method), route in MATRIX.items():
        if endpoint == "delete":
            continue  # checked last, it removes the seed
        response = _call(web, endpoint, route, _ids(web.acme))
        assert response.status_code in (200, 303), (endpoint, response.status_code)
    response = _call(web, "delete", MATRIX["delete", "POST"], _ids(web.acme))
    assert response.status_code == 303


def test_each_route_needs_its_permission(web):
    before = _snapshot(web, "acme")
    for (endpoint, _method), route in MATRIX.items():
        others = ",".join(sorted(ALL_PERMISSIONS - route.perms))
        for perms in (others, ""):
            response = _call(web, endpoint, route, _ids(web.acme), perms=perms)
            assert response.status_code == 403, (endpoint, perms, response.status_code)
    assert _snapshot(web, "acme") == before


def test_viewer_gets_403_on_every_state_change(web):
    before = _snapshot(web, "acme")
    for (endpoint, method), route in MATRIX.items():
        if method != "POST":
            continue
        for csrf in ("form", "header"):
            response = _call(web, endpoint, route, _ids(web.acme), perms="scripts.read", csrf=csrf)
            assert response.status_code == 403, (endpoint, response.status_code)
    assert _snapshot(web, "acme") == before


def test_no_tenant_is_403_everywhere(web):
    for (endpoint, _method), route in MATRIX.items():
        for tenant in (None, "", "two words"):
            response = _call(web, endpoint, route, _ids(web.acme), tenant=tenant)
            assert response.status_code == 403, (endpoint, tenant, response.status_code)


def _without_token(response) -> bytes:
    """The page minus its CSRF token, which embeds a timestamp (two requests a second apart
    would differ in it alone)."""
    return re.sub(
        rb'("X-CSRFToken": "|name="csrf_token" value=")[^"]*', rb"\1", response.get_data()
    )


def test_foreign_ids_are_404_exactly_like_unknown_ids(web):
    before = {t: _snapshot(web, t) for t in ("acme", "globex")}
    unknown = {
        "script_id": str(uuid.uuid4()),
        "execution_id": str(uuid.uuid4()),
        "number": 1,
        "dead_letter_id": str(uuid.uuid4()),
        "other_letter_id": str(uuid.uuid4()),
        "http_script_id": str(uuid.uuid4()),
    }
    # acme's script with globex's execution id: a foreign child of an own parent
    mixed = {**_ids(web.acme), "execution_id": web.globex.execution_id}
    for (endpoint, _method), route in MATRIX.items():
        if not route.ids:
            continue
        for htmx in (False, True):
            foreign = _call(web, endpoint, route, _ids(web.globex), htmx=htmx)
            missing = _call(web, endpoint, route, unknown, htmx=htmx)
            assert foreign.status_code == missing.status_code == 404, (endpoint, htmx)
            assert _without_token(foreign) == _without_token(missing), endpoint
        if "execution_id" in route.ids:
            assert _call(web, endpoint, route, mixed).status_code == 404
    assert {t: _snapshot(web, t) for t in ("acme", "globex")} == before


def test_junk_ids_and_numbers_are_404_not_500(web):
    junk = ["x" * 500, "%00", "é", "1 OR 1=1", "00000000-0000-0000-0000-000000000000"]
    for value in junk:
        assert web.client.get(f"/scripts/{value}").status_code == 404
        url = f"/scripts/{web.acme.script_id}/executions/{value}"
        assert web.client.get(url).status_code == 404
    for number in (0, 99, 2**31, 10**30):
        url = f"/scripts/{web.acme.script_id}/versions/{number}"
        assert web.client.get(url).status_code == 404
        assert web.client.post(url + "/rollback").status_code == 404
    for value in junk:
        url = f"/scripts/dead-letters/{value}"
        assert web.client.get(url).status_code == 404
        assert web.client.post(url + "/replay").status_code == 404
        assert web.client.post(url + "/discard").status_code == 404
        assert web.client.get(f"/scripts/dead-letters?script={value}").status_code == 404


@pytest.mark.parametrize("csrf_protect", [False, True], ids=["own-check", "host-CSRFProtect"])
def test_every_post_without_a_valid_csrf_token_is_refused(app_factory, rt, csrf_protect):
    web = make_web(app_factory, rt, csrf_protect=csrf_protect)
    before = _snapshot(web, "acme")
    for (endpoint, method), route in MATRIX.items():
        if method != "POST":
            continue
        for csrf in ("none", "bad"):
            for htmx in (False, True):
                response = _call(web, endpoint, route, _ids(web.acme), csrf=csrf, htmx=htmx)
                assert response.status_code == 400, (endpoint, csrf, response.status_code)
                if htmx:
                    assert response.mimetype == "text/plain"
                    assert "CSRF" in response.get_data(as_text=True)
    assert _snapshot(web, "acme") == before
    # and the header htmx sends is accepted
    response = _call(
        web, "set_status", MATRIX["set_status", "POST"], _ids(web.acme), csrf="header", htmx=True
    )
    assert response.status_code == 200


def test_no_permission_checker_means_403(app_factory, rt):
    from flask_jsscripts.extension import JSScripts

    ext = JSScripts(runtime=rt)
    ext.tenant_loader(lambda: "acme")
    app, db, _ = app_factory(ext=ext)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert client.get("/scripts/").status_code == 403
    assert client.get("/scripts/new").status_code == 403


def test_public_assets_need_nothing(web, tmp_path, monkeypatch):
    from flask_jsscripts.web import assets

    (tmp_path / "vs").mkdir()
    (tmp_path / "vs" / "loader.js").write_text("// monaco")
    monkeypatch.setattr(assets, "monaco_dir", lambda: str(tmp_path))
    response = web.client.client.get("/scripts/monaco/vs/loader.js")
    assert response.status_code == 200 and b"monaco" in response.data
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert web.client.client.get("/scripts/monaco/../../etc/passwd").status_code == 404
    assert web.client.client.get("/scripts/static/jsscripts.css").status_code == 200
    assert web.client.client.get("/scripts/static/ui.js").status_code == 200


def test_disabled_extension_registers_no_routes(app_factory, rt):
    from flask_jsscripts.extension import JSScripts

    app, _db, _ = app_factory(ext=JSScripts(runtime=rt), config={"JSSCRIPTS_ENABLED": False})
    assert not [r for r in app.url_map.iter_rules() if r.endpoint.startswith("jsscripts.")]
    assert app.test_client().get("/scripts/").status_code == 404


def test_admin_matrix_uses_all_permissions():
    assert ",".join(sorted(ALL_PERMISSIONS)) == ALL
