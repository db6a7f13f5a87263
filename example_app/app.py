"""The example host application.

For now it is a one-page playground for the sandboxed runtime: type a script, run it, see the
result, console and error. It grows into a full host admin (login, tenants, roles) that mounts
the extension as the UI work lands.
"""

from __future__ import annotations

import json
import threading

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFProtect

from flask_jsscripts.runtime import Limits, Runtime

SAMPLE = """// Modern JavaScript works: it is transpiled once, then cached.
const greet = (name) => `Hello, ${name}!`;

function main(ctx) {
  const {name = "world"} = ctx.input || {};
  console.log("running with", ctx.input);
  return {greeting: greet(name), squares: [1, 2, 3].map((n) => n ** 2)};
}
"""

_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def runtime() -> Runtime:
    """One worker pool per web process, started on first use."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = Runtime(workers=2)
        return _runtime


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="example-only-change-me", **(config or {}))
    CSRFProtect(app)

    @app.route("/", methods=["GET", "POST"])
    def playground():
        source = request.form.get("source", SAMPLE)
        raw_input = request.form.get("input", '{"name": "Acme"}')
        result, error = None, None
        if request.method == "POST":
            try:
                data = json.loads(raw_input) if raw_input.strip() else None
            except ValueError as exc:
                error = f"Input is not valid JSON: {exc}"
            else:
                result = runtime().run(source, input=data, limits=Limits(timeout=5.0))
        return render_template(
            "index.html",
            source=source,
            input=raw_input,
            result=result,
            error=error,
            dumps=lambda v: json.dumps(v, indent=2, ensure_ascii=False),
        )

    return app
