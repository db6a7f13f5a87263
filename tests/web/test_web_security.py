"""Permission, tenant and CSRF matrix of every route of the UI blueprint.

:data:`MATRIX` lists every ``jsscripts.*`` endpoint with its methods, permission and a request
that would succeed for an admin. :func:`test_every_route_is_in_the_matrix` walks ``app.url_map``:
a new route without a row here fails the suite. Each row is then checked for: 403 without its
permission (with every other one), 403 without a tenant, 404 on another tenant's ids exactly
like unknown ids (nothing changed), and CSRF refusal of every POST (with and without the
host's CSRFProtect).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from dead_letter_fixtures import seed_dead_letters
from endpoint_fixtures import add_http_script, seed_http_scripts
from flask import url_for
from sqlalchemy import func, select
from web_fixtures import ALL
from web_fixtures import make_web as make_plain_web

from flask_jsscripts import tenancy
from flask_jsscripts.models import DeadLetter, Execution, Script, ScriptVersion
from flask_jsscripts.permissions import ALL_PERMISSIONS
from flask_jsscripts.services import scripts, transfer
from flask_jsscripts.services.errors import PermissionDenied
from flask_jsscripts.services.validation import ScriptInput
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
        "POST", "endpoints.manage", ("script_id",), id_keys={"script_id": "http_script_id"}
    ),
    ("revoke_token", "POST"): Route(
        "POST", "endpoints.manage", ("script_id",), id_keys={"script_id": "http_script_id"}
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
    ("source_check", "POST"): Route(
        "POST", ("scripts.update", "scripts.create"), data={"source": "var a = 1;"}
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


# --- endpoints.manage: who may change who can call an endpoint ------------------------------

EDITOR = "scripts.create,scripts.read,scripts.update"  # everything a form needs but the right
MANAGER = EDITOR + ",endpoints.manage"
READ_ONLY = "scripts.read"
SOURCE = "function main() { return 1 }"

# (what the script is before, what the form asks for, whether that needs endpoints.manage);
# before/after: None (no endpoint: a manual script) or (access, own rate limit, path).
ACCESS_CHANGES = [
    (None, ("session", None, "/p"), False),
    (None, ("public", None, "/p"), True),
    (None, ("token", 5, "/p"), True),
    (("session", None, "/p"), ("public", None, "/p"), True),
    (("session", None, "/p"), ("token", None, "/p"), True),
    (("token", None, "/p"), ("session", None, "/p"), True),
    (("public", 10, "/p"), ("session", 10, "/p"), True),
    (("public", 10, "/p"), ("token", 10, "/p"), True),
    (("public", 10, "/p"), ("public", 20, "/p"), True),
    (("public", 10, "/p"), ("public", None, "/p"), True),
    (("public", None, "/p"), ("public", 5, "/p"), True),
    (("public", 10, "/p"), None, True),
    (("token", 3, "/p"), None, True),
    (("public", 10, "/p"), ("public", 10, "/q/{id}"), False),
    (("token", 3, "/p"), ("token", 9, "/q"), False),
    (("session", None, "/p"), ("session", 50, "/q"), False),
    (("session", 50, "/p"), None, False),
]


def _form(name: str, state) -> dict[str, Any]:
    data = {"name": name, "status": "active", "source": SOURCE, "timezone": "UTC"}
    if state is None:
        return {**data, "type": "manual", "http_auth": "session"}
    auth, rate, path = state
    return {
        **data,
        "type": "http",
        "http_path": path,
        "http_methods": ["GET"],
        "http_auth": auth,
        "http_rate_limit": "" if rate is None else str(rate),
    }


def _endpoint_state(web, script_id: str):
    with web.app.app_context(), tenancy.tenant_scope("acme"):
        script = scripts.get_script(web.db.session, script_id)
        if script.type != "http":
            return None
        endpoint = script.endpoints[0]
        return (endpoint.auth_mode, endpoint.rate_limit_per_minute, endpoint.path)


def _named(web, name: str) -> int:
    with web.app.app_context(), tenancy.tenant_scope("acme"):
        return web.db.session.scalar(
            select(func.count()).select_from(Script).where(Script.name == name)
        )


def _make(web, name: str, state) -> str:
    if state is None:
        with web.app.app_context(), tenancy.tenant_scope("acme"):
            return scripts.create_script(
                web.db.session,
                ScriptInput(name=name, source=SOURCE, status="active"),
                config=web.app.config,
                runtime=web.app.extensions["jsscripts"].runtime,
            ).script.id
    auth, rate, path = state
    return add_http_script(
        web.app,
        web.db,
        "acme",
        name,
        source=SOURCE,
        path=path,
        methods=("GET",),
        auth=auth,
        http_rate_limit=rate,
    )


def test_changing_who_may_call_an_endpoint_needs_endpoints_manage(web):
    for i, (before, after, needs) in enumerate(ACCESS_CHANGES):
        for perms in (EDITOR, MANAGER):
            name = f"access-{i}-{'manager' if perms == MANAGER else 'editor'}"
            form = _form(name, after and (after[0], after[1], after[2] + f"/{name}"))
            if before is None:
                response = web.client.post("/scripts/new", form, perms=perms)
                script_id = None
            else:
                script_id = _make(web, name, (before[0], before[1], before[2] + f"/{name}"))
                response = web.client.post(f"/scripts/{script_id}/edit", form, perms=perms)
            case = (before, after, perms)
            if needs and perms == EDITOR:
                assert response.status_code == 403, case
                page = response.get_data(as_text=True)
                assert "Only users who manage endpoints" in page, case  # the form, kept
                assert f'value="{name}"' in page, case
                if script_id is None:
                    assert _named(web, name) == 0, case
                else:
                    kept = (before[0], before[1], before[2] + f"/{name}")
                    assert _endpoint_state(web, script_id) == kept, case
                continue
            assert response.status_code == 303, (case, response.get_data(as_text=True)[:2000])
            script_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
            wanted = after and (after[0], after[1], after[2] + f"/{name}")
            assert _endpoint_state(web, script_id) == wanted, case


def test_without_endpoints_manage_the_endpoint_settings_are_read_only(web):
    public_id = _make(web, "open", ("public", 10, "/open"))
    edit = web.client.get(f"/scripts/{public_id}/edit", perms=EDITOR).get_data(as_text=True)
    radios = re.findall(r'<input[^>]*name="http_auth"[^>]*>', edit)
    assert len(radios) == 4  # the three choices, shown disabled, and the value that goes back
    assert all("disabled" in r for r in radios if 'type="radio"' in r), radios
    assert '<input type="hidden" name="http_auth" value="public">' in edit
    assert re.search(r'<input[^>]*name="http_rate_limit"[^>]*readonly[^>]*value="10"', edit)
    assert "Only users who manage endpoints can change who may call it" in edit
    # what that page posts (the disabled radios are not sent): a new path is saved, and the
    # endpoint stays public with its limit
    form = {**_form("open", ("public", 10, "/opened")), "http_rate_limit": "10"}
    assert web.client.post(f"/scripts/{public_id}/edit", form, perms=EDITOR).status_code == 303
    assert _endpoint_state(web, public_id) == ("public", 10, "/opened")
    managed = web.client.get(f"/scripts/{public_id}/edit", perms=MANAGER).get_data(as_text=True)
    assert "disabled" not in "".join(re.findall(r'<input[^>]*name="http_auth"[^>]*>', managed))
    assert 'type="hidden" name="http_auth"' not in managed

    # the view page: the token's state for everyone, its buttons for managers only
    token_id = web.acme.http_script_id
    for perms in (EDITOR, READ_ONLY):
        page = web.client.get(f"/scripts/{token_id}", perms=perms).get_data(as_text=True)
        assert "No token yet" in page and "Token" in page
        assert "/endpoint/token" not in page and "Issue token" not in page
    assert "Only users who manage endpoints can issue" in web.client.get(
        f"/scripts/{token_id}", perms=EDITOR
    ).get_data(as_text=True)
    page = web.client.get(f"/scripts/{token_id}", perms=MANAGER).get_data(as_text=True)
    assert "Issue token" in page


def test_import_needs_endpoints_manage_for_public_and_token_endpoints(web):
    state = web.app.extensions["jsscripts"]
    with web.app.app_context(), tenancy.tenant_scope("acme"):
        document = transfer.export_scripts(web.db.session, [web.acme.http_script_id])
    (hook,) = document["scripts"]  # a token endpoint

    def entry(name: str) -> dict[str, Any]:
        return {**json.loads(json.dumps(hook)), "name": name, "http_path": f"/{name}"}

    def import_(scripts_: list[dict[str, Any]], **kw: Any) -> transfer.ImportReport:
        with web.app.app_context(), tenancy.tenant_scope("globex"):
            return transfer.import_scripts(
                web.db.session,
                {**document, "scripts": scripts_},
                config=web.app.config,
                runtime=state.runtime,
                **kw,
            )

    session_one = {**entry("first"), "http_auth": "session"}
    before = _snapshot(web, "globex")
    with pytest.raises(PermissionDenied):
        import_([session_one, entry("second")], may_manage_endpoints=False)
    assert _snapshot(web, "globex") == before  # all or nothing: not even the first one
    assert import_([session_one], may_manage_endpoints=False).created == ["first"]
    # the CLI and Python code run with the server's rights: they may (the default)
    assert import_([entry("second")]).created == ["second"]
