"""Fixtures shared by the data-layer tests (``from data_fixtures import *`` in test modules).

PostgreSQL: an empty database ``jsscripts_test_<random>`` per need; afterwards it is emptied
(schema public dropped and made anew) for the next test of the process, and dropped when the
session ends. The server is ``JSSCRIPTS_TEST_PG`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); when it cannot be reached the
PostgreSQL cases are skipped (failed under ``CI=true``), never silently run on SQLite.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from flask_jsscripts.extension import JSScripts

__all__ = [
    "BACKENDS",
    "app_factory",
    "database_url",
    "host_app",
    "make_pg_database",
    "restore_logging",
]

PG_SERVER = os.environ.get("JSSCRIPTS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


def _admin_engine():
    return create_engine(PG_SERVER, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


# Databases a finished test handed back, emptied; CREATE/DROP DATABASE cost ~0.15 s a test.
_idle_databases: list[str] = []
_made_databases: set[str] = set()


def _create_database() -> str:
    name = f"jsscripts_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        message = f"PostgreSQL not reachable at {PG_SERVER}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI a missing server is an error, never a silent skip
        pytest.skip(message)
    finally:
        admin.dispose()
    _made_databases.add(name)
    return name


def _disconnect_all(admin, name: str) -> None:
    """End every session on ``name`` (a test's pools, a killed consumer's leftovers)."""
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )


def _url(name: str) -> str:
    return make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)


def _empty(name: str) -> None:
    """Make ``name`` as empty as a new database: nothing here lives outside schema public."""
    admin = _admin_engine()
    try:
        _disconnect_all(admin, name)
    finally:
        admin.dispose()
    engine = create_engine(_url(name), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public AUTHORIZATION pg_database_owner"))
            conn.execute(text("GRANT USAGE ON SCHEMA public TO PUBLIC"))
    finally:
        engine.dispose()


def make_pg_database() -> tuple[str, Callable[[], None]]:
    """An empty PostgreSQL database of its own; return its URL and a function that hands it
    back. Handed-back databases are emptied and given to later tests of this process."""
    name = _idle_databases.pop() if _idle_databases else _create_database()

    def release() -> None:
        try:
            _empty(name)
        except Exception:
            _drop(name)
            raise
        _idle_databases.append(name)

    return _url(name), release


def _drop(name: str) -> None:
    admin = _admin_engine()
    try:
        _disconnect_all(admin, name)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()
    _made_databases.discard(name)
    with contextlib.suppress(ValueError):
        _idle_databases.remove(name)


def drop_pg_databases() -> None:
    """Drop every database this process made (at the end of the session)."""
    for name in list(_made_databases):
        _drop(name)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> Iterator[str]:
    """A fresh, empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    url, release = make_pg_database()
    try:
        yield url
    finally:
        release()


def _sqlite_foreign_keys(engine) -> None:
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):  # ON DELETE CASCADE needs this on SQLite
            dbapi_conn.execute("PRAGMA foreign_keys=ON")


@pytest.fixture
def app_factory(database_url):
    """Build host apps (Flask + SQLAlchemy + JSScripts) on the fresh database."""
    made: list[tuple[Flask, SQLAlchemy]] = []

    def make(
        *, with_extension: bool = True, config: dict | None = None, ext: JSScripts | None = None
    ):
        app = Flask(f"host_{len(made)}")
        # An in-process queue unless a test asks for another: nothing lands in a shared file.
        config = {"JSSCRIPTS_HUEY_URL": "memory://", **(config or {})}
        app.config.update(
            SQLALCHEMY_DATABASE_URI=database_url, SECRET_KEY="test", TESTING=True, **config
        )
        db = SQLAlchemy()
        db.init_app(app)
        if with_extension:
            ext = ext or JSScripts()
            ext.init_app(app, db=db)
        with app.app_context():
            _sqlite_foreign_keys(db.engine)
        made.append((app, db))
        return app, db, ext

    yield make
    for app, db in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def host_app(app_factory, rt):
    """(app, db, ext) of a host whose checker allows everything, on the shared runtime, with
    the tables created, inside an app context."""
    ext = JSScripts(runtime=rt)
    ext.permission_checker(lambda user, perm: True)
    app, db, _ = app_factory(ext=ext)
    with app.app_context():
        db.create_all()
        yield app, db, ext
        db.session.remove()


@pytest.fixture
def restore_logging():
    """Alembic's env.py runs logging.fileConfig, which disables existing loggers: undo it."""
    yield
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            logger.disabled = False
