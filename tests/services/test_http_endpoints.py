"""Scripts as HTTP endpoints, on a real app and database (SQLite and PostgreSQL): routing,
bodies, response shapes, errors, access (session, token, public), rate limits, sampling,
tenant isolation, the feature flag, the UI for tokens and rate limits, export and import, and
the example admin's tenant fallback.

Every request goes through Flask's test client into the real blueprint, the real services and
the real sandbox; the Redis cases use Redis database 12 (skipped when Redis is not running).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from endpoint_fixtures import ECHO, add_http_script
from flask import request
from flask_wtf.csrf import CSRFProtect
from parallel import redis_url
from sqlalchemy import select

from flask_jsscripts import tenancy
from flask_jsscripts.extension import JSScripts
from flask_jsscripts.models import Execution, HttpEndpoint
from flask_jsscripts.permissions import ALL_PERMISSIONS
from flask_jsscripts.runtime import Runtime
from flask_jsscripts.services import endpoints, scripts, transfer
from flask_jsscripts.services.validation import ScriptInput

PREFIX = "/api/scripts"
ALL = ",".join(sorted(ALL_PERMISSIONS))
REDIS_URL = redis_url(
    "JSSCRIPTS_TEST_REDIS_ENDPOINTS", "redis://127.0.0.1:6379/12,redis://127.0.0.1:6379/10"
)


class User:
    is_authenticated = True

    def __init__(self, perms: str) -> None:
        self.id = "u-" + (perms.replace(",", "-")[:40] or "none")
        self.perms = {p for p in perms.split(",") if p}


def _user_from_header() -> User | None:
    """No X-User header: nobody is signed in."""
    perms = request.headers.get("X-User")
    return None if perms is None else User(perms)


@dataclass
class Env:
    app: Any
    db: Any
    client: Any

    def call(
        self,
        method: str,
        path: str,
        *,
        tenant: str | None = "acme",
        user: str | None = None,
        token: str | None = None,
        headers: dict | None = None,
        **kw: Any,
    ):
        sent = {}
        if tenant is not None:
            sent["X-Tenant"] = tenant
        if user is not None:
            sent["X-User"] = user
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        return self.client.open(PREFIX + path, method=method, headers=sent, **kw)

    def add(self, tenant: str = "acme", name: str = "echo", **kw: Any) -> str:
        return add_http_script(self.app, self.db, tenant, name, **kw)

    def runs(self, tenant: str = "acme") -> list[Execution]:
        with self.app.app_context(), tenancy.tenant_scope(tenant):
            return list(self.db.session.scalars(select(Execution).order_by(Execution.created_at)))

    def endpoint(self, script_id: str, tenant: str = "acme") -> HttpEndpoint:
        with self.app.app_context(), tenancy.tenant_scope(tenant):
            return self.db.session.scalars(
                select(HttpEndpoint).where(HttpEndpoint.script_id == script_id)
            ).one()

    def service(self, fn: Any, *args: Any, tenant: str = "acme", **kw: Any) -> Any:
        with self.app.app_context(), tenancy.tenant_scope(tenant):
            return fn(self.db.session, *args, **kw)

    def csrf_token(self, perms: str = ALL) -> str:
        page = self.client.get("/scripts/", headers={"X-User": perms, "X-Tenant": "acme"})
        match = re.search(r'"X-CSRFToken": "([^"]+)"', page.get_data(as_text=True))
        assert match, page.status_code
        return match.group(1)

    def ui_post(self, url: str, data: dict | None = None, perms: str = ALL, htmx: bool = False):
        headers = {"X-User": perms, "X-Tenant": "acme"}
        if htmx:
            headers["HX-Request"] = "true"
        form = {"csrf_token": self.csrf_token(), **(data or {})}
        return self.client.post(url, data=form, headers=headers)

    def ui_get(self, url: str, perms: str = ALL):
        return self.client.get(url, headers={"X-User": perms, "X-Tenant": "acme"})


def make_env(
    app_factory, runtime, *, config: dict | None = None, csrf_protect: bool = False, create=True
) -> Env:
    ext = JSScripts(runtime=runtime)
    ext.user_loader(_user_from_header)
    ext.tenant_loader(lambda: request.headers.get("X-Tenant"))
    ext.permission_checker(lambda user, perm: perm in user.perms)
    app, db, _ = app_factory(ext=ext, config={"WTF_CSRF_ENABLED": True, **(config or {})})
    if csrf_protect:
        CSRFProtect(app)
    if create:
        with app.app_context():
            db.create_all()
    return Env(app, db, app.test_client())


@pytest.fixture
def env(app_factory, rt):
    return make_env(app_factory, rt)


def body(response) -> Any:
    return json.loads(response.get_data(as_text=True))


# --- routing -------------------------------------------------------------------------------


def test_routes_by_path_with_params_query_and_method(env):
    items = env.add(name="items", path="/orders/{order}/items/{item}", methods=("GET", "DELETE"))
    env.add(name="new-order", path="/orders/new/items/{item}", source="function main() { 1 }")
    response = env.call("GET", "/orders/42/items/a%20b?x=1&tag=a&tag=b", headers={"X-Foo": "bar"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    seen = body(response)
    req = seen["request"]
    assert req["method"] == "GET" and req["path"] == "/orders/42/items/a b"
    assert req["params"] == {"order": "42", "item": "a b"}
    assert req["query"] == {"x": "1", "tag": ["a", "b"]}
    assert req["headers"]["x-foo"] == "bar" and req["body"] is None
    assert seen["trigger"] == "http" and seen["user"] is None
    # a literal segment wins over a parameter, trailing and double slashes do not matter
    literal = env.call("GET", "/orders//new/items/7/")
    assert literal.status_code == 200 and body(literal) is None  # that script's own answer
    assert body(env.call("DELETE", "/orders/new2/items/7"))["request"]["params"] == {
        "order": "new2",
        "item": "7",
    }
    # every call is an execution with trigger http, its input the request (no credentials)
    runs = env.runs()
    assert [r.trigger for r in runs] == ["http"] * 3
    first = runs[0]
    assert first.script_id == items and first.status == "completed"
    assert first.input["params"] == {"order": "42", "item": "a b"}
    assert response.headers["X-Execution-Id"] == first.id


def test_unknown_path_404_and_wrong_method_405(env):
    env.add(path="/echo", methods=("GET", "POST"))
    for path in ("/nope", "/echo/extra", "/", "/ECHO"):
        missing = env.call("GET", path)
        assert missing.status_code == 404, path
        assert body(missing) == {"error": "not found"}
    for method in ("PUT", "DELETE", "PATCH", "HEAD"):
        wrong = env.call(method, "/echo")
        assert wrong.status_code == 405, method
        assert wrong.headers["Allow"] == "GET, POST, OPTIONS"
        if method != "HEAD":
            assert body(wrong) == {"error": "method not allowed"}
    options = env.call("OPTIONS", "/echo")
    assert options.status_code == 204 and options.headers["Allow"] == "GET, POST, OPTIONS"
    # no tenant from the host's loader: nothing can be routed
    assert env.call("GET", "/echo", tenant=None).status_code == 404
    assert env.call("GET", "/echo", tenant="two words").status_code == 404
    assert env.runs() == []


def test_only_active_scripts_answer_and_saves_apply_at_once(env):
    script_id = env.add(path="/echo")
    assert env.call("GET", "/echo").status_code == 200
    for status in ("paused", "disabled", "draft", "archived"):
        env.service(scripts.set_status, script_id, status)
        assert env.call("GET", "/echo").status_code == 404, status
    env.service(scripts.set_status, script_id, "active")
    assert env.call("GET", "/echo").status_code == 200
    # a new path answers at once; the old one no more (the route cache was dropped)
    with env.app.app_context(), tenancy.tenant_scope("acme"):
        scripts.update_script(
            env.db.session,
            script_id,
            ScriptInput(
                name="echo",
                type="http",
                status="active",
                source=ECHO,
                http_path="/moved/{to}",
                http_auth="public",
            ),
            config=env.app.config,
            runtime=env.app.extensions["jsscripts"].runtime,
        )
    assert env.call("GET", "/echo").status_code == 404
    assert body(env.call("GET", "/moved/here"))["request"]["params"] == {"to": "here"}
    env.service(scripts.delete_script, script_id)
    assert env.call("GET", "/moved/here").status_code == 404


# --- bodies --------------------------------------------------------------------------------


def test_json_form_text_and_empty_bodies(env):
    env.add(path="/echo", methods=("POST", "PUT"))
    sent = {"a": [1, 2.5, None, True], "é": "ünïcode"}
    got = body(env.call("POST", "/echo", json=sent))
    assert got["request"]["body"] == sent and got["input"] == sent
    patch = body(env.call("PUT", "/echo", data=b'{"x": 1}', content_type="application/merge+json"))
    assert patch["input"] == {"x": 1}
    form = body(env.call("POST", "/echo", data={"name": "Wile", "tag": ["a", "b"]}))
    assert form["input"] == {"name": "Wile", "tag": ["a", "b"]}
    multipart = env.call("POST", "/echo", data={"field": "v"}, content_type="multipart/form-data")
    assert body(multipart)["input"] == {"field": "v"}
    text = body(env.call("POST", "/echo", data="plain ✓ text", content_type="text/plain"))
    assert text["input"] == "plain ✓ text"
    latin = env.call("POST", "/echo", data="café".encode("latin-1"), content_type="text/plain")
    assert body(latin)["input"] == "café" or "caf" in body(latin)["input"]
    assert body(env.call("POST", "/echo"))["input"] is None
    bad = env.call("POST", "/echo", data=b"{nope", content_type="application/json")
    assert bad.status_code == 400 and body(bad) == {"error": "the request body is not valid JSON"}
    deep = env.call("POST", "/echo", data=b"[" * 100_000, content_type="application/json")
    assert deep.status_code == 400
    assert len(env.runs()) == 7  # the refused bodies never ran


def test_bodies_over_the_input_limit_are_413(app_factory, rt):
    env = make_env(app_factory, rt, config={"JSSCRIPTS_MAX_INPUT_BYTES": 2000})
    env.add(path="/echo", methods=("POST",))
    assert env.call("POST", "/echo", json={"a": "x" * 500}).status_code == 200
    for kwargs in (
        {"json": {"a": "x" * 3000}},
        {"data": "y" * 3000, "content_type": "text/plain"},
        {"data": {"f": "z" * 3000}},
    ):
        response = env.call("POST", "/echo", **kwargs)
        assert response.status_code == 413, kwargs
        assert body(response)["error"]
    # a body under the limit whose request (headers included) is over it
    near = env.call("POST", "/echo", json={"a": "x" * 1500}, headers={"X-Pad": "p" * 600})
    assert near.status_code == 413
    assert len(env.runs()) == 1


# --- response shapes -----------------------------------------------------------------------

SHAPES = {
    # path: (source, expected status, content type, body check)
    "/envelope": (
        "function main() { return {status: 201, headers: {'X-Id': '7'}, body: {id: 7}} }",
        201,
        "application/json",
        lambda r: body(r) == {"id": 7} and r.headers["X-Id"] == "7",
    ),
    "/text": (
        "function main() { return {status: 200, body: 'hello ✓'} }",
        200,
        "text/plain",
        lambda r: r.get_data(as_text=True) == "hello ✓",
    ),
    "/html": (
        "function main() { return {status: 200, headers: {'Content-Type': 'text/html; "
        "charset=utf-8'}, body: '<p>hi</p>'} }",
        200,
        "text/html",
        lambda r: r.get_data(as_text=True) == "<p>hi</p>",
    ),
    "/plain": (
        "function main() { return [1, 'two', {three: 3}] }",
        200,
        "application/json",
        lambda r: body(r) == [1, "two", {"three": 3}],
    ),
    "/string": (
        "function main() { return 'just text' }",
        200,
        "application/json",
        lambda r: body(r) == "just text",
    ),
    "/not-envelope": (
        "function main() { return {status: 404, message: 'a status field in data'} }",
        200,
        "application/json",
        lambda r: body(r) == {"status": 404, "message": "a status field in data"},
    ),
    "/string-status": (
        "function main() { return {status: '201', body: 1} }",
        200,
        "application/json",
        lambda r: body(r) == {"status": "201", "body": 1},
    ),
    "/empty": (
        "function main() { return {status: 204, body: {ignored: true}} }",
        204,
        None,
        lambda r: r.get_data() == b"",
    ),
    "/no-body": (
        "function main() { return {status: 202} }",
        202,
        None,
        lambda r: r.get_data() == b"",
    ),
    "/redirect": (
        "function main() { return {status: 302, headers: {Location: '/elsewhere'}} }",
        302,
        None,
        lambda r: r.headers["Location"] == "/elsewhere",
    ),
}


def test_response_shapes(env):
    for i, (path, (source, *_rest)) in enumerate(SHAPES.items()):
        env.add(name=f"shape{i}", path=path, source=source)
    for path, (_source, status, mimetype, check) in SHAPES.items():
        response = env.call("GET", path)
        assert response.status_code == status, (path, response.get_data(as_text=True))
        if mimetype is None:
            assert "Content-Type" not in response.headers, path
        else:
            assert response.mimetype == mimetype, path
        assert check(response), (path, response.get_data())
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_response_headers_are_sanitised(env):
    env.add(
        path="/headers",
        source=(
            "function main() { return {status: 200, body: 'ok', headers: {\n"
            "  'X-Good': 'yes', 'Cache-Control': 'max-age=60',\n"
            "  'Connection': 'close', 'Transfer-Encoding': 'chunked', 'Keep-Alive': '1',\n"
            "  'Upgrade': 'h2c', 'Content-Length': '999', 'Set-Cookie': 'session=stolen',\n"
            "  'X-Number': 5, 'X-Object': {a: 1}, 'X-Split': 'a\\r\\nX-Injected: 1',\n"
            "  'Bad Name': 'x', 'X-Unicode': '✓'}} }"
        ),
    )
    response = env.call("GET", "/headers")
    assert response.status_code == 200 and response.get_data() == b"ok"
    headers = {k.lower(): v for k, v in response.headers.items()}
    assert headers["x-good"] == "yes" and headers["cache-control"] == "max-age=60"
    assert headers["content-length"] == "2"
    for dropped in (
        "connection",
        "transfer-encoding",
        "keep-alive",
        "upgrade",
        "set-cookie",
        "x-number",
        "x-object",
        "x-split",
        "x-injected",
        "bad name",
        "x-unicode",
    ):
        assert dropped not in headers, dropped
    # without a Cache-Control of the script's own, answers are not cached
    env.add(name="other", path="/other", source="function main() { return 1 }")
    assert env.call("GET", "/other").headers["Cache-Control"] == "no-store"


def test_a_script_error_is_500_without_stack_and_recorded(env):
    env.add(
        path="/boom",
        source=(
            "function main(ctx) {\n"
            "  console.log('about to fail');\n"
            "  throw new Error('secret detail ' + ctx.request.query.k);\n"
            "}\n"
        ),
    )
    env.add(name="bad-status", path="/bad", source="function main() { return {status: 99} }")
    env.add(name="bad-float", path="/bad2", source="function main() { return {status: 200.5} }")
    response = env.call("GET", "/boom?k=v")
    assert response.status_code == 500
    answer = body(response)
    assert set(answer) == {"error", "execution_id"}
    text = response.get_data(as_text=True)
    for leak in ("secret", "stack", "main", "line", "Error:"):
        assert leak not in text, leak
    (run,) = env.runs()
    assert run.id == answer["execution_id"] == response.headers["X-Execution-Id"]
    assert run.status == "failed" and run.trigger == "http"
    assert "secret detail v" in run.error["message"] and run.error["stack"]
    assert run.console[0]["message"] == "about to fail"
    for path in ("/bad", "/bad2"):
        invalid = env.call("GET", path)
        assert invalid.status_code == 500, path
        assert body(invalid)["error"] == "the script returned an invalid HTTP status"
        assert body(invalid)["execution_id"]


def test_a_timeout_is_504(app_factory):
    runtime = Runtime(workers=1)  # the busy loop's worker is killed: not the shared pool
    try:
        env = make_env(app_factory, runtime)
        env.add(
            path="/spin",
            source="function main() { while (true) {} }",
            limits={"timeout": 1},
        )
        started = time.monotonic()
        response = env.call("GET", "/spin")
        assert response.status_code == 504
        assert time.monotonic() - started < 10
        answer = body(response)
        assert answer["error"] == "the script timed out"
        (run,) = env.runs()
        assert run.id == answer["execution_id"] and run.status == "timeout"
        # the pool recovered: the next call is served
        env.add(name="fine", path="/fine", source="function main() { return 'ok' }")
        assert body(env.call("GET", "/fine")) == "ok"
    finally:
        runtime.close()


# --- access --------------------------------------------------------------------------------


def test_session_access_needs_the_permission_and_csrf_on_unsafe_methods(env):
    env.add(path="/me", auth="session", methods=("GET", "POST", "DELETE"))
    anonymous = env.call("GET", "/me")
    assert anonymous.status_code == 401 and body(anonymous)["error"]
    without = env.call("GET", "/me", user="scripts.read,scripts.update")
    assert without.status_code == 403
    allowed = env.call("GET", "/me", user="scripts.execute")
    assert allowed.status_code == 200
    assert body(allowed)["user"] == {"id": "u-scripts.execute"}
    # unsafe methods also need the CSRF token of the signed-in session
    for method in ("POST", "DELETE"):
        refused = env.call(method, "/me", user="scripts.execute", json={"a": 1})
        assert refused.status_code == 403, method
        assert "CSRF" in body(refused)["error"]
    token = env.csrf_token()
    ok = env.call(
        "POST", "/me", user="scripts.execute", json={"a": 1}, headers={"X-CSRFToken": token}
    )
    assert ok.status_code == 200 and body(ok)["input"] == {"a": 1}
    form = env.call("POST", "/me", user="scripts.execute", data={"csrf_token": token, "n": "1"})
    assert form.status_code == 200 and body(form)["input"]["n"] == "1"
    bad = env.call("POST", "/me", user="scripts.execute", headers={"X-CSRFToken": "forged"})
    assert bad.status_code == 403
    assert len(env.runs()) == 3  # only the admitted calls ran


@pytest.mark.parametrize("csrf_protect", [False, True], ids=["own-check", "host-CSRFProtect"])
def test_token_access(app_factory, rt, csrf_protect):
    env = make_env(app_factory, rt, csrf_protect=csrf_protect)
    script_id = env.add(path="/hook", auth="token", methods=("GET", "POST"))
    globex_id = env.add("globex", "hook", path="/hook", auth="token")
    # no token issued yet: nobody gets in
    refused = env.call("GET", "/hook")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    token = env.service(endpoints.issue_token, script_id)
    assert token.startswith("jss_") and len(token) > 40
    stored = env.endpoint(script_id)
    assert stored.token_hash == endpoints.hash_token(token) and token not in stored.token_hash
    for wrong in (None, "", token + "x", token[:-1], "jss_" + "A" * 43):
        assert env.call("GET", "/hook", token=wrong).status_code == 401, wrong
    assert env.call("GET", "/hook", headers={"Authorization": f"Basic {token}"}).status_code == 401
    ok = env.call("POST", "/hook", token=token, json={"n": 1})  # no CSRF for token callers
    assert ok.status_code == 200, ok.get_data(as_text=True)
    answer = body(ok)
    assert answer["input"] == {"n": 1} and answer["user"] is None
    assert "authorization" not in answer["request"]["headers"]
    assert token not in json.dumps([r.input for r in env.runs()])
    # another tenant's token, for a path of the same name, opens neither the other's endpoint
    theirs = env.service(endpoints.issue_token, globex_id, tenant="globex")
    assert env.call("GET", "/hook", token=theirs).status_code == 401
    assert env.call("GET", "/hook", tenant="globex", token=token).status_code == 401
    assert env.call("GET", "/hook", tenant="globex", token=theirs).status_code == 200
    # rotation: the old token stops working, the new one works
    rotated = env.service(endpoints.issue_token, script_id)
    assert rotated != token
    assert env.call("GET", "/hook", token=token).status_code == 401
    assert env.call("GET", "/hook", token=rotated).status_code == 200
    # revocation
    assert env.service(endpoints.revoke_token, script_id) is True
    assert env.call("GET", "/hook", token=rotated).status_code == 401
    assert env.service(endpoints.revoke_token, script_id) is False


def test_public_access_needs_nothing_even_under_host_csrf(app_factory, rt):
    env = make_env(app_factory, rt, csrf_protect=True)
    env.add(path="/open", auth="public", methods=("GET", "POST", "PATCH"))
    assert env.call("GET", "/open", tenant="acme").status_code == 200
    posted = env.call("POST", "/open", json={"x": 1})
    assert posted.status_code == 200 and body(posted)["input"] == {"x": 1}
    assert env.call("PATCH", "/open", data="t", content_type="text/plain").status_code == 200
    # the UI stays protected by the host's CSRFProtect
    refused = env.client.post("/scripts/new", headers={"X-User": ALL, "X-Tenant": "acme"})
    assert refused.status_code == 400


def test_a_token_is_only_issued_for_a_token_endpoint(env):
    session_id = env.add(path="/s", auth="session")
    with pytest.raises(endpoints.ValidationError):
        env.service(endpoints.issue_token, session_id)
    manual = env.service(
        lambda s: (
            scripts.create_script(
                s,
                ScriptInput(name="plain", source="function main() { return 1 }"),
                config=env.app.config,
                runtime=env.app.extensions["jsscripts"].runtime,
            ).script.id
        )
    )
    with pytest.raises(endpoints.ValidationError):
        env.service(endpoints.issue_token, manual)


# --- tenant isolation ----------------------------------------------------------------------


def test_tenant_b_cannot_reach_tenant_a_endpoint(env):
    env.add(
        "acme",
        "secret",
        path="/secret/{id}",
        source="function main(ctx) { return {tenant: ctx.tenant.id, id: ctx.request.params.id} }",
    )
    assert body(env.call("GET", "/secret/1")) == {"tenant": "acme", "id": "1"}
    assert env.call("GET", "/secret/1", tenant="globex").status_code == 404
    env.add(
        "globex",
        "secret",
        path="/secret/{key}",
        source="function main(ctx) { return {tenant: ctx.tenant.id} }",
    )
    assert body(env.call("GET", "/secret/1", tenant="globex")) == {"tenant": "globex"}
    assert body(env.call("GET", "/secret/1")) == {"tenant": "acme", "id": "1"}
    assert {r.tenant_id for r in env.runs("acme")} == {"acme"}
    assert len(env.runs("acme")) == 2 and len(env.runs("globex")) == 1


# --- rate limits ---------------------------------------------------------------------------


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not running: {exc}")
    return client


def _fresh_minute(monkeypatch) -> None:
    """Rate limits count per calendar minute: the endpoints' clock stands early in a new one."""
    start = (time.time() // 60 + 1) * 60 + 0.5
    monkeypatch.setattr(endpoints.Endpoints, "clock", staticmethod(lambda: start))


def test_rate_limit_429_with_retry_after(env, monkeypatch):
    env.add(path="/limited", auth="token", http_rate_limit=3)
    script_id = env.add(name="other", path="/other")
    token = env.service(endpoints.issue_token, env.service(_script_id, "echo"))
    # callers without the token do not use up the endpoint's quota
    for _ in range(5):
        assert env.call("GET", "/limited").status_code == 401
    _fresh_minute(monkeypatch)
    for _ in range(3):
        assert env.call("GET", "/limited", token=token).status_code == 200
    limited = env.call("GET", "/limited", token=token)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert body(limited) == {"error": "rate limit exceeded"}
    assert len(env.runs()) == 3
    # other endpoints are not affected
    assert env.call("GET", "/other").status_code == 200
    assert env.endpoint(script_id).rate_limit_per_minute is None


def _script_id(session, name):
    return scripts.get_script_by_name(session, name).id


def test_rate_limit_is_shared_through_redis(app_factory, rt, monkeypatch):
    client = _redis_or_skip()
    tenant = f"t{uuid.uuid4().hex[:10]}"
    config = {"JSSCRIPTS_HUEY_URL": REDIS_URL}
    one = make_env(app_factory, rt, config=config)
    two = make_env(app_factory, rt, config=config, create=False)  # a second process, same data
    script_id = one.add(tenant, "limited", path="/limited", http_rate_limit=2)
    try:
        _fresh_minute(monkeypatch)
        assert one.call("GET", "/limited", tenant=tenant).status_code == 200
        assert two.call("GET", "/limited", tenant=tenant).status_code == 200
        assert one.call("GET", "/limited", tenant=tenant).status_code == 429
        assert two.call("GET", "/limited", tenant=tenant).status_code == 429
    finally:
        endpoint_id = one.endpoint(script_id, tenant).id
        for key in client.scan_iter(f"jsscripts:*{endpoint_id}*"):
            client.delete(key)


# --- recording and sampling ----------------------------------------------------------------


def test_with_sample_zero_only_failures_are_recorded(app_factory, rt):
    env = make_env(app_factory, rt, config={"JSSCRIPTS_HTTP_RECORD_SAMPLE": 0.0})
    env.add(path="/ok", source="function main(ctx) { return {n: ctx.request.query.n} }")
    env.add(name="fail", path="/fail", source="function main() { throw new TypeError('x') }")
    env.add(name="invalid", path="/invalid", source="function main() { return {status: 1} }")
    for n in range(5):
        response = env.call("GET", f"/ok?n={n}")
        assert response.status_code == 200 and body(response) == {"n": str(n)}
        assert "X-Execution-Id" not in response.headers
    assert env.runs() == []
    failed = env.call("GET", "/fail")
    invalid = env.call("GET", "/invalid")
    assert failed.status_code == invalid.status_code == 500
    runs = env.runs()
    assert {r.id for r in runs} == {body(failed)["execution_id"], body(invalid)["execution_id"]}
    by_id = {r.id: r for r in runs}
    assert by_id[body(failed)["execution_id"]].status == "failed"
    assert by_id[body(invalid)["execution_id"]].status == "completed"  # ran, answered badly
    assert all(r.trigger == "http" and r.finished_at and r.started_at for r in runs)
    assert by_id[body(failed)["execution_id"]].input["path"] == "/fail"


def test_with_sample_one_every_call_is_recorded(env):
    env.add(path="/ok", source="function main() { return 1 }")
    ids = [env.call("GET", "/ok").headers["X-Execution-Id"] for _ in range(3)]
    assert sorted(r.id for r in env.runs()) == sorted(ids)


SLOW = "function main() { var t = Date.now(); while (Date.now() - t < 2500) {} return 'slow' }"


def _concurrent(first: Env, second: Env, path: str, tenant: str) -> tuple[Any, Any]:
    """Call ``path`` on ``first`` in a thread and, while it runs, on ``second``."""
    results: dict[str, Any] = {}

    def slow() -> None:
        client = first.app.test_client()
        results["first"] = client.get(PREFIX + path, headers={"X-Tenant": tenant})

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.8)
    results["second"] = second.app.test_client().get(PREFIX + path, headers={"X-Tenant": tenant})
    thread.join(30)
    return results["first"], results["second"]


