# ruff: noqa: E501  (the test pages below are embedded HTML/JavaScript)
"""Manual check of the browser assets in headless Chromium (not part of the pytest suite).

    python tests/browser_assets_check.py [--vs DIR] [--chromium PATH] [--width 1200]

Serves the vendored Monaco (``static/monaco/vs``, or ``--vs DIR``, e.g. a full ``min/vs``
to find out which files a real load requests), ``flask_jsscripts/static/jsscripts`` and
two test pages on 127.0.0.1, opens them in headless Chromium and checks: the editor
mounts, ``ctx.``/``sdk.`` complete (and ``window``/``fetch``/``setTimeout`` do not), the
error marker, value sync on submit and through an htmx post, mounting after an htmx swap,
read-only viewers, both diff sources, and the fallback when Monaco is missing. Prints every
file requested under ``/vs/`` and exits non-zero on a failed check or a 404.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "flask_jsscripts" / "static" / "jsscripts"

ORIGINAL = "function main(ctx) {\n  return 1;\n}\n"
MODIFIED = "function main(ctx) {\n  sdk.log.info('hi');\n  return 2;\n}\n"

CHECK_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>jsscripts check</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script src="/jsscripts/vendor/htmx.min.js"></script>
</head><body>
<form id="form" method="post" action="/echo" hx-post="/echo" hx-target="#result">
  <label for="source">Source</label>
  <textarea id="source" name="source" rows="12" required data-jsscripts-editor
    data-monaco-base="/vs" data-dts-url="/jsscripts/sdk.d.ts"
    data-error-line="2" data-error-column="10" data-error-message="ReferenceError: x is not defined"
  >function main(ctx) {
  return x + ctx.input;
}
</textarea>
  <button type="submit">Save</button>
</form>
<div id="result"></div>
<textarea id="viewer" data-jsscripts-editor data-readonly data-monaco-base="/vs"
  data-dts-url="/jsscripts/sdk.d.ts">const a = 1;</textarea>
<div id="diff" data-jsscripts-diff data-monaco-base="/vs">
  <template data-side="original">__ORIGINAL__</template>
  <template data-modified>__MODIFIED__</template>
  <pre>fallback</pre>
</div>
<div id="diff2" data-jsscripts-diff data-monaco-base="/vs"
  data-original-url="/diff/original.js" data-modified-url="/diff/modified.js"></div>
<script src="/jsscripts/editor.js"></script>
<script>
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(fn, ms) {
  const end = Date.now() + (ms || 15000);
  while (Date.now() < end) { const v = await fn(); if (v) return v; await sleep(100); }
  return null;
}
async function run() {
  const r = {ok: {}, info: {}, errors: []};
  const t0 = performance.now();
  r.ok.ready = (await window.jsscriptsEditor.ready) === true;
  r.info.readyMs = Math.round(performance.now() - t0);
  const ta = document.getElementById('source');
  const ed = window.jsscriptsEditor.get('source');
  r.ok.editor = !!ed;
  r.ok.textareaHidden = getComputedStyle(ta).display === 'none' && ta.form.id === 'form';
  const markers = monaco.editor.getModelMarkers({owner: 'jsscripts'});
  r.ok.marker = markers.length === 1 && markers[0].startLineNumber === 2 &&
    markers[0].startColumn === 10 && markers[0].message.indexOf('ReferenceError') === 0;
  r.ok.glyph = !!(await until(() => document.querySelector('.jsscripts-error-glyph'), 3000));
  r.info.minimap = ed.getOption(monaco.editor.EditorOption.minimap).enabled;

  // completions straight from the TypeScript worker
  const getWorker = await monaco.languages.typescript.getJavaScriptWorker();
  async function complete(text) {
    const offset = text.indexOf('|');
    const model = monaco.editor.createModel(text.replace('|', ''), 'javascript');
    const worker = await getWorker(model.uri);
    const info = await worker.getCompletionsAtPosition(model.uri.toString(), offset);
    let doc = '';
    if (info && info.entries.length) {
      const d = await worker.getCompletionEntryDetails(model.uri.toString(), offset, info.entries[0].name);
      doc = d && d.documentation ? d.documentation.map((p) => p.text).join('') : '';
    }
    model.dispose();
    return {names: info ? info.entries.map((e) => e.name) : [], doc};
  }
  const has = (list, names) => names.every((n) => list.indexOf(n) >= 0);
  const sdkC = await complete('sdk.|');
  r.ok.sdk = has(sdkC.names, ['http', 'kv', 'log', 'events', 'host']);
  r.ok.sdkDoc = sdkC.doc.length > 0;
  r.ok.kv = has((await complete('sdk.kv.|')).names, ['get', 'set', 'delete', 'incr']);
  r.ok.http = has((await complete('sdk.http.|')).names, ['get', 'post', 'put', 'patch', 'delete']);
  r.ok.ctxTop = has((await complete('ctx.|')).names, ['tenant', 'user', 'script', 'execution', 'input', 'event', 'request']);
  r.ok.ctxJsdoc = has((await complete('/** @param {ScriptContext} ctx */\\nfunction main(ctx) {\\n  ctx.|\\n}')).names, ['tenant', 'execution']);
  r.info.ctxPlainMain = has((await complete('function main(ctx) {\\n  ctx.|\\n}')).names, ['tenant']);
  r.info.ctxTypeMain = has((await complete('/** @type {ScriptMain} */\\nfunction main(ctx) {\\n  ctx.|\\n}')).names, ['tenant']);
  r.ok.trigger = has((await complete('ctx.execution.|')).names, ['trigger', 'attempt']);
  const globals = (await complete('\\n|')).names;
  r.ok.globals = has(globals, ['sdk', 'ctx', 'console', 'JSON', 'Promise']);
  r.ok.noDom = ['window', 'document', 'fetch', 'setTimeout', 'require', 'XMLHttpRequest'].filter((n) => globals.indexOf(n) >= 0).length === 0;

  // the suggest widget and a hover, as a user sees them (loads fonts and lazy languages)
  ed.focus();
  ed.setPosition({lineNumber: 3, column: 1});
  ed.trigger('check', 'type', {text: 'sdk.'});
  r.ok.markerClearedOnEdit = monaco.editor.getModelMarkers({owner: 'jsscripts'}).length === 0;
  ed.trigger('check', 'editor.action.triggerSuggest', {});
  const rows = await until(() => {
    const labels = Array.from(document.querySelectorAll('.suggest-widget .monaco-list-row')).map((e) => e.getAttribute('aria-label') || e.textContent);
    return labels.some((l) => /\\bkv\\b/.test(l)) ? labels : null;
  }, 10000);
  r.ok.suggestWidget = !!rows;
  ed.trigger('check', 'toggleSuggestionDetails', {});
  await sleep(800);
  ed.trigger('check', 'hideSuggestWidget', {});
  ed.setPosition({lineNumber: 3, column: 2});
  ed.trigger('check', 'editor.action.showHover', {});
  r.ok.hover = !!(await until(() => {
    const h = document.querySelector('.monaco-hover-content');
    return h && /sdk/.test(h.textContent) ? h : null;
  }, 10000));
  r.ok.codiconFont = await until(() => document.fonts.check('12px codicon') &&
    Array.from(document.fonts).some((f) => f.family.indexOf('codicon') >= 0 && f.status === 'loaded'), 5000) || false;
  ed.trigger('check', 'editor.action.quickCommand', {});
  await sleep(500);
  ed.trigger('check', 'actions.find', {});
  await sleep(500);

  // value sync: plain submit (prevented here), then an htmx post, then a swapped-in editor
  ed.setValue('const posted = 42;');
  let submitted = null;
  ta.form.addEventListener('submit', (e) => { submitted = ta.value; e.preventDefault(); }, {once: true});
  ta.form.requestSubmit();
  r.ok.submitSync = submitted === 'const posted = 42;';
  r.ok.htmxPost = !!(await until(() => document.querySelector('#result pre')));
  r.info.htmxPosted = r.ok.htmxPost ? document.querySelector('#result pre').textContent : null;
  r.ok.htmxPost = r.info.htmxPosted === 'const posted = 42;';
  await until(() => document.getElementById('swapped'));
  r.ok.swapReady = (await window.jsscriptsEditor.ready) === true && !!window.jsscriptsEditor.get('swapped');

  // read-only viewer and diffs
  const viewer = window.jsscriptsEditor.get('viewer');
  r.ok.readonly = !!viewer && viewer.getOption(monaco.editor.EditorOption.readOnly) === true;
  for (const id of ['diff', 'diff2']) {
    const d = window.jsscriptsEditor.get(id);
    const changes = d && await until(() => d.getLineChanges() && d.getLineChanges().length ? d.getLineChanges() : null, 10000);
    r.ok[id] = !!changes && d.getModel().modified.getValue().indexOf('sdk.log.info') >= 0;
  }
  const diffEditor = window.jsscriptsEditor.get('diff');
  r.info.diffSideBySide = diffEditor.getOriginalEditor().getLayoutInfo().width > 0 &&
    diffEditor.getModifiedEditor().getLayoutInfo().width < document.getElementById('diff').clientWidth * 0.8;
  r.ok.diffFallbackHidden = getComputedStyle(document.querySelector('#diff pre')).display === 'none';
  r.info.width = window.innerWidth;
  return r;
}
window.addEventListener('error', (e) => (window.__errors = (window.__errors || []).concat(String(e.message))));
run().catch((e) => ({ok: {run: false}, info: {}, errors: [String(e && e.stack || e)]})).then((r) => {
  r.errors = (r.errors || []).concat(window.__errors || []);
  return fetch('/report', {method: 'POST', body: JSON.stringify(r)});
}).then(() => { location.href = '/fail.html'; });
</script></body></html>
""".replace("__ORIGINAL__", html.escape(ORIGINAL)).replace("__MODIFIED__", html.escape(MODIFIED))

