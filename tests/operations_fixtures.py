"""The example admin under real gunicorn, for the metrics and shutdown tests.

:class:`ExampleSite` prepares an instance folder (SQLite schema, demo data, the test's own
scripts) in this process, then serves it with ``gunicorn -c deploy/gunicorn.conf.py`` on
a free port with ``PROMETHEUS_MULTIPROC_DIR`` in the test's tmp dir. :class:`Browser` signs in
like a person (CSRF token from the page) and presses Run.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from parallel import free_port
from polling import wait_for

from flask_jsscripts import tenancy
from flask_jsscripts.services import scripts
from flask_jsscripts.services.validation import ScriptInput

ROOT = Path(__file__).resolve().parent.parent
WORKER_MODULE = "flask_jsscripts.runtime.worker"


def sandbox_workers_of(parents: set[int]) -> set[int]:
    """Pids of running sandbox worker processes whose parent is one of ``parents``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(re.search(r"^PPid:\s+(\d+)", status, re.M).group(1))
        if ppid in parents and WORKER_MODULE in cmdline:
            found.add(int(entry.name))
    return found


def running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = re.search(r"^State:\s+(\S)", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return False
    return state is not None and state.group(1) != "Z"


def children_of(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(p) for p in text.split()}


class ExampleSite:
    """The example admin's instance folder plus a gunicorn serving it."""

    def __init__(self, tmp: Path, **settings: Any) -> None:
        self.tmp = tmp
        self.instance = tmp / "instance"
        self.metrics_dir = tmp / "prometheus"
        self.metrics_dir.mkdir()
        self.port = free_port()
        self.settings = {"JSSCRIPTS_POOL_SIZE": 1, **settings}
        self.proc: subprocess.Popen | None = None
        self.log_path = tmp / "gunicorn.log"
        from example_app.app import create_app
        from example_app.extensions import db

        self.db = db
        self.app = create_app(
            {
                "INSTANCE_PATH": str(self.instance),
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{self.instance}/example.db",
                **self.settings,
            }
        )
        with self.app.app_context():
            db.create_all()
        result = self.app.test_cli_runner().invoke(args=["seed"])
        assert result.exit_code == 0, result.output

    def create_script(self, name: str, source: str) -> str:
        state = self.app.extensions["jsscripts"]
        with self.app.app_context(), tenancy.tenant_scope("acme"):
            saved = scripts.create_script(
                self.db.session,
                ScriptInput(name=name, source=source, type="manual", status="active"),
                config=self.app.config,
                runtime=state.runtime,
                actor="test",
            )
            return saved.script.id

    def execution(self, execution_id: str) -> dict[str, Any]:
        from flask_jsscripts.models import Execution

        with self.app.app_context(), tenancy.all_tenants():
            try:
                row = self.db.session.get(Execution, execution_id)
                return {"status": row.status, "output": row.output, "end_reason": row.end_reason}
            finally:
                self.db.session.remove()

    def running_execution(self, script_id: str) -> str | None:
        """The id of a run of this script in progress, if any."""
        from sqlalchemy import select

        from flask_jsscripts.models import Execution

        with self.app.app_context(), tenancy.all_tenants():
            try:
                return self.db.session.scalar(
                    select(Execution.id).where(
                        Execution.script_id == script_id, Execution.status == "running"
                    )
                )
            finally:
                self.db.session.remove()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, workers: int = 2) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR")
        }
        env.update(
            {
                "EXAMPLE_INSTANCE_PATH": str(self.instance),
                "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
                "WEB_CONCURRENCY": str(workers),
                **{key: json.dumps(value) for key, value in self.settings.items()},
            }
        )
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "example_app.app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: len(self.worker_pids()) == workers, 30, "the gunicorn workers")
        wait_for(self._live, 30, "gunicorn to answer")

    def _live(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.output()}")
        try:
            with urllib.request.urlopen(f"{self.url}/health/live", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def worker_pids(self) -> set[int]:
        return children_of(self.proc.pid) if self.proc is not None else set()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def scrape(self) -> str:
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=10) as response:
            return response.read().decode()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        state = self.app.extensions["jsscripts"]
        state.close_runtime(0)
        with self.app.app_context():
            self.db.engine.dispose()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """A signed-in user of the example admin (session cookie and CSRF token)."""

    def __init__(self, site: ExampleSite, email: str = "admin@acme.test") -> None:
        self.site = site
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        page = self.opener.open(f"{site.url}/login", timeout=10).read().decode()
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        form = {"email": email, "password": "demo", "csrf_token": self.csrf}
        try:
            self.opener.open(f"{site.url}/login", urllib.parse.urlencode(form).encode(), 10)
        except urllib.error.HTTPError as exc:  # the 302 after signing in, not followed
            assert exc.code == 302, exc.code
        assert any(c.name == "session" for c in self.jar)

    def post(self, path: str, form: dict[str, str], timeout: float = 60) -> tuple:
        """One POST on its own connection (safe from several threads at once)."""
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        conn = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=timeout)
        try:
            conn.request(
                "POST",
                path,
                body=urllib.parse.urlencode(form),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie,
                    "X-CSRFToken": self.csrf,
                    "Referer": self.site.url + "/",
                },
            )
            response = conn.getresponse()
            return response.status, dict(response.headers), response.read()
        finally:
            conn.close()

    def run(self, script_id: str, run_input: Any = None, timeout: float = 60) -> str:
        """Press Run; returns the execution id the page redirects to."""
        form = {"input": json.dumps(run_input) if run_input is not None else ""}
        status, headers, body = self.post(f"/admin/scripts/{script_id}/run", form, timeout=timeout)
        assert status == 303, (status, body[:500])
        return headers["Location"].rstrip("/").rsplit("/", 1)[-1]
