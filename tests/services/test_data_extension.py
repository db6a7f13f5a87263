"""JSScripts wiring: config, state, hooks, expose(), publish(), permissions, migrations hook."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from flask_jsscripts import permissions as perms
from flask_jsscripts.config import DEFAULTS, ConfigError
from flask_jsscripts.extension import JSScripts
from flask_jsscripts.migrations import add_version_location
from flask_jsscripts.models import OutboxEvent
from flask_jsscripts.state import JSScriptsState
from flask_jsscripts.tenancy import TenantScopeError, tenant_scope


def make(config: dict | None = None, ext: JSScripts | None = None):
    app = Flask("host")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="x", **(config or {}))
    db = SQLAlchemy(app)
    ext = ext or JSScripts()
    ext.init_app(app, db=db)
    return app, db, ext


# --- config ----------------------------------------------------------------------------------


def test_defaults_applied_and_host_values_kept():
    app, _, _ = make({"JSSCRIPTS_URL_PREFIX": "/admin/js", "JSSCRIPTS_DEFAULT_TIMEOUT": 5})
    assert app.config["JSSCRIPTS_URL_PREFIX"] == "/admin/js"
    assert app.config["JSSCRIPTS_DEFAULT_TIMEOUT"] == 5
    for key, value in DEFAULTS.items():
        if key not in ("JSSCRIPTS_URL_PREFIX", "JSSCRIPTS_DEFAULT_TIMEOUT"):
            assert app.config[key] == value
    assert app.config["JSSCRIPTS_DEFAULT_OUTPUT_BYTES"] == 1024 * 1024
    assert app.config["JSSCRIPTS_RETENTION_DAYS"] == 90
    assert app.config["JSSCRIPTS_HUEY_URL"] is None


@pytest.mark.parametrize(
    "config, fragment",
    [
        ({"JSSCRIPTS_ENABLED": "false"}, "JSSCRIPTS_ENABLED"),
        ({"JSSCRIPTS_DEFAULT_TIMEOUT": 0}, "JSSCRIPTS_DEFAULT_TIMEOUT"),
        ({"JSSCRIPTS_MAX_TIMEOUT": 301}, "JSSCRIPTS_MAX_TIMEOUT"),
        ({"JSSCRIPTS_DEFAULT_TIMEOUT": True}, "must be an integer"),
        ({"JSSCRIPTS_URL_PREFIX": "scripts/"}, "JSSCRIPTS_URL_PREFIX"),
        ({"JSSCRIPTS_HUEY_URL": "ftp://x"}, "JSSCRIPTS_HUEY_URL"),
        ({"JSSCRIPTS_DEFAULT_MEMORY_MB": 1024}, "above JSSCRIPTS_MAX_MEMORY_MB"),
        ({"JSSCRIPTS_HTTP_ALLOWED_HOSTS": "example.com"}, "list of host names"),
    ],
)
def test_invalid_config_raises_clear_error(config, fragment):
    with pytest.raises(ConfigError, match=fragment):
        make(config)


def test_all_errors_reported_at_once():
    with pytest.raises(ConfigError) as info:
        make({"JSSCRIPTS_POOL_SIZE": 0, "JSSCRIPTS_RETENTION_DAYS": "90"})
    assert "JSSCRIPTS_POOL_SIZE" in str(info.value) and "JSSCRIPTS_RETENTION_DAYS" in str(
        info.value
    )


def test_unknown_key_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="flask_jsscripts"):
        make({"JSSCRIPTS_TIMEOUT": 3})
    assert "JSSCRIPTS_TIMEOUT" in caplog.text


# --- init_app and state ----------------------------------------------------------------------


def test_state_registered_and_no_app_stored():
    app, db, ext = make()
    state = app.extensions["jsscripts"]
    assert isinstance(state, JSScriptsState) and state.db is db and state.extension is ext
    assert not hasattr(ext, "app")
    assert "jsscripts_scripts" in db.metadata.tables  # db.create_all() covers our tables


def test_constructor_form_and_errors():
    app = Flask("h")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app)
    ext = JSScripts(app, db=db)
    assert app.extensions["jsscripts"].extension is ext
    with pytest.raises(RuntimeError):
        ext.init_app(app, db=db)
    with pytest.raises(TypeError):
        JSScripts().init_app(Flask("other"))


def test_one_extension_many_apps():
    ext = JSScripts()
    app1, db1, _ = make(ext=ext)
    app2, db2, _ = make(ext=ext)
    assert app1.extensions["jsscripts"].db is db1 and app2.extensions["jsscripts"].db is db2


def test_warns_without_permission_checker(caplog):
    with caplog.at_level(logging.WARNING, logger="flask_jsscripts"):
        make()
    assert "no permission checker" in caplog.text
    caplog.clear()
    ext = JSScripts()
    ext.permission_checker(lambda user, perm: True)
    with caplog.at_level(logging.WARNING, logger="flask_jsscripts"):
        make(ext=ext)
    assert "no permission checker" not in caplog.text


def test_hooks_registered_after_init_are_seen():
    app, db, ext = make()

    @ext.tenant_loader
    def tenant():
        return "t1"

    @ext.user_loader
    def user():
        return "u1"

    state = app.extensions["jsscripts"]
    with app.app_context():
        assert state.load_tenant() == "t1" and state.load_user() == "u1"


def test_default_user_loader_without_login_manager_is_none():
    app, db, ext = make()
    with app.test_request_context():
        assert app.extensions["jsscripts"].load_user() is None


# --- expose ----------------------------------------------------------------------------------


def test_expose_names():
    ext = JSScripts()
    ext.expose("orders.find", lambda q: [])
    ext.expose("ping", lambda: "pong", permission="orders.read")

    @ext.expose("orders.count")
    def count():
        return 1

    assert set(ext._exposed) == {"orders.find", "ping", "orders.count"}
    assert ext._exposed["ping"].permission == "orders.read"
    for bad in ["", "1abc", "a..b", "a.", "a-b", "__proto__", "x.constructor", "a b", "x" * 101]:
        with pytest.raises(ValueError):
            ext.expose(bad, lambda: None)
    with pytest.raises(ValueError):
        ext.expose("orders.find", lambda: None)  # duplicate
    with pytest.raises(ValueError):
        ext.expose("orders", lambda: None)  # would clash with the orders.* namespace
    with pytest.raises(ValueError):
        ext.expose("ping.sub", lambda: None)
    with pytest.raises(TypeError):
        ext.expose("notfn", 3)


# --- publish ---------------------------------------------------------------------------------


@pytest.fixture
def published_env(app_factory):
    app, db, ext = app_factory()
    with app.app_context():
        db.create_all()
        yield app, db, ext
        db.session.remove()
        db.drop_all()


def test_publish_writes_into_callers_transaction(published_env):
    app, db, ext = published_env
    with app.test_request_context(), tenant_scope("t1"):
        row = ext.publish("order.created", {"id": 7})
        assert row in db.session.new  # not flushed, not committed
        db.session.rollback()
        assert db.session.scalars(select(OutboxEvent)).all() == []
        row = ext.publish("order.created", {"id": 8})
        db.session.commit()
        (stored,) = db.session.scalars(select(OutboxEvent)).all()
        assert (stored.tenant_id, stored.payload, stored.status) == ("t1", {"id": 8}, "pending")


def test_publish_outside_scope_uses_tenant_loader(published_env):
    app, db, ext = published_env
    ext.tenant_loader(lambda: "t2")
    with app.test_request_context():
        payload = {"n": [1, 2]}
        ext.publish("user.signed_up", payload)
        payload["n"].append(3)  # later mutation does not leak into the event
        db.session.commit()  # the host's commit, outside any tenant scope
    with app.app_context(), tenant_scope("t2"):
        (stored,) = db.session.scalars(select(OutboxEvent)).all()
        assert stored.payload == {"n": [1, 2]}


def test_publish_refusals(published_env):
    app, db, ext = published_env
    with app.test_request_context():
        with pytest.raises(TenantScopeError):
            ext.publish("order.created", {})
        with tenant_scope("t1"):
            for bad in ["", "Order.Created", "order.*", "order..x", "a b", 3]:
                with pytest.raises(ValueError):
                    ext.publish(bad, {})
            with pytest.raises(ValueError, match="JSON"):
                ext.publish("order.created", {"when": object()})
            with pytest.raises(ValueError, match="JSON"):
                ext.publish("order.created", {"x": float("nan")})
            with pytest.raises(ValueError, match="depth"):
                ext.publish("order.created", {}, depth=6)
            app.config["JSSCRIPTS_MAX_EVENT_BYTES"] = 10
            with pytest.raises(ValueError, match="MAX_EVENT_BYTES"):
                ext.publish("order.created", {"long": "x" * 20})
            app.config["JSSCRIPTS_ENABLE_EVENTS"] = False
            assert ext.publish("order.created", {}) is None
            db.session.rollback()


# --- permissions -----------------------------------------------------------------------------


class User:
    is_authenticated = True

    def __init__(self, granted=()):
        self.granted = set(granted)

    def has_permission(self, perm):
        return perm in self.granted


class Anonymous:
    is_authenticated = False

    def has_permission(self, perm):
        return True


def test_permission_constants():
    assert perms.SCRIPTS_READ == "scripts.read"
    assert {
        "scripts.read",
        "scripts.create",
        "scripts.update",
        "scripts.delete",
        "scripts.execute",
        "endpoints.manage",
    } == perms.ALL_PERMISSIONS


def test_has_permission_deny_by_default():
    app, db, ext = make()
    with app.app_context():
        # no checker configured: nothing is granted, whatever the user object says
        assert perms.has_permission(User(perms.ALL_PERMISSIONS), perms.SCRIPTS_READ) is False
    ext.permission_checker(perms.user_has_permission)
    with app.app_context():
        assert perms.has_permission(None, perms.SCRIPTS_READ) is False
        assert perms.has_permission(object(), perms.SCRIPTS_READ) is False
        assert perms.has_permission(Anonymous(), perms.SCRIPTS_READ) is False
        assert perms.has_permission(User({"scripts.read"}), perms.SCRIPTS_READ) is True
        assert perms.has_permission(User({"scripts.read"}), perms.SCRIPTS_DELETE) is False
        with pytest.raises(ValueError):
            perms.has_permission(User(), "scripts.everything")


def test_checker_comes_first_and_fails_closed(caplog):
    app, db, ext = make()
    calls = []

    @ext.permission_checker
    def check(user, perm):
        calls.append(perm)
        if perm == perms.SCRIPTS_DELETE:
            raise RuntimeError("boom")
        return perm == perms.SCRIPTS_READ

    with app.app_context():
        everything = User(perms.ALL_PERMISSIONS)  # the checker's "no" wins over the user's
        assert perms.has_permission(everything, perms.SCRIPTS_READ) is True
        assert perms.has_permission(everything, perms.SCRIPTS_UPDATE) is False
        assert perms.has_permission(everything, perms.SCRIPTS_DELETE) is False
    assert "boom" in caplog.text


def test_requires_decorator():
    app, db, ext = make()
    current = {"user": None}
    ext.user_loader(lambda: current["user"])
    ext.permission_checker(perms.user_has_permission)

    @app.route("/x")
    @perms.requires(perms.SCRIPTS_EXECUTE)
    def view():
        return "ok"

    client = app.test_client()
    assert client.get("/x").status_code == 403
    current["user"] = User({"scripts.read"})
    assert client.get("/x").status_code == 403
    current["user"] = User({"scripts.execute"})
    assert client.get("/x").status_code == 200
    with pytest.raises(ValueError):
        perms.requires("nope")


# --- migrations hook -------------------------------------------------------------------------


def test_migrate_before_extension_registers_callback_at_once():
    app = Flask("h")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app)
    migrate = Migrate(app, db)
    JSScripts(app, db=db)
    assert add_version_location in migrate.configure_callbacks
    assert "include_object" in app.extensions["migrate"].configure_args


def test_migrate_after_extension_registers_on_first_context():
    app, db, ext = make()
    migrate = Migrate(app, db)
    assert add_version_location not in migrate.configure_callbacks
    with app.app_context():
        pass
    assert migrate.configure_callbacks.count(add_version_location) == 1
    with app.app_context():
        pass
    assert migrate.configure_callbacks.count(add_version_location) == 1
