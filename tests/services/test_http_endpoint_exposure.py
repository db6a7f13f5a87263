"""What a script endpoint exposes, on a real app and database (SQLite and PostgreSQL), through
Flask's test client, the real blueprint and the real sandbox (issue 15):

* every answer under the endpoint prefix is sandboxed and never sniffed, whatever the script's
  headers or a host hook say (item 2; the attack itself is replayed in Chromium by
  ``tests/e2e/test_browser_endpoints.py``);
* ``JSSCRIPTS_ENDPOINT_ORIGIN``: answers only on that origin, the admin UI never there, the UI's
  endpoint URLs on it (item 2);
* public endpoints get a default rate limit, and a recorded call keeps a capped prefix of its
  body, so anonymous callers cannot fill the disk (item 8).
"""

from __future__ import annotations

import os
import re

import pytest
from endpoint_fixtures import add_http_script
from sqlalchemy import text
from test_http_endpoints import ALL, PREFIX, _fresh_minute, body, make_env

from flask_jsscripts.config import DEFAULTS as CONFIG_DEFAULTS
from flask_jsscripts.config import ConfigError, validate
from flask_jsscripts.services import endpoints

HOOKS = "https://hooks.example.com"


def _sealed(response) -> bool:
    return response.headers.getlist("X-Content-Type-Options") == ["nosniff"] and (
        "sandbox" in response.headers.getlist("Content-Security-Policy")
    )


# --- every answer is sandboxed ---------------------------------------------------------------

PAGE = (
    "function main() { return {status: 200, body: '<script>alert(1)</script>', headers: {\n"
    "  'Content-Type': 'text/html', 'X-Content-Type-Options': 'sniff-away',\n"
    "  'Content-Security-Policy': 'sandbox allow-scripts allow-same-origin'}} }"
)


def test_every_answer_is_sandboxed_and_never_sniffed(app_factory, rt, monkeypatch):
    env = make_env(app_factory, rt, config={"JSSCRIPTS_MAX_INPUT_BYTES": 2000})
    env.add(name="page", path="/page", source=PAGE)
    env.add(name="boom", path="/boom", source="function main() { throw new Error('x') }")
    env.add(name="bad", path="/bad", source="function main() { return {status: 99} }")
    env.add(name="none", path="/none", source="function main() { return {status: 204} }")
    env.add(name="moved", path="/moved", source="function main() { return {status: 302} }")
    env.add(name="mine", path="/mine", auth="session", methods=("GET", "POST"))
    env.add(name="hook", path="/hook", auth="token")
    env.add(name="limited", path="/limited", http_rate_limit=1, methods=("GET", "POST"))
    _fresh_minute(monkeypatch)
    page = env.call("GET", "/page")
    assert page.status_code == 200 and page.mimetype == "text/html"  # the script's choice
    assert page.get_data(as_text=True) == "<script>alert(1)</script>"
    # the script's own policy stays beside ours: a browser enforces both, so the page is
    # sandboxed without scripts and without its origin all the same
    assert page.headers.getlist("Content-Security-Policy") == [
        "sandbox allow-scripts allow-same-origin",
        "sandbox",
    ]
    answers = {
        200: env.call("GET", "/limited"),
        429: env.call("GET", "/limited"),  # the rate limit's refusal
        204: env.call("GET", "/none"),
        302: env.call("GET", "/moved"),
        404: env.call("GET", "/nowhere"),
        "404 no tenant": env.call("GET", "/page", tenant=None),
        405: env.call("DELETE", "/page"),
        "405 HEAD": env.call("HEAD", "/page"),
        "405 TRACE": env.call("TRACE", "/page"),  # refused by Flask's router, not the blueprint
        "204 OPTIONS": env.call("OPTIONS", "/page"),
        401: env.call("GET", "/mine"),
        403: env.call("GET", "/mine", user="scripts.read"),
        "403 CSRF": env.call("POST", "/mine", user=ALL),
        "401 token": env.call("GET", "/hook", token="jss_wrong"),
        413: env.call("POST", "/page", data="x" * 3000, content_type="text/plain"),
        400: env.call("POST", "/page", data="{nope", content_type="application/json"),
        500: env.call("GET", "/boom"),
        "500 status": env.call("GET", "/bad"),
    }
    for name, response in answers.items():
        assert response.status_code == int(str(name)[:3]), name
        assert _sealed(response), (name, response.headers)


def test_a_site_wide_policy_of_the_host_does_not_lift_the_sandbox(app_factory, rt):
    env = make_env(app_factory, rt)

    @env.app.after_request
    def site_policy(response):  # registered after init_app: Flask calls it before the seal
        response.headers["Content-Security-Policy"] = "default-src 'self'"
        response.headers["X-Content-Type-Options"] = "none"
        return response

    env.add(name="page", path="/page", source=PAGE)
    for path in ("/page", "/nowhere"):
        response = env.call("GET", path)
        assert response.headers.getlist("Content-Security-Policy") == [
            "default-src 'self'",
            "sandbox",
        ]
        assert _sealed(response)
    # the host's own pages are the host's business
    ui = env.ui_get("/scripts/")
    assert ui.headers.getlist("Content-Security-Policy") == ["default-src 'self'"]
    assert ui.headers["X-Content-Type-Options"] == "none"