@pytest.mark.parametrize("sample", [1.0, 0.0], ids=["recorded", "sampled"])
def test_the_script_concurrency_cap_holds(app_factory, rt, sample):
    env = make_env(app_factory, rt, config={"JSSCRIPTS_HTTP_RECORD_SAMPLE": sample})
    env.add(path="/slow", source=SLOW, limits={"concurrency": 1})
    first, second = _concurrent(env, env, "/slow", "acme")
    assert first.status_code == 200 and body(first) == "slow"
    assert second.status_code == 429
    assert body(second)["reason"] == "script_concurrency" and second.headers["Retry-After"]
    # the slot was given back
    assert env.call("GET", "/slow").status_code == 200


def test_the_sampled_concurrency_cap_holds_across_processes_through_redis(app_factory, rt):
    client = _redis_or_skip()
    tenant = f"t{uuid.uuid4().hex[:10]}"
    config = {"JSSCRIPTS_HUEY_URL": REDIS_URL, "JSSCRIPTS_HTTP_RECORD_SAMPLE": 0.0}
    one = make_env(app_factory, rt, config=config)
    two = make_env(app_factory, rt, config=config, create=False)
    script_id = one.add(tenant, "slow", path="/slow", source=SLOW, limits={"concurrency": 1})
    try:
        first, second = _concurrent(one, two, "/slow", tenant)
        assert first.status_code == 200
        assert second.status_code == 429 and body(second)["reason"] == "script_concurrency"
        assert two.call("GET", "/slow", tenant=tenant).status_code == 200
        assert client.zcard(f"jsscripts:slots:{tenant}:script:{script_id}") == 0
    finally:
        for key in client.scan_iter(f"jsscripts:*{tenant}*"):
            client.delete(key)


