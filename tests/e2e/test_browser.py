"""The admin UI in a real browser: Debian's Chromium driven by Playwright, against the example
host admin served by a real `flask run` process (migrated and seeded like `./dev example`).

Screenshots of every page, at desktop width and at 375 px, go to `test-results/screenshots/`.
Without /usr/bin/chromium the module is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from browser_fixtures import CHROMIUM, ROOT, example_server, launch_chromium, login, new_page

SHOTS = ROOT / "test-results" / "screenshots"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("flask_login")


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """The example admin's instance folder (its SQLite database)."""
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="module")
def server(instance):
    """The example admin on a free loopback port, with its own instance folder."""
    with example_server(instance) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    with sync_api.sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


_page = new_page
_login = login


def _shoot(page, name: str) -> None:
    """The same page at desktop width and at 375 px."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(SHOTS / f"{name}-375.png"), full_page=True)
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 375 + 1, f"{name}: the page scrolls sideways at 375 px ({wide} px)"
    page.set_viewport_size({"width": 1280, "height": 900})


def _editor_ready(page) -> None:
    page.wait_for_function("window.jsscriptsEditor !== undefined")  # editor.js is deferred
    assert page.evaluate("window.jsscriptsEditor.ready") is True, "Monaco did not load"


def test_admin_creates_runs_versions_rolls_back_and_deletes(server, browser):
    page = _page(browser)
    _login(page, server, "admin@acme.test")
    _shoot(page, "dashboard")

    page.goto(server + "/admin/scripts/")
    page.wait_for_selector("table")
    _shoot(page, "list")

    # create, with an arrow function, in Monaco
    page.goto(server + "/admin/scripts/new")
    _editor_ready(page)
    _shoot(page, "new")
    page.fill("input[name=name]", "browser doubler")
    page.click(".monaco-editor .view-lines")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    # insert_text types into Monaco without key-by-key autocompletion and bracket closing
    page.keyboard.insert_text(
        "const double = (n) => n * 2;\nfunction main(ctx) {\n  return double(ctx.input.n);\n}\n"
    )
    assert "=> n * 2" in page.evaluate("window.jsscriptsEditor.get('source').getValue()")
    page.click("form.jsscripts-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/scripts/[0-9a-f-]{36}$"))
    assert "Version 1 created" in page.inner_text("body")
    _shoot(page, "view")

    # run with JSON input: the result appears without a reload
    page.evaluate("window.__noReload = 1")
    page.fill("#jsscripts-run-input", '{"n": 21}')
    page.click("#jsscripts-run-panel button[type=submit]")
    page.wait_for_selector("#jsscripts-run-panel >> text=42")
    assert page.evaluate("window.__noReload") == 1  # swapped in by htmx, not a new page
    assert "completed" in page.inner_text("#jsscripts-run-panel").lower()
    page.wait_for_selector("#jsscripts-history-title")
    _shoot(page, "run-result")

    # edit: version 2
    page.click("main a:has-text('Edit')")
    page.wait_for_url(re.compile(r".*/edit$"))
    _editor_ready(page)
    page.evaluate(
        "(code) => window.jsscriptsEditor.get('source').setValue(code)",
        "const triple = (n) => n * 3;\nfunction main(ctx) { return triple(ctx.input.n) }",
    )
    _shoot(page, "edit")
    page.click("form.jsscripts-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/scripts/[0-9a-f-]{36}$"))
    assert "Version 2 created" in page.inner_text("body")

    # versions, diff, roll back to 1 (a new version 3)
    page.click("a:has-text('Versions')")
    _shoot(page, "versions")
    versions_url = page.url
    page.click("a[href$='/versions/1']:has-text('Diff against current')")
    # the diff editor draws both sources once Monaco has loaded (later on a busy machine)
    page.wait_for_function(
        "document.body.innerText.includes('double') && document.body.innerText.includes('triple')"
    )
    _shoot(page, "diff")
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():  # else, on a busy machine, goto() below cuts it off
        page.click("button:has-text('Roll back to this version')")
    page.wait_for_load_state("networkidle")
    page.goto(versions_url)
    assert page.locator("a[href$='/versions/3']").count() >= 1  # the rollback is version 3
    page.goto(versions_url.rsplit("/versions", 1)[0])
    page.fill("#jsscripts-run-input", '{"n": 5}')
    page.click("#jsscripts-run-panel button[type=submit]")
    page.wait_for_selector("#jsscripts-run-panel >> text=10")

    # delete from the list: the row disappears in place
    page.goto(server + "/admin/scripts/?q=browser")
    row = page.locator("tr", has_text="browser doubler")
    row.locator("button:has-text('Delete')").click()
    row.wait_for(state="detached")
    page.context.close()


def test_the_editor_marks_what_a_save_would_refuse_as_the_author_types(server, browser):
    page = _page(browser)
    _login(page, server, "admin@acme.test")
    page.goto(server + "/admin/scripts/new")
    _editor_ready(page)
    set_source = "(code) => window.jsscriptsEditor.get('source').setValue(code)"
    page.evaluate(set_source, "function main(ctx) {\n  return 10n;\n}\n")
    draft_markers = (
        "window.monaco.editor.getModelMarkers({owner: 'jsscripts-draft'})"
        ".map(m => [m.startLineNumber, m.startColumn, m.message])"
    )
    page.wait_for_function(f"{draft_markers}.length === 1")
    assert page.evaluate(draft_markers) == [
        [2, 10, "BigInt literals are not supported (line 2, column 10)"]
    ]
    # modern syntax is fine for the server's compiler and for Monaco's own checks
    page.evaluate(
        set_source,
        "class A { #n = 1; static { A.k = 2 } get n() { return this.#n } }\n"
        "function main(ctx) { let x = ctx.input?.n ?? 0; x ??= 1_000; return [x, new A().n] }\n",
    )
    page.wait_for_function(f"{draft_markers}.length === 0")
    page.wait_for_timeout(1500)  # Monaco's TypeScript worker checks the syntax meanwhile
    all_markers = "window.monaco.editor.getModelMarkers({}).map(m => m.message)"
    assert page.evaluate(all_markers) == []
    page.context.close()


def test_text_typed_before_monaco_arrives_is_kept(server, browser):
    """Until Monaco has loaded, the text area is the editor: what was typed there, the caret and
    the focus carry over to Monaco, so typing simply goes on."""
    page = _page(browser)
    _login(page, server, "admin@acme.test")
    monaco_main = re.compile(r".*/vs/editor/editor\.main\.js(\?.*)?$")
    held, released = [], []

    def hold(route) -> None:  # Monaco's main file waits until the text is typed
        if released:
            route.continue_()
        else:
            held.append(route)

    page.route(monaco_main, hold)
    page.goto(server + "/admin/scripts/new", wait_until="domcontentloaded")  # "load" waits for it
    while not held:
        page.wait_for_timeout(50)
    assert page.locator(".monaco-editor").count() == 0
    page.click("#source")
    page.keyboard.press("Control+End")
    page.keyboard.type("const early = 1;")
    released.append(True)
    for route in held:
        route.continue_()
    _editor_ready(page)
    assert page.locator("#source").is_hidden()
    value = page.evaluate("window.jsscriptsEditor.get('source').getValue()")
    assert value.endswith("const early = 1;"), value
    assert page.evaluate("window.jsscriptsEditor.get('source').hasTextFocus()")
    page.keyboard.type(" // and on")  # the caret is where it was in the text area
    value = page.evaluate("window.jsscriptsEditor.get('source').getValue()")
    assert value.endswith("const early = 1; // and on"), value
    assert page.input_value("#source") == value  # and the form posts it
    page.context.close()


@pytest.mark.parametrize(("lang", "expected"), [("ru", "Новый скрипт"), ("uz", "Yangi skript")])
def test_pages_in_russian_and_uzbek(server, browser, lang, expected):
    page = _page(browser)
    _login(page, server, "admin@acme.test")
    page.click(f"button[name=lang][value={lang}]")
    page.goto(server + "/admin/scripts/")
    assert page.get_attribute("html", "lang") == lang
    assert expected in page.inner_text("body")
    _shoot(page, f"list-{lang}")
    page.click("tbody tr a >> nth=0")
    _shoot(page, f"view-{lang}")
    page.context.close()


def test_viewer_sees_no_controls_and_gets_403(server, browser):
    page = _page(browser)
    _login(page, server, "viewer@acme.test")
    page.goto(server + "/admin/scripts/")
    for control in (
        "a:has-text('New script')",
        "a:has-text('Edit')",
        "button:has-text('Delete')",
        "button:has-text('Disable')",
        "button:has-text('Enable')",
    ):
        assert page.locator(f"main {control}").count() == 0, control
    first = page.locator("tbody tr a").first.get_attribute("href")
    page.goto(server + first)
    assert page.locator("#jsscripts-run-panel").count() == 0
    _shoot(page, "viewer-view")
    for path in ("/admin/scripts/new", first + "/edit", first + "/versions"):
        response = page.goto(server + path)
        assert response.status == (200 if path.endswith("/versions") else 403), path
    token = page.evaluate(
        "JSON.parse(document.querySelector('[hx-headers]').getAttribute('hx-headers'))"
        "['X-CSRFToken']"
    )
    for action in ("/run", "/delete", "/status"):
        response = page.request.post(
            server + first + action,
            headers={"X-CSRFToken": token},
            form={"input": "{}", "status": "paused"},
        )
        assert response.status == 403, action
    page.context.close()


def test_foreign_tenant_ids_are_404_and_posts_need_csrf(server, browser):
    globex = _page(browser)
    _login(globex, server, "admin@globex.test")
    globex.goto(server + "/admin/scripts/")
    foreign = globex.locator("tbody tr a").first.get_attribute("href")
    globex.context.close()

    page = _page(browser)
    _login(page, server, "admin@acme.test")
    for suffix in ("", "/edit", "/versions", "/executions"):
        assert page.goto(server + foreign + suffix).status == 404, suffix
    _shoot(page, "not-found")
    page.goto(server + "/admin/scripts/")
    own = page.locator("tbody tr a").first.get_attribute("href")
    for action in ("/run", "/delete", "/status", "/versions/1/rollback"):
        response = page.request.post(server + own + action, form={"input": "{}"})
        assert response.status == 400, action  # refused: no CSRF token
    assert page.goto(server + own).status == 200  # nothing was deleted
    page.context.close()


# A dead letter of the seeded event script, written into the example app's database by a
# separate process (as the event machinery would leave it: failed attempts, then the letter).
ADD_DEAD_LETTER = """
import sys
from sqlalchemy import select
from dead_letter_fixtures import add_dead_letter
from example_app.app import create_app
from example_app.extensions import db
from flask_jsscripts import tenancy
from flask_jsscripts.models import Script