# --- JSSCRIPTS_ENDPOINT_ORIGIN --------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, HOOKS, "http://127.0.0.1:8080", "https://[::1]:8443", "http://hooks"],
)
def test_endpoint_origin_setting_accepts_origins(value):
    validate({**CONFIG_DEFAULTS, "JSSCRIPTS_ENDPOINT_ORIGIN": value})


@pytest.mark.parametrize(
    "value",
    [
        "hooks.example.com",
        HOOKS + "/",
        HOOKS + "/api",
        "ftp://hooks.example.com",
        "",
        5,
        "https://",
    ],
)
def test_endpoint_origin_setting_refuses_anything_else(value):
    with pytest.raises(ConfigError, match="JSSCRIPTS_ENDPOINT_ORIGIN"):
        validate({**CONFIG_DEFAULTS, "JSSCRIPTS_ENDPOINT_ORIGIN": value})


def test_with_an_endpoint_origin_only_it_serves_answers(app_factory, rt):
    env = make_env(app_factory, rt, config={"JSSCRIPTS_ENDPOINT_ORIGIN": HOOKS})
    script_id = env.add(path="/echo")  # public
    env.add(name="mine", path="/mine", auth="session")
    # on the endpoint origin (the scheme is not compared: a proxy may end TLS in front)
    for base in (HOOKS, "http://hooks.example.com", "https://HOOKS.example.com:443"):
        answered = env.call("GET", "/echo", base_url=base)
        assert answered.status_code == 200, base
        assert _sealed(answered)
    mine = env.call("GET", "/mine", user="scripts.execute", base_url=HOOKS)
    assert mine.status_code == 200
    assert len(env.runs()) == 4
    # anywhere else: 404 for every path and method alike, naming the origin, and nothing runs
    for base in (
        "http://localhost",
        "https://example.com",
        HOOKS + ":8443",
        "https://x." + HOOKS[8:],
    ):
        for method, path in (
            ("GET", "/echo"),
            ("POST", "/echo"),
            ("OPTIONS", "/echo"),
            ("GET", "/x"),
        ):
            refused = env.call(method, path, base_url=base)
            assert refused.status_code == 404, (base, method, path)
            assert body(refused) == {"error": f"script endpoints answer on {HOOKS}"}
            assert _sealed(refused)
    assert env.call("GET", "/mine", user="scripts.execute").status_code == 404
    assert len(env.runs()) == 4
    # the UI shows the URL on the endpoint origin, and does not answer there itself
    page = env.ui_get(f"/scripts/{script_id}").get_data(as_text=True)
    assert f"{HOOKS}{PREFIX}/echo" in page and "http://localhost/api" not in page
    headers = {"X-User": ALL, "X-Tenant": "acme"}
    for path in ("/scripts/", f"/scripts/{script_id}", "/scripts/static/ui.js"):
        assert env.client.get(path, headers=headers, base_url=HOOKS).status_code == 404, path


# --- anonymous callers cannot fill the disk --------------------------------------------------


@pytest.fixture
def env(app_factory, rt):
    return make_env(app_factory, rt)