# --- the feature flags ---------------------------------------------------------------------


def _offered_types(html: str) -> set[str]:
    select_html = re.search(r'<select[^>]*name="type".*?</select>', html, re.S).group(0)
    return set(re.findall(r'<option[^>]*value="([^"]*)"', select_html)) - {""}


def test_http_switched_off_means_no_routes_and_no_http_type(app_factory, rt):
    env = make_env(app_factory, rt, config={"JSSCRIPTS_ENABLE_HTTP": False})
    script_id = env.add(path="/echo")  # the service still stores them
    response = env.call("GET", "/echo")
    assert response.status_code == 404
    assert not [r for r in env.app.url_map.iter_rules() if r.rule.startswith(PREFIX)]
    assert _offered_types(env.ui_get("/scripts/new").get_data(as_text=True)) == {
        "manual",
        "scheduled",
        "event",
    }
    assert _offered_types(env.ui_get("/scripts/").get_data(as_text=True)) == {
        "manual",
        "scheduled",
        "event",
    }
    # an existing http script can still be edited as what it is
    edit = env.ui_get(f"/scripts/{script_id}/edit").get_data(as_text=True)
    assert "http" in _offered_types(edit)
    view = env.ui_get(f"/scripts/{script_id}").get_data(as_text=True)
    assert "HTTP endpoints are switched off" in view
    # a new http script is refused by the form
    refused = env.ui_post(
        "/scripts/new",
        {"name": "x", "type": "http", "status": "draft", "source": "1", "http_path": "/x"},
    )
    assert refused.status_code == 422