FAIL_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>fallback check</title>
<script>window.__consoleErrors = 0; const e = console.error;
console.error = function () { window.__consoleErrors++; return e.apply(console, arguments); };</script>
</head><body>
<form><textarea id="source" name="source" data-jsscripts-editor data-monaco-base="/missing/vs"
 data-dts-url="/jsscripts/sdk.d.ts">const a = 1;</textarea>
<textarea id="other" name="other" data-jsscripts-editor data-monaco-base="/missing/vs">2</textarea></form>
<script src="/jsscripts/editor.js"></script>
<script>
window.jsscriptsEditor.ready.then((ok) => {
  const ta = document.getElementById('source');
  const r = {ok: {fallbackReadyFalse: ok === false,
    fallbackVisible: getComputedStyle(ta).display !== 'none' && !ta.hidden,
    fallbackLoggedOnce: window.__consoleErrors === 1,
    fallbackState: ta.getAttribute('data-jsscripts-state') === 'failed'}, info: {}, errors: []};
  return fetch('/report', {method: 'POST', body: JSON.stringify(r)});
});
</script></body></html>
"""


def make_handler(vs_dir: Path, requests: list, reports: list, done: threading.Event):
    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - signature of the base class
            pass

        def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def translate_path(self, path):
            path = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
            for prefix, base in (("/vs/", vs_dir), ("/jsscripts/", ASSETS)):
                if path.startswith(prefix):
                    target = (base / path[len(prefix) :]).resolve()
                    if base.resolve() in target.parents:
                        return str(target)
            return str(Path(tempfile.gettempdir()) / "jsscripts-check-nothing-here")

        def log_request(self, code="-", size="-"):  # called once per response
            path = urllib.parse.urlsplit(self.path).path
            requests.append((path, int(getattr(code, "value", code))))

        def do_GET(self):  # noqa: N802
            path = urllib.parse.urlsplit(self.path).path
            pages = {
                "/check.html": CHECK_PAGE,
                "/fail.html": FAIL_PAGE,
                "/diff/original.js": ORIGINAL,
                "/diff/modified.js": MODIFIED,
            }
            if path in pages:
                kind = "text/html" if path.endswith(".html") else "text/javascript"
                self._send(pages[path].encode(), kind + "; charset=utf-8")
                return
            if path == "/favicon.ico":
                self._send(b"", "image/x-icon", 204)
                return
            super().do_GET()

        def do_POST(self):  # noqa: N802
            path = urllib.parse.urlsplit(self.path).path
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if path == "/report":
                reports.append(json.loads(body))
                self._send(b"{}", "application/json")
                if len(reports) >= 2:
                    done.set()
                return
            if path == "/echo":
                source = urllib.parse.parse_qs(body.decode()).get("source", [""])[0]
                fragment = (
                    f"<pre>{html.escape(source)}</pre>"
                    '<textarea id="swapped" name="swapped" data-jsscripts-editor '
                    'data-monaco-base="/vs" data-dts-url="/jsscripts/sdk.d.ts">'
                    f"{html.escape(source)}</textarea>"
                )
                self._send(fragment.encode(), "text/html; charset=utf-8")
                return
            self.send_error(HTTPStatus.NOT_FOUND)

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vs", type=Path, default=ROOT / "static" / "monaco" / "vs")
    parser.add_argument("--chromium", default=None)
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--timeout", type=float, default=90)
    args = parser.parse_args()
    chromium = args.chromium or next(
        (p for p in ("chromium", "chromium-browser", "google-chrome") if shutil.which(p)), None
    )
    if not chromium:
        print("no Chromium found (apt-get install -y chromium)", file=sys.stderr)
        return 2

    requests: list[tuple[str, int]] = []
    reports: list[dict] = []
    done = threading.Event()
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), make_handler(args.vs.resolve(), requests, reports, done)
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/check.html"
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--window-size={args.width},900",
                url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the renderers end with it
        )
        try:
            done.wait(args.timeout)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(browser.pid, signal.SIGTERM)
            try:
                browser.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(browser.pid, signal.SIGKILL)
    server.shutdown()

    failed = []
    for report in reports:
        for name, ok in report.get("ok", {}).items():
            print(f"{'ok  ' if ok else 'FAIL'} {name}")
            if not ok:
                failed.append(name)
        for name, value in report.get("info", {}).items():
            print(f"info {name} = {value}")
        for error in report.get("errors", []):
            print(f"page error: {error}")
            failed.append("page error")
    if len(reports) < 2:
        failed.append(f"only {len(reports)} of 2 reports arrived")
    print("\nrequested under /vs/ (first request, status):")
    seen: dict[str, int] = {}
    for path, status in requests:
        if path.startswith("/vs/"):
            seen.setdefault(path, status)
    for path, status in sorted(seen.items()):
        print(f"  {status} {path[len('/vs/') :]}")
    missing = [p for p, s in requests if s == 404 and not p.startswith("/missing/")]
    if missing:
        failed.append(f"404: {sorted(set(missing))}")
    print("\n" + ("FAILED: " + ", ".join(failed) if failed else "all checks passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
