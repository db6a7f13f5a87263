"""Fixtures shared by the data-layer tests (``from data_fixtures import *`` in test modules).

PostgreSQL: a fresh database ``jsscripts_test_<random>`` per need, dropped afterwards. The
server is ``JSSCRIPTS_TEST_PG`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``);
when it cannot be reached the PostgreSQL cases are skipped (failed under ``CI=true``), never
silently run on SQLite.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

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


def make_pg_database() -> tuple[str, callable]:
    """Create a fresh PostgreSQL database; return its URL and a function that drops it."""
    name = f"jsscripts_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        admin.dispose()
        message = f"PostgreSQL not reachable at {PG_SERVER}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI a missing server is an error, never a silent skip
        pytest.skip(message)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    url = make_url(PG_SERVER).set(database=name)
    return url.render_as_string(hide_password=False), drop


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> Iterator[str]:
    """A fresh, empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    url, drop = make_pg_database()
    try:
        yield url
    finally:
        drop()


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