def test_cron_and_events_switched_off_hide_their_types(app_factory, rt):
    env = make_env(
        app_factory,
        rt,
        config={"JSSCRIPTS_ENABLE_CRON": False, "JSSCRIPTS_ENABLE_EVENTS": False},
    )
    assert _offered_types(env.ui_get("/scripts/new").get_data(as_text=True)) == {"manual", "http"}
    assert _offered_types(env.ui_get("/scripts/").get_data(as_text=True)) == {"manual", "http"}
    assert env.call("GET", "/nothing").status_code == 404  # the endpoints are still mounted
    assert body(env.call("GET", "/nothing")) == {"error": "not found"}


# --- the UI --------------------------------------------------------------------------------


def test_the_view_page_issues_a_token_once_and_revokes_it(env):
    script_id = env.add(path="/hook/{id}", auth="token", methods=("POST",), http_rate_limit=30)
    page = env.ui_get(f"/scripts/{script_id}").get_data(as_text=True)
    for needle in (
        "http://localhost/api/scripts/hook/{id}",
        "POST",
        "Token",
        "30 calls per minute",
        "No token yet",
        "Issue token",
    ):
        assert needle in page, needle
    assert "Revoke token" not in page
    viewer = env.ui_get(f"/scripts/{script_id}", perms="scripts.read").get_data(as_text=True)
    assert "Issue token" not in viewer and "/endpoint/token" not in viewer

    issued = env.ui_post(f"/scripts/{script_id}/endpoint/token")
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    token = re.search(r'value="(jss_[^"]+)"', issued.get_data(as_text=True)).group(1)
    assert "shown only this once" in issued.get_data(as_text=True)
    assert env.call("POST", "/hook/1", token=token).status_code == 200
    again = env.ui_get(f"/scripts/{script_id}").get_data(as_text=True)
    assert token not in again and "A token is set." in again and "Rotate token" in again

    rotated = env.ui_post(f"/scripts/{script_id}/endpoint/token", htmx=True)
    fragment = rotated.get_data(as_text=True)
    assert fragment.lstrip().startswith("<section") or 'id="jsscripts-endpoint"' in fragment
    assert "<html" not in fragment
    new_token = re.search(r'value="(jss_[^"]+)"', fragment).group(1)
    assert new_token != token
    assert env.call("POST", "/hook/1", token=token).status_code == 401
    assert env.call("POST", "/hook/1", token=new_token).status_code == 200

    revoked = env.ui_post(f"/scripts/{script_id}/endpoint/token/revoke")
    assert revoked.status_code == 303
    assert env.call("POST", "/hook/1", token=new_token).status_code == 401
    assert "No token yet" in env.ui_get(f"/scripts/{script_id}").get_data(as_text=True)
    # a viewer cannot issue one
    assert (
        env.ui_post(f"/scripts/{script_id}/endpoint/token", perms="scripts.read").status_code == 403
    )