app = create_app()
with app.app_context(), tenancy.tenant_scope("acme"):
    script_id = db.session.scalar(select(Script.id).where(Script.name == "On order created"))
print(add_dead_letter(app, db, "acme", script_id, payload={"id": 41, "total": 12.5}))
"""


def _add_dead_letter(instance: Path) -> str:
    env = {
        **os.environ,
        "EXAMPLE_INSTANCE_PATH": str(instance),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)]),
    }
    done = subprocess.run(
        [sys.executable, "-c", ADD_DEAD_LETTER],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_dead_letter_is_replayed_from_the_list_and_the_filter_is_tested(server, browser, instance):
    letter_id = _add_dead_letter(instance)
    page = _page(browser)
    _login(page, server, "admin@acme.test")
    page.goto(server + "/admin/scripts/")
    page.click("main a:has-text('Dead letters')")
    page.wait_for_url(re.compile(r".*/admin/scripts/dead-letters$"))
    row = page.locator(f"#jsscripts-dl-row-{letter_id}")
    assert "On order created" in row.inner_text()
    assert "Cannot read properties of undefined" in row.inner_text()
    _shoot(page, "dead-letters")

    # replay: the row says so without a reload, and links the queued run
    page.evaluate("window.__noReload = 1")
    row.locator("button:has-text('Replay')").click()
    page.wait_for_selector(f"#jsscripts-dl-row-{letter_id} >> text=queued again")
    assert page.evaluate("window.__noReload") == 1
    row = page.locator(f"#jsscripts-dl-row-{letter_id}")
    assert "replayed" in row.inner_text()
    assert row.locator("button").count() == 0
    _shoot(page, "dead-letter-replayed")

    # the detail page lists the replay among the runs of the event, pending (no consumer here)
    page.goto(server + f"/admin/scripts/dead-letters/{letter_id}")
    body = page.inner_text("main")
    assert '"total": 12.5' in body and "at main (script.js:3:22)" in body
    assert page.locator("a:has-text('attempt 4')").count() == 1
    _shoot(page, "dead-letter")
    page.click("a:has-text('attempt 4')")
    assert "pending" in page.inner_text("main").lower()

    # the filter tester of the event script's edit page
    page.goto(server + "/admin/scripts/")
    page.click("tbody tr a:has-text('On order created')")
    page.click("main a:has-text('Edit')")
    page.wait_for_url(re.compile(r".*/edit$"))
    page.click("summary:has-text('Test the filter')")
    page.fill("textarea[name=event_filter]", '{"path": "total", "op": "gt", "value": 100}')
    page.fill("#jsscripts-filter-sample", '{"total": 250}')
    page.click("button:has-text('Test the filter')")
    page.wait_for_selector("#jsscripts-filter-result >> text=Matched")
    assert "250" in page.inner_text("#jsscripts-filter-result")
    page.fill("#jsscripts-filter-sample", '{"total": 250')
    page.click("button:has-text('Test the filter')")
    page.wait_for_selector("#jsscripts-filter-result >> text=not valid JSON")
    _shoot(page, "filter-test")
    page.context.close()


BIG_ROWS = 8000
BIG_SOURCE = (
    "function main(ctx) {\n"
    "  var x = new Array(301).join('x'), rows = [];\n"
    f"  for (var i = 0; i < {BIG_ROWS}; i++)\n"
    "    rows.push({i: i, text: 'row ' + i + ' \\u0436 ' + x});\n"
    "  return rows;\n"
    "}\n"
)


def test_a_big_output_shows_its_head_and_downloads_whole(server, browser, instance, tmp_path):
    """2.7 MB of output: the Run result and the execution page show its first 64 KiB and how
    much is left out, and the link downloads the file the database holds, byte for byte."""
    import json
    import sqlite3

    page = _page(browser)
    _login(page, server, "admin@acme.test")
    page.goto(server + "/admin/scripts/new")
    _editor_ready(page)
    page.fill("input[name=name]", "browser big output")
    page.evaluate("(code) => window.jsscriptsEditor.get('source').setValue(code)", BIG_SOURCE)
    page.click("details.jsscripts-limits summary")
    page.fill("input[name=limit_output_bytes]", str(10 * 1024 * 1024))
    page.click("form.jsscripts-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/scripts/[0-9a-f-]{36}$"))

    page.click("#jsscripts-run-panel button[type=submit]")
    page.wait_for_selector("#jsscripts-run-panel >> text=more bytes not shown")
    shown = page.inner_text("#jsscripts-run-panel pre.jsscripts-output")
    assert shown.startswith('[\n  {\n    "i": 0,\n    "text": "row 0 ж xxx')
    assert len(shown) <= 64 * 1024 + 1
    link = page.locator("#jsscripts-run-panel a:has-text('Download the whole output')")
    execution_id = re.search(r"/executions/([0-9a-f-]{36})/output", link.get_attribute("href"))[1]
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"browser_big_output-{execution_id}-output.json"
    saved = tmp_path / "output.json"
    download.save_as(saved)
    data = saved.read_bytes()
    with sqlite3.connect(instance / "example.db") as conn:
        (stored,) = conn.execute(
            "SELECT CAST(output AS TEXT) FROM jsscripts_executions WHERE id = ?", (execution_id,)
        ).fetchone()
    assert data == stored.encode("utf-8") and len(data) > 2_500_000
    rows = json.loads(data)
    assert len(rows) == BIG_ROWS and rows[-1] == {
        "i": BIG_ROWS - 1,
        "text": f"row {BIG_ROWS - 1} ж " + "x" * 300,
    }

    page.click("#jsscripts-run-panel a:has-text('Details')")
    page.wait_for_url(re.compile(rf".*/executions/{execution_id}$"))
    more = int(re.search(r"(\d+) more bytes not shown", page.inner_text("main"))[1])
    assert len(data) - 64 * 1024 <= more < len(data)
    _shoot(page, "execution-big-output")
    page.context.close()
