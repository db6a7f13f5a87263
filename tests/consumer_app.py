"""A host app for the tests that run a real Huey consumer in another process.

The test process and ``flask --app consumer_app:create_app jsscripts worker`` build the same
app from the environment: ``JSSCRIPTS_TEST_DB`` (database URL), ``JSSCRIPTS_TEST_HUEY`` (queue
URL) and ``JSSCRIPTS_TEST_CONFIG`` (JSON of further JSSCRIPTS_* settings).
"""

from __future__ import annotations

import json
import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event

from flask_jsscripts import JSScripts


def create_app() -> Flask:
    app = Flask("consumer_app", instance_path=os.environ.get("JSSCRIPTS_TEST_INSTANCE"))
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ["JSSCRIPTS_TEST_DB"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10}
        if os.environ["JSSCRIPTS_TEST_DB"].startswith("postgresql")
        else {},
        SECRET_KEY="test",
        JSSCRIPTS_HUEY_URL=os.environ["JSSCRIPTS_TEST_HUEY"],
        JSSCRIPTS_POOL_SIZE=2,
    )
    app.config.update(json.loads(os.environ.get("JSSCRIPTS_TEST_CONFIG", "{}")))
    db = SQLAlchemy()
    db.init_app(app)
    ext = JSScripts()
    ext.init_app(app, db=db)
    ext.permission_checker(lambda user, permission: True)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":

            @event.listens_for(db.engine, "connect")
            def _pragmas(dbapi_conn, _record):
                # Two processes write this file: wait for the lock instead of failing at once.
                dbapi_conn.execute("PRAGMA busy_timeout=30000")
                dbapi_conn.execute("PRAGMA foreign_keys=ON")
                # What the README recommends for SQLite beside a consumer: readers never
                # wait for the writer, and commits reach the OS at once but are flushed to
                # disk at checkpoints (a power cut may lose the last ones, a crash cannot).
                dbapi_conn.execute("PRAGMA journal_mode=WAL")
                dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    return app