def test_issuing_for_a_session_endpoint_explains_why_not(env):
    script_id = env.add(path="/s", auth="session")
    page = env.ui_get(f"/scripts/{script_id}").get_data(as_text=True)
    assert "Issue token" not in page and "X-CSRFToken" in page
    refused = env.ui_post(f"/scripts/{script_id}/endpoint/token", htmx=True)
    assert refused.status_code == 422 and "token" in refused.get_data(as_text=True)


FORM = {
    "name": "api",
    "type": "http",
    "status": "active",
    "source": "function main() { return 1 }",
    "http_path": "/api-thing",
    "http_methods": ["GET"],
    "timezone": "UTC",
}


def test_the_form_sets_the_rate_limit_and_warns_about_public(env):
    new = env.ui_get("/scripts/new").get_data(as_text=True)
    assert 'name="http_rate_limit"' in new
    assert "jsscripts-public-warning" in new and "anyone who knows the URL" in new
    bad = env.ui_post("/scripts/new", {**FORM, "http_auth": "public", "http_rate_limit": "0"})
    assert bad.status_code == 422
    assert "calls per minute, 1 to" in bad.get_data(as_text=True)
    created = env.ui_post("/scripts/new", {**FORM, "http_auth": "token", "http_rate_limit": "5"})
    assert created.status_code == 303
    script_id = created.headers["Location"].rstrip("/").split("/")[-1]
    endpoint = env.endpoint(script_id)
    assert endpoint.rate_limit_per_minute == 5 and endpoint.auth_mode == "token"
    edit = env.ui_get(f"/scripts/{script_id}/edit").get_data(as_text=True)
    assert re.search(r'name="http_rate_limit"[^>]*value="5"', edit)
    # leaving token access retires the token
    env.service(endpoints.issue_token, script_id)
    assert env.endpoint(script_id).token_hash
    saved = env.ui_post(
        f"/scripts/{script_id}/edit", {**FORM, "http_auth": "public", "http_rate_limit": ""}
    )
    assert saved.status_code == 303
    endpoint = env.endpoint(script_id)
    assert endpoint.token_hash is None and endpoint.rate_limit_per_minute is None
    page = env.ui_get(f"/scripts/{script_id}").get_data(as_text=True)
    assert "without a token" in page  # the public warning
    # a public endpoint without a limit of its own gets the installation's default
    assert "60 calls per minute (the default for public endpoints)" in page


