"""The example host admin: ``create_app`` wires the host's extensions and mounts flask-jsscripts.

Run it with ``./dev example`` (migrations, demo data, server), or by hand:

    flask --app example_app.app:create_app db upgrade heads
    flask --app example_app.app:create_app seed
    flask --app example_app.app:create_app run
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from sqlalchemy import event

from flask_jsscripts.config import DEFAULTS as JSSCRIPTS_DEFAULTS

from . import integration  # noqa: F401 - registers the tenant loader, checker, host functions
from .extensions import babel, csrf, db, jsscripts, login_manager, metrics, migrate
from .models import User

HERE = Path(__file__).resolve().parent
LANGUAGES = {"en": "English", "ru": "Русский", "uz": "Oʻzbekcha"}
LANG_COOKIE = "lang"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """``config`` overrides everything; ``INSTANCE_PATH`` in it moves the instance folder
    (where the SQLite database lives by default)."""
    config = dict(config or {})
    instance_path = config.pop("INSTANCE_PATH", None) or os.environ.get(
        "EXAMPLE_INSTANCE_PATH", str(HERE / "instance")
    )
    app = Flask(__name__, instance_path=str(Path(instance_path).resolve()))
    os.makedirs(app.instance_path, exist_ok=True)
    database = Path(app.instance_path) / "example.db"
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{database}"
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("SECRET_KEY", "example-dev-only-change-me"),
        SQLALCHEMY_DATABASE_URI=database_url,
        # After a server restart, pooled connections are dead: test each one before use (a
        # SQLite file has no server, and the test would cost a statement per transaction).
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": not database_url.startswith("sqlite")},
        LANGUAGES=LANGUAGES,
        BABEL_DEFAULT_LOCALE="en",
        BABEL_DEFAULT_TIMEZONE="UTC",
        # The extension's UI lives inside this admin, in this admin's layout.
        JSSCRIPTS_URL_PREFIX="/admin/scripts",
        JSSCRIPTS_BASE_TEMPLATE="base.html",
        JSSCRIPTS_POOL_SIZE=int(os.environ.get("JSSCRIPTS_POOL_SIZE", "2")),
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.update(_jsscripts_environment())
    app.config.update(config)

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    migrate.init_app(app, db, directory=str(HERE / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    login_manager.login_message_category = "info"
    jsscripts.init_app(app, db=db)  # adds its Alembic branch and mounts its blueprint
    metrics.init_app(app)  # /metrics: the host's HTTP series plus the extension's jsscripts_*

    from .seed import seed_command
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(seed_command)
    return app


def _jsscripts_environment() -> dict[str, Any]:
    """The extension's settings from the environment (deploy/jsscripts.env): JSON values where
    they parse (numbers, booleans, lists), plain strings otherwise."""
    settings: dict[str, Any] = {}
    for key, raw in os.environ.items():
        if key in JSSCRIPTS_DEFAULTS:
            try:
                settings[key] = json.loads(raw)
            except ValueError:
                settings[key] = raw
    return settings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys for the cascades; WAL + synchronous=NORMAL because every run commits twice
    (README, Migrations)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def select_locale() -> str | None:
    """The language the switcher stored (session, else cookie), else the browser's choice."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    for chosen in (session.get(LANG_COOKIE), request.cookies.get(LANG_COOKIE)):
        if chosen in languages:
            return chosen
    return request.accept_languages.best_match(list(languages)) or "en"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