def test_public_endpoints_get_the_default_rate_limit(app_factory, rt, monkeypatch):
    env = make_env(app_factory, rt, config={"JSSCRIPTS_PUBLIC_RATE_LIMIT": 3})
    env.add(name="open", path="/open")
    env.add(name="own", path="/own", http_rate_limit=5)  # its own limit wins, above or below
    env.add(name="mine", path="/mine", auth="session")
    _fresh_minute(monkeypatch)
    assert [env.call("GET", "/open").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert [env.call("GET", "/own").status_code for _ in range(6)] == [200] * 5 + [429]
    # signed-in and token callers are not limited by default
    assert {env.call("GET", "/mine", user="scripts.execute").status_code for _ in range(5)} == {200}
    page = env.ui_get("/scripts/new").get_data(as_text=True)
    assert "A public endpoint without a limit of its own answers 3 calls per minute." in page

    # None: no default limit (the second app shares the first one's database)
    unlimited = make_env(
        app_factory, rt, config={"JSSCRIPTS_PUBLIC_RATE_LIMIT": None}, create=False
    )
    unlimited.add("globex", "open", path="/open")
    assert {unlimited.call("GET", "/open", tenant="globex").status_code for _ in range(5)} == {200}
    with pytest.raises(ConfigError):
        validate({**CONFIG_DEFAULTS, "JSSCRIPTS_PUBLIC_RATE_LIMIT": 0})


LENGTH = "function main(ctx) { return {length: ctx.input.length, last: ctx.input.slice(-3)} }"


@pytest.mark.parametrize("sample", [1.0, 0.0], ids=["recorded", "sampled-failure"])
def test_a_recorded_call_keeps_a_capped_prefix_of_its_body(app_factory, rt, sample):
    config = {"JSSCRIPTS_HTTP_RECORD_BODY_BYTES": 1000, "JSSCRIPTS_HTTP_RECORD_SAMPLE": sample}
    env = make_env(app_factory, rt, config=config)
    source = LENGTH if sample == 1 else LENGTH.replace("return", "throw new Error('no'); return")
    env.add(path="/len", methods=("POST",), source=source)
    text_body = "é" * 30_000 + "end"  # 60,003 bytes of UTF-8
    answer = env.call("POST", "/len", data=text_body.encode(), content_type="text/plain")
    if sample == 1:
        assert body(answer) == {"length": 30_003, "last": "end"}  # the script got all of it
    (run,) = env.runs()
    recorded = run.input
    assert recorded["body_truncated"] is True and recorded["body_bytes"] == 60_003
    assert recorded["body"] == "é" * 500  # 1000 bytes; a character cut in two is left out
    assert recorded["method"] == "POST" and recorded["path"] == "/len"
    # a parsed body is recorded as the first bytes of its compact JSON
    env.call("POST", "/len", json={"items": ["x" * 100] * 50})
    recorded = env.runs()[-1].input
    assert recorded["body_truncated"] is True and len(recorded["body"].encode()) == 1000
    assert recorded["body"].startswith('{"items":["xxx')
    # a body under the cap is kept as it came
    env.call("POST", "/len", json={"small": 1})
    recorded = env.runs()[-1].input
    assert recorded["body"] == {"small": 1} and "body_truncated" not in recorded


def test_recorded_request_cuts_at_the_limit():
    request = {"method": "POST", "body": "a" * 10}
    assert endpoints.recorded_request(request, 10) is request
    assert endpoints.recorded_request(request, 4) == {
        "method": "POST",
        "body": "aaaa",
        "body_truncated": True,
        "body_bytes": 10,
    }
    assert endpoints.recorded_request({"body": "ü" * 3}, 3)["body"] == "ü"  # not half of one
    assert endpoints.recorded_request({"body": "\ud800" * 3}, 2)["body"] == ""  # nothing raises
    assert endpoints.recorded_request({"body": [1, 2, 3]}, 4)["body"] == "[1,2"
    assert endpoints.recorded_request({"body": None}, 0) == {"body": None}
    assert endpoints.recorded_request({"body": "x"}, 0)["body"] == ""


MB = 1_000_000


def _database_bytes(env) -> int:
    with env.app.app_context():
        connection = env.db.session.connection()
        if connection.dialect.name == "sqlite":
            size = (
                connection.execute(text("PRAGMA page_count")).scalar()
                * connection.execute(text("PRAGMA page_size")).scalar()
            )
        else:
            size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
        env.db.session.rollback()
        return size


def test_anonymous_megabyte_calls_grow_the_database_by_the_cap(app_factory, rt, monkeypatch):
    """The red team's 60 anonymous 1 MB calls to a public endpoint grew the database by 61 MB;
    now each adds about JSSCRIPTS_HTTP_RECORD_BODY_BYTES (16 KiB), and a 61st call that
    minute is refused by the default rate limit."""
    env = make_env(app_factory, rt)
    env.add(path="/upload", methods=("POST",), source=LENGTH)
    cap = CONFIG_DEFAULTS["JSSCRIPTS_HTTP_RECORD_BODY_BYTES"]
    payload = os.urandom(MB // 2).hex()  # 1 MB of text that no database can compress away
    _fresh_minute(monkeypatch)
    env.call("POST", "/upload", data="warm-up", content_type="text/plain")
    before = _database_bytes(env)
    for _ in range(59):
        answer = env.call("POST", "/upload", data=payload, content_type="text/plain")
        assert answer.status_code == 200 and body(answer)["length"] == MB
    grown = _database_bytes(env) - before
    assert env.call("POST", "/upload", data=payload, content_type="text/plain").status_code == 429
    runs = env.runs()
    assert len(runs) == 60
    assert all(r.input["body_bytes"] == MB and len(r.input["body"]) == cap for r in runs[1:])
    per_call = grown / 59
    print(f"database grew by {grown} bytes for 59 calls of 1 MB: {per_call:.0f} per call")
    assert per_call < cap + 16 * 1024, per_call  # the capped body and the row around it
    assert per_call < MB / 20


def test_the_rate_limit_field_help_and_view_show_the_default(env):
    script_id = add_http_script(env.app, env.db, "acme", "open", path="/open")
    page = env.ui_get(f"/scripts/{script_id}").get_data(as_text=True)
    assert re.search(r"60 calls per minute\s*\(the default for public endpoints\)", page)
    own = add_http_script(env.app, env.db, "acme", "own", path="/own", http_rate_limit=7)
    page = env.ui_get(f"/scripts/{own}").get_data(as_text=True)
    assert "7 calls per minute" in page and "the default for public" not in page