def test_the_public_warning_shows_only_while_public_is_chosen(env):
    """The form in Chromium: the warning's visibility follows the chosen access."""
    from pathlib import Path

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("/usr/bin/chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    html = env.ui_get("/scripts/new").get_data(as_text=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_content(html, wait_until="domcontentloaded")
            page.select_option("select[name=type]", "http")
            warning = page.locator(".jsscripts-public-warning")
            assert not warning.is_visible()
            page.check("input[name=http_auth][value=public]")
            assert warning.is_visible()
            page.check("input[name=http_auth][value=token]")
            assert not warning.is_visible()
        finally:
            browser.close()


# --- export and import ---------------------------------------------------------------------


def test_export_carries_the_rate_limit_but_never_the_token(env):
    script_id = env.add(path="/hook", auth="token", http_rate_limit=12)
    token = env.service(endpoints.issue_token, script_id)
    document = env.service(transfer.export_scripts)
    text = json.dumps(document)
    (item,) = document["scripts"]
    assert item["http_rate_limit"] == 12 and item["http_auth"] == "token"
    assert token not in text and endpoints.hash_token(token) not in text
    assert "token_hash" not in text
    report = env.service(
        transfer.import_scripts,
        document,
        config=env.app.config,
        runtime=env.app.extensions["jsscripts"].runtime,
        tenant="globex",
    )
    assert report.created == ["echo"]
    copy_id = env.service(_script_id, "echo", tenant="globex")
    copy = env.endpoint(copy_id, tenant="globex")
    assert copy.rate_limit_per_minute == 12 and copy.token_hash is None
    # the copy answers nobody until it gets a token of its own
    assert env.call("GET", "/hook", tenant="globex", token=token).status_code == 401
    assert env.call("GET", "/hook", token=token).status_code == 200


# --- the example admin ---------------------------------------------------------------------


def _csrf_of(page) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))
    assert match, page.status_code
    return match.group(1)


