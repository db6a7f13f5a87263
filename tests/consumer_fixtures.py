"""A real stack for the async tests: a database, a queue, and consumer processes.

``stack`` is parametrised: SQLite file + SqliteHuey, and PostgreSQL + Redis (the machine's
servers; Redis database 13, 11 for a second xdist worker, flushed per test). Consumers are
``flask jsscripts worker`` processes started from ``tests/consumer_app.py``; the test process
builds the same app to publish events and read the outcome.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from data_fixtures import make_pg_database
from parallel import free_port, redis_url
from polling import wait_for

from flask_jsscripts import tenancy
from flask_jsscripts.services import scripts
from flask_jsscripts.services.validation import ScriptInput

__all__ = ["Stack", "stack", "wait_for", "free_port", "RedisServer"]

TESTS = Path(__file__).parent
REDIS_URL = redis_url("JSSCRIPTS_TEST_REDIS", "redis://127.0.0.1:6379/13,redis://127.0.0.1:6379/11")
TENANT = "acme"


class Stack:
    def __init__(self, backend: str, db_url: str, huey_url: str, tmp: Path, config: dict):
        self.backend = backend
        self.env = {
            **os.environ,
            "JSSCRIPTS_TEST_DB": db_url,
            "JSSCRIPTS_TEST_HUEY": huey_url,
            "JSSCRIPTS_TEST_CONFIG": json.dumps(config),
            "JSSCRIPTS_TEST_INSTANCE": str(tmp / "instance"),
            "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
            "FLASK_APP": "consumer_app:create_app",
        }
        self.logs = tmp
        self.consumers: list[subprocess.Popen] = []
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)  # the test process builds the very same app
        try:
            import consumer_app

            self.app = consumer_app.create_app()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        self.state = self.app.extensions["jsscripts"]
        self.db = self.state.db
        self.ext = self.state.extension
        with self.app.app_context():
            self.db.create_all()

    @property
    def session(self):
        return self.db.session

    def create_script(self, name: str, source: str, tenant: str = TENANT, **fields: Any):
        fields.setdefault("type", "event")
        fields.setdefault("status", "active")
        with self.app.app_context(), tenancy.tenant_scope(tenant):
            saved = scripts.create_script(
                self.session,
                ScriptInput(name=name, source=source, **fields),
                config=self.app.config,
                runtime=self.state.runtime,
                actor="test",
            )
            return saved.script.id

    def publish(self, events: list[tuple[str, Any]], tenant: str = TENANT) -> list[str]:
        """Publish in one host transaction, committed."""
        with self.app.app_context(), tenancy.tenant_scope(tenant):
            rows = [self.ext.publish(event_type, payload) for event_type, payload in events]
            self.session.commit()
            return [row.id for row in rows]

    def query(self, fn: Callable[[Any], Any]) -> Any:
        """``fn(session)`` in a fresh app context, across all tenants."""
        with self.app.app_context(), tenancy.all_tenants():
            try:
                return fn(self.session)
            finally:
                self.session.remove()

    def start_consumer(self, *args: str, name: str = "consumer") -> subprocess.Popen:
        log = open(self.logs / f"{name}-{len(self.consumers)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "jsscripts", "worker", "-w", "2", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.consumers.append(proc)
        return proc

    def stop_consumer(self, proc: subprocess.Popen, sig: int = signal.SIGINT) -> None:
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def consumer_output(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))

    def close(self) -> None:
        for proc in self.consumers:
            self.stop_consumer(proc)
        with self.app.app_context():
            self.session.remove()
            self.db.engine.dispose()
        self.state.close_runtime(0)


def _flush_redis(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis not reachable at {url}: {exc}")
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    finally:
        client.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def stack(request, tmp_path) -> Iterator[Callable[..., Stack]]:
    """``stack(**config)`` builds the stack once per test, with JSSCRIPTS_* overrides."""
    made: list[Stack] = []
    drops: list[Callable[[], None]] = []

    def make(huey_url: str | None = None, **config: Any) -> Stack:
        if request.param == "sqlite":
            db_url = f"sqlite:///{tmp_path / 'app.db'}"
            huey = huey_url or f"sqlite:///{tmp_path / 'huey.sqlite3'}"
        else:
            db_url, drop = make_pg_database()
            drops.append(drop)
            huey = huey_url or REDIS_URL
            if huey == REDIS_URL:
                _flush_redis(huey)
        made.append(Stack(request.param, db_url, huey, tmp_path, config))
        return made[-1]

    yield make
    for item in made:
        item.close()
    for drop in drops:
        drop()


class RedisServer:
    """A private redis-server this test may stop and start (the machine's stays up)."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._ping, 10, "the private redis-server")

    def _ping(self) -> bool:
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


PG_BIN = Path("/usr/lib/postgresql")
# Trust authentication ignores it; it is in the URL so that tests can check it never leaks.
PASSWORD = "s3cret-pw-never-shown"


def _pg_tool(name: str) -> str | None:
    found = sorted(PG_BIN.glob(f"*/bin/{name}"))
    return str(found[-1]) if found else shutil.which(name)


class PostgresServer:
    """A throw-away cluster owned by the ``postgres`` user, on a free port."""

    def __init__(self) -> None:
        initdb, self.pg_ctl = _pg_tool("initdb"), _pg_tool("pg_ctl")
        if not initdb or not self.pg_ctl or shutil.which("runuser") is None:
            pytest.skip("initdb/pg_ctl/runuser not available")
        # /tmp itself: pytest's tmp_path sits under a root-only directory the server cannot enter.
        self.root = Path(tempfile.mkdtemp(prefix="jsscripts-pg-", dir="/tmp"))
        shutil.chown(self.root, user="postgres")
        self.data = self.root / "data"
        self.port = free_port()
        self._as_postgres(initdb, "-D", str(self.data), "--auth=trust", "-U", "postgres")

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        log = str(self.root / "server.log")
        self._as_postgres(
            self.pg_ctl, "start", "-w", "-D", str(self.data), "-l", log, "-o", options
        )

    def stop(self) -> None:
        self._as_postgres(self.pg_ctl, "stop", "-w", "-m", "fast", "-D", str(self.data))

    def pids(self) -> list[int]:
        """The postmaster and its children (for memory readings)."""
        try:
            main = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        listed = subprocess.run(["pgrep", "-P", str(main)], capture_output=True, text=True)
        return [main, *map(int, listed.stdout.split())]

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
