"""The example admin served by a real ``flask run`` process, and Debian's Chromium driven by
Playwright, for the browser tests (``tests/test_browser*.py``).

Each server gets its own instance folder (its SQLite database), migrated and seeded like
``./dev example``; ``env`` adds settings (the example app reads ``JSSCRIPTS_*`` keys from the
environment).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from parallel import free_port
from polling import wait_until

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def example_server(
    instance: Path, env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[str]:
    """The example admin on ``port`` (a free one by default) of 127.0.0.1; yields its base
    URL. The server's output goes to ``instance/server.log``."""
    environ = {
        **os.environ,
        "EXAMPLE_INSTANCE_PATH": str(instance),
        "FLASK_APP": "example_app.app:create_app",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    flask = [sys.executable, "-m", "flask"]
    for step in (["db", "upgrade", "heads"], ["seed"]):
        subprocess.run(flask + step, cwd=ROOT, env=environ, check=True, capture_output=True)
    port = port or free_port()
    log = open(instance / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        flask + ["run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
        cwd=ROOT,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def answering_or_gone() -> bool:
        if proc.poll() is not None:
            return True
        try:
            urllib.request.urlopen(base + "/login", timeout=2)
        except OSError:
            return False
        return True

    try:
        if not wait_until(answering_or_gone, 60, interval=0.1) or proc.poll() is not None:
            proc.kill()
            raise RuntimeError((instance / "server.log").read_text())
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def new_page(browser: Any, width: int = 1280) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def login(page: Any, server: str, email: str) -> None:
    page.goto(server + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/.*"))
