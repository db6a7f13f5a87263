"""Script endpoints in a real browser (Debian's Chromium through Playwright), against the
example admin served by ``flask run``: what a script's answer can do to a signed-in admin.

The attack (red-team report, issue 15): a developer (no ``scripts.delete``) makes a session GET
endpoint that answers ``text/html`` with a ``<script>``; an admin who opens its link runs that
script on the admin's origin, which fetches an admin page, takes its CSRF token and deletes a
script. Every endpoint answer now carries ``Content-Security-Policy: sandbox`` (the page gets
an opaque origin and runs no script), and with ``JSSCRIPTS_ENDPOINT_ORIGIN`` the answers come
from another origin altogether. Both are checked here against the database: the script the
page goes for is still there.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import pytest
from browser_fixtures import (
    CHROMIUM,
    example_server,
    free_port,
    launch_chromium,
    login,
    new_page,
)

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("flask_login")

VICTIM = "On order created"  # a seeded script of acme; dev@acme.test may not delete it

# What the page does on the origin it is served from: read an admin page, take its CSRF token,
# delete the victim, and say so in the title.
STEAL = """<!doctype html><title>loading</title><script>
(async () => {
  const admin = await (await fetch('/admin/scripts/__VICTIM__')).text();
  const token = admin.match(/name="csrf-token" content="([^"]+)"/)[1];
  const deleted = await fetch('/admin/scripts/__VICTIM__/delete',
                              {method: 'POST', headers: {'X-CSRFToken': token}});
  document.title = 'deleted ' + deleted.status;
})();
</script><p>Quarterly report</p>"""


def _html_source(html: str) -> str:
    return (
        "function main(ctx) {\n"
        "  return {status: 200, headers: {'Content-Type': 'text/html; charset=utf-8',\n"
        "          'Content-Security-Policy': 'sandbox allow-scripts allow-same-origin',\n"
        "          'X-Content-Type-Options': 'x'},\n"
        f"          body: {json.dumps(html)}}};\n"
        "}\n"
    )


def _header(response, name: str) -> list[str]:
    return [h["value"] for h in response.headers_array() if h["name"].lower() == name]


def _scripts_named(instance: Path, name: str) -> list[str]:
    """The ids of acme's scripts called ``name``, straight from the example's database."""
    with sqlite3.connect(instance / "example.db") as db:
        rows = db.execute(
            "SELECT id FROM jsscripts_scripts WHERE tenant_id = 'acme' AND name = ?", (name,)
        ).fetchall()
    return [row[0] for row in rows]


def _create_endpoint(page, server: str, name: str, path: str, source: str, auth: str) -> str:
    """Through the editor, as the signed-in user: an active http script; returns its page."""
    page.goto(server + "/admin/scripts/new")
    page.wait_for_function("window.jsscriptsEditor !== undefined")
    assert page.evaluate("window.jsscriptsEditor.ready") is True, "Monaco did not load"
    page.fill("input[name=name]", name)
    page.select_option("select[name=type]", "http")
    page.select_option("select[name=status]", "active")
    page.fill("input[name=http_path]", path)
    radio = page.locator(f"input[type=radio][name=http_auth][value={auth}]")
    if radio.is_enabled():
        radio.check()
    page.evaluate("(code) => window.jsscriptsEditor.get('source').setValue(code)", source)
    page.click("form.jsscripts-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/scripts/[0-9a-f-]{36}$"))
    return page.url


def _open_as_admin(browser, server: str, url: str):
    """The admin, signed in on ``server``, opens ``url``; returns (page, response, requests
    seen). Requests carry ``X-Tenant: acme``, how the example admin finds the tenant of a
    caller without a session (a host on subdomains would read it from the host name)."""
    page = new_page(browser)
    page.context.set_extra_http_headers({"X-Tenant": "acme"})
    login(page, server, "admin@acme.test")
    seen: list[str] = []
    page.on("request", lambda r: seen.append(f"{r.method} {r.url}"))
    response = page.goto(url)
    page.wait_for_timeout(2500)  # time enough for the page's fetches, had it run any
    return page, response, seen


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """The example admin as shipped: endpoints on its own origin."""
    instance = tmp_path_factory.mktemp("plain")
    with example_server(instance) as base:
        yield base, instance


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """The example admin on 127.0.0.1 with its endpoints on http://localhost (same server,
    another origin to the browser)."""
    instance = tmp_path_factory.mktemp("split")
    port = free_port()
    origin = f"http://localhost:{port}"
    env = {"JSSCRIPTS_ENDPOINT_ORIGIN": origin}
    with example_server(instance, env, port=port) as base:
        yield base, instance, origin


def test_an_html_answer_cannot_act_with_the_admins_session(plain, browser):
    server, instance = plain
    (victim,) = _scripts_named(instance, VICTIM)
    dev = new_page(browser)
    login(dev, server, "dev@acme.test")
    html = STEAL.replace("__VICTIM__", victim)
    _create_endpoint(dev, server, "quarterly report", "/report", _html_source(html), "session")
    assert dev.request.post(server + f"/admin/scripts/{victim}/delete").status in (400, 403)
    dev.context.close()

    page, response, seen = _open_as_admin(browser, server, server + "/api/scripts/report")
    assert response.status == 200 and "Quarterly report" in page.inner_text("body")
    headers = response.headers
    assert headers["content-type"].startswith("text/html")  # the script chose it
    # the script's own, permissive policy stays beside the sandbox, which the browser enforces
    assert _header(response, "content-security-policy") == [
        "sandbox allow-scripts allow-same-origin",
        "sandbox",
    ]
    assert _header(response, "x-content-type-options") == ["nosniff"]  # not the script's "x"
    assert not [r for r in seen if "/admin/scripts/" in r], seen  # the page ran nothing
    assert page.title() == "loading"
    page.context.close()
    assert _scripts_named(instance, VICTIM) == [victim]


def test_with_an_endpoint_origin_answers_come_only_from_it(split, browser):
    server, instance, origin = split
    (victim,) = _scripts_named(instance, VICTIM)
    dev = new_page(browser)
    login(dev, server, "dev@acme.test")
    html = STEAL.replace("__VICTIM__", victim)
    _create_endpoint(dev, server, "quarterly report", "/report", _html_source(html), "session")
    # the editor shows the URL on the endpoint origin
    assert f"{origin}/api/scripts/report" in dev.inner_text("#jsscripts-endpoint")
    dev.context.close()
    admin = new_page(browser)
    login(admin, server, "admin@acme.test")
    hello = "function main(ctx) { return {status: 200, body: 'hello from a script'} }"
    _create_endpoint(admin, server, "hello", "/hello", hello, "public")
    admin.context.close()

    # the admin's origin serves no script answer at all, whatever the access mode
    for path in ("/report", "/hello"):
        page, response, seen = _open_as_admin(browser, server, server + "/api/scripts" + path)
        assert response.status == 404, path
        assert origin in page.inner_text("body")
        assert not [r for r in seen if "/admin/scripts/" in r], seen
        page.context.close()
    # on the endpoint origin the admin has no session: the session endpoint refuses
    page, response, seen = _open_as_admin(browser, server, origin + "/api/scripts/report")
    assert response.status == 401
    assert not [r for r in seen if "/admin/scripts/" in r], seen
    page.context.close()
    # a public endpoint answers there, sandboxed all the same
    page, response, _seen = _open_as_admin(browser, server, origin + "/api/scripts/hello")
    assert response.status == 200 and page.inner_text("body") == "hello from a script"
    assert _header(response, "content-security-policy") == ["sandbox"]
    page.context.close()
    # and the admin UI does not answer on the endpoint origin
    page = new_page(browser)
    assert page.goto(origin + "/admin/scripts/").status == 404
    page.context.close()
    assert _scripts_named(instance, VICTIM) == [victim]