def test_example_admin_takes_the_tenant_from_x_tenant_for_callers_without_a_session(tmp_path):
    """The example admin sets up its CSRFProtect before init_app: token and public endpoints
    are exempt from it all the same, session endpoints keep their own check."""
    pytest.importorskip("flask_login")
    from example_app.app import create_app
    from example_app.extensions import db
    from example_app.seed import seed_database

    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/example.db",
            "TESTING": True,
            "WTF_CSRF_ENABLED": True,
            "JSSCRIPTS_POOL_SIZE": 1,
            "JSSCRIPTS_HUEY_URL": "memory://",
        }
    )
    try:
        with app.app_context():
            db.create_all()
            seed_database()
        source = "function main(ctx) { return {tenant: ctx.tenant.id, user: ctx.user} }"
        for tenant in ("acme", "globex"):
            add_http_script(app, db, tenant, "whoami", path="/whoami", source=source)
        add_http_script(app, db, "acme", "mine", path="/mine", source=source, auth="session")
        client = app.test_client()
        whoami = client.post(PREFIX + "/whoami", headers={"X-Tenant": "acme"}, json={})
        assert whoami.status_code == 200 and body(whoami)["tenant"] == "acme"
        assert client.get(PREFIX + "/whoami").status_code == 404
        assert client.get(PREFIX + "/whoami", headers={"X-Tenant": "nope"}).status_code == 404
        assert client.get(PREFIX + "/mine", headers={"X-Tenant": "acme"}).status_code == 401
        # a signed-in user works in their own tenant, whatever the header says
        token = _csrf_of(client.get("/login"))
        login = client.post(
            "/login",
            data={"email": "admin@globex.test", "password": "demo", "csrf_token": token},
        )
        assert login.status_code == 302
        theirs = client.get(PREFIX + "/whoami", headers={"X-Tenant": "acme"})
        assert body(theirs)["tenant"] == "globex"
        assert client.get(PREFIX + "/mine", headers={"X-Tenant": "acme"}).status_code == 404
        # a session endpoint of the user's own tenant: the session and, to POST, its token
        dev = app.test_client()
        token = _csrf_of(dev.get("/login"))
        dev.post("/login", data={"email": "dev@acme.test", "password": "demo", "csrf_token": token})
        assert body(dev.get(PREFIX + "/mine"))["user"]["email"] == "dev@acme.test"
        assert dev.post(PREFIX + "/mine", json={}).status_code == 403
        token = _csrf_of(dev.get("/", follow_redirects=True))
        posted = dev.post(PREFIX + "/mine", json={}, headers={"X-CSRFToken": token})
        assert posted.status_code == 200
        # the header opens nothing in the admin pages
        other = app.test_client()
        assert other.get("/admin/scripts/", headers={"X-Tenant": "acme"}).status_code in (302, 403)
    finally:
        app.extensions["jsscripts"].close_runtime(0)
        with app.app_context():
            db.engine.dispose()
