"""``/health/live`` and ``/health/ready`` against a private PostgreSQL and a private Redis
that these tests really stop and start again (the machine's own servers are never touched).

The PostgreSQL cluster is made with ``initdb`` as the ``postgres`` user in a directory of its
own under /tmp, and served by ``pg_ctl`` on a free port; Redis is ``RedisServer`` from the
consumer fixtures. The pool check is failed the realistic way: every sandbox worker busy.
"""

from __future__ import annotations

import threading
import time

import pytest
from consumer_fixtures import PASSWORD, PostgresServer, RedisServer, wait_for
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import create_engine, text

from flask_jsscripts import JSScripts
from flask_jsscripts.web import health


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    pg = PostgresServer()
    redis_server = RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        pg.start()
        redis_server.start()
        yield pg, redis_server
    finally:
        redis_server.stop()
        pg.destroy()


@pytest.fixture
def up(servers):
    """Both servers running at the start and at the end of each test."""
    pg, redis_server = servers
    yield pg, redis_server
    if redis_server.proc is None:
        redis_server.start()
    if not _pg_answers(pg):
        pg.start()


def _pg_answers(pg: PostgresServer) -> bool:
    engine = create_engine(pg.url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1
    except Exception:  # noqa: BLE001 - down is an answer too
        return False
    finally:
        engine.dispose()


def make_app(db_url: str, huey_url: str, **config) -> Flask:
    app = Flask("health_host")
    app.config.update(
        SQLALCHEMY_DATABASE_URI=db_url,
        SECRET_KEY="test",
        JSSCRIPTS_HUEY_URL=huey_url,
        JSSCRIPTS_POOL_SIZE=1,
        **config,
    )
    db = SQLAlchemy()
    db.init_app(app)
    JSScripts(app, db=db)  # no permission checker: health must not need one
    return app


@pytest.fixture
def app_factory():
    made: list[Flask] = []

    def make(*args, **kwargs) -> Flask:
        made.append(make_app(*args, **kwargs))
        return made[-1]

    yield make
    for app in made:
        app.extensions["jsscripts"].close_runtime(0)
        with app.app_context():
            app.extensions["jsscripts"].db.engine.dispose()


def ready(client):
    response = client.get("/health/ready")
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json(), response.get_data(as_text=True)


def test_ready_names_each_stopped_server_and_recovers(up, app_factory):
    pg, redis_server = up
    app = app_factory(pg.url, redis_server.url)
    client = app.test_client()

    status, body, _ = ready(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "queue": "ok",
        "pool": "ok",
    }
    assert body["checks"]["queue"]["backend"] == "redis"
    assert body["checks"]["pool"]["workers"] == 1

    # PostgreSQL down: only the database fails; the process is still alive.
    pg.stop()
    status, body, raw = ready(client)
    assert status == 503, body
    assert body["failing"] == ["database"]
    assert body["checks"]["database"]["status"] == "fail"
    assert body["checks"]["queue"]["status"] == "ok"
    assert body["checks"]["pool"]["status"] == "ok"
    for secret in (PASSWORD, str(pg.port), "127.0.0.1", "postgres", str(redis_server.port)):
        assert secret not in raw
    assert client.get("/health/live").status_code == 200

    # Back up: the pooled connections from before the restart do not fail the next probe.
    pg.start()
    status, body, _ = ready(client)
    assert status == 200, body

    # Redis down: only the queue fails.
    redis_server.stop()
    started = time.monotonic()
    status, body, raw = ready(client)
    assert status == 503, body
    assert body["failing"] == ["queue"]
    assert body["checks"]["database"]["status"] == "ok"
    assert time.monotonic() - started < health.CHECK_TIMEOUT + 2
    assert str(redis_server.port) not in raw

    # Both down: both named.
    pg.stop()
    status, body, _ = wait_for(
        lambda: (r := ready(client))[0] == 503 and len(r[1]["failing"]) == 2 and r,
        health.CHECK_TIMEOUT * 4,
        "both failures named",
    )
    assert body["failing"] == ["database", "queue"]
    assert client.get("/health/live").get_json() == {"status": "ok"}

    pg.start()
    redis_server.start()
    status, body = wait_for(
        lambda: (r := ready(client))[0] == 200 and r[:2],
        health.CHECK_TIMEOUT * 4,
        "ready again after both servers came back",
    )
    assert body["status"] == "ok"


def test_ready_fails_the_pool_while_every_sandbox_worker_is_busy(tmp_path, app_factory):
    """A pool that cannot run a trivial script within the check's deadline is not ready; a
    check still stuck is reported, not started again; the pool coming free recovers it."""
    app = app_factory(f"sqlite:///{tmp_path / 'app.db'}", f"sqlite:///{tmp_path / 'q.sqlite3'}")
    client = app.test_client()
    assert ready(client)[0] == 200
    runtime = app.extensions["jsscripts"].runtime
    long_run = threading.Thread(
        target=runtime.run,
        args=("var t = Date.now(); while (Date.now() - t < 5000) {}",),
    )
    long_run.start()
    wait_for(lambda: runtime.stats()["busy"] == 1, 10, "the long run to take the only worker")

    status, body, _ = ready(client)
    assert status == 503, body
    assert body["failing"] == ["pool"]
    assert "no answer within" in body["checks"]["pool"]["error"]
    assert body["checks"]["database"]["status"] == body["checks"]["queue"]["status"] == "ok"
    threads_before = threading.active_count()
    status, body, _ = ready(client)
    assert status == 503
    assert "previous check has not finished" in body["checks"]["pool"]["error"]
    assert threading.active_count() <= threads_before  # no second stuck probe thread

    long_run.join()
    status, body = wait_for(lambda: (r := ready(client))[0] == 200 and r[:2], 10, "ready")
    assert body["checks"]["pool"]["busy"] == 0


def test_live_and_ready_need_no_login_and_answer_json(tmp_path, app_factory):
    app = app_factory(f"sqlite:///{tmp_path / 'app.db'}", "memory://")
    client = app.test_client()
    live = client.get("/health/live")
    assert (live.status_code, live.get_json()) == (200, {"status": "ok"})
    assert live.mimetype == "application/json"
    status, body, _ = ready(client)
    assert status == 200 and body["checks"]["queue"]["backend"] == "memory"
    assert client.post("/health/ready").status_code == 405


def test_health_prefix_is_configurable_and_can_be_switched_off(tmp_path, app_factory):
    moved = app_factory(
        f"sqlite:///{tmp_path / 'a.db'}", "memory://", JSSCRIPTS_HEALTH_URL_PREFIX="/_ops"
    )
    assert moved.test_client().get("/_ops/live").status_code == 200
    assert moved.test_client().get("/health/live").status_code == 404
    off = app_factory(
        f"sqlite:///{tmp_path / 'b.db'}", "memory://", JSSCRIPTS_HEALTH_URL_PREFIX=None
    )
    assert off.test_client().get("/health/live").status_code == 404
    assert off.test_client().get("/health/ready").status_code == 404


def test_switched_off_extension_keeps_its_probes_and_skips_the_pool(tmp_path, app_factory):
    """Decided: flipping JSSCRIPTS_ENABLED must not fail a deployment's probes, so the health
    checks stay; the pool is reported as disabled and no sandbox is started for it."""
    app = app_factory(f"sqlite:///{tmp_path / 'app.db'}", "memory://", JSSCRIPTS_ENABLED=False)
    client = app.test_client()
    assert client.get("/health/live").status_code == 200
    status, body, _ = ready(client)
    assert status == 200, body
    assert body["checks"]["pool"] == {"status": "disabled"}
    assert body["checks"]["database"]["status"] == "ok"
    assert app.extensions["jsscripts"]._runtime is None  # no sandbox pool was started


def test_an_endpoint_answers_503_while_the_database_is_down(up, app_factory):
    """Found by the soak: a database restart made endpoint calls answer 500."""
    from endpoint_fixtures import add_http_script

    pg, redis_server = up
    app = app_factory(pg.url, redis_server.url)
    state = app.extensions["jsscripts"]
    state.extension.tenant_loader(lambda: "acme")
    with app.app_context():
        state.db.create_all()
    add_http_script(app, state.db, "acme", "ping", source="function main() { return {ok: true}; }")
    client = app.test_client()
    assert client.get("/api/scripts/echo").get_json() == {"ok": True}

    pg.stop()
    response = client.get("/api/scripts/echo")
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "5"
    assert "database" in response.get_json()["error"]
    assert PASSWORD not in response.get_data(as_text=True)

    pg.start()
    assert client.get("/api/scripts/echo").get_json() == {"ok": True}


def test_admin_pages_answer_503_while_the_database_is_down(up, app_factory):
    """Seen in the soak: during a database restart the admin pages answered 500."""
    from types import SimpleNamespace

    pg, redis_server = up
    app = app_factory(pg.url, redis_server.url)
    state = app.extensions["jsscripts"]
    state.extension.tenant_loader(lambda: "acme")
    state.extension.user_loader(lambda: SimpleNamespace(id="admin", is_authenticated=True))
    state.extension.permission_checker(lambda user, permission: True)
    with app.app_context():
        state.db.create_all()
    client = app.test_client()
    assert client.get("/scripts/").status_code == 200

    pg.stop()
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/scripts/", headers=headers)
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "5"
        assert "try again" in response.get_data(as_text=True)
        assert PASSWORD not in response.get_data(as_text=True)

    pg.start()
    assert client.get("/scripts/").status_code == 200
