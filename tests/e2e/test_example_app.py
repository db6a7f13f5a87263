"""The example host admin (``example_app``): migrations, seed, login, language, wiring.

SQLite in a temporary instance folder; the schema comes from ``flask db upgrade heads`` (the
host's own history plus the extension's branch), exactly as ``./dev example`` builds it.
"""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import inspect, select, text

pytest.importorskip("flask_login", reason="the example app needs Flask-Login")

from example_app.app import create_app  # noqa: E402
from example_app.extensions import db, jsscripts  # noqa: E402
from example_app.models import Order, Tenant, User  # noqa: E402
from example_app.seed import SAMPLE_SCRIPTS, USERS  # noqa: E402
from flask_jsscripts import permissions, tenancy  # noqa: E402
from flask_jsscripts.models import OutboxEvent, Script  # noqa: E402

EVERY_PERMISSION = sorted(permissions.ALL_PERMISSIONS)


def make_app(instance, **config):
    settings = {
        "INSTANCE_PATH": str(instance),
        # explicit, so a DATABASE_URL in the environment (PostgreSQL tests) is not picked up
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/example.db",
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "JSSCRIPTS_POOL_SIZE": 1,
    }
    settings.update(config)
    return create_app(settings)


def cli(app, *args):
    """Run a ``flask`` command; Alembic's env.py reconfigures logging, so restore it after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        result = app.test_cli_runner().invoke(args=list(args))
    finally:
        root.handlers[:], root.level = handlers, level
        for logger in logging.Logger.manager.loggerDict.values():
            if isinstance(logger, logging.Logger):
                logger.disabled = False
    assert result.exit_code == 0, (result.output, result.exception)
    return result


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    app = make_app(instance)
    cli(app, "db", "upgrade", "heads")
    cli(app, "seed")
    yield app
    app.extensions["jsscripts"].close_runtime(0)
    with app.app_context():
        db.engine.dispose()


def client_as(app, email, password="demo"):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.text
    return client


def user(email) -> User:
    return db.session.scalar(select(User).where(User.email == email))


# --- database ------------------------------------------------------------------------------


def test_upgrade_heads_creates_the_hosts_and_the_extensions_tables(tmp_path):
    app = make_app(tmp_path)
    cli(app, "db", "upgrade", "heads")
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        heads = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
        fk = db.session.execute(text("PRAGMA foreign_keys")).scalar()
        journal = db.session.execute(text("PRAGMA journal_mode")).scalar()
        db.engine.dispose()
    assert {"tenants", "users", "orders"} <= tables
    assert {"jsscripts_scripts", "jsscripts_executions", "jsscripts_event_outbox"} <= tables
    assert heads == {"example_0001", "jsscripts_0004"}
    assert (fk, journal) == (1, "wal")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/example.db"


def test_default_database_is_an_absolute_path_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/example.db"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:////")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/other.db")
    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{tmp_path}/other.db"
    )


def test_seed_is_idempotent(app):
    def counts():
        with app.app_context(), tenancy.all_tenants():
            return {
                model.__name__: db.session.scalar(select(db.func.count()).select_from(model))
                for model in (Tenant, User, Order, Script)
            }

    before = counts()
    result = cli(app, "seed")
    assert "created 0 tenants, 0 users, 0 orders, 0 scripts" in result.output
    assert counts() == before
    assert before["Tenant"] == 2 and before["User"] == 4
    assert before["Script"] == 2 * len(SAMPLE_SCRIPTS)
    with app.app_context(), tenancy.tenant_scope("acme"):
        kinds = {s.type for s in db.session.scalars(select(Script))}
    assert kinds == {"manual", "scheduled", "http", "event"}


# --- login, CSRF, language -----------------------------------------------------------------


@pytest.mark.parametrize("email", [u[0] for u in USERS])
def test_demo_users_can_sign_in(app, email):
    client = client_as(app, email)
    page = client.get("/admin/")
    assert page.status_code == 200
    assert email in page.text
    assert client.post("/logout").status_code == 302
    assert client.get("/admin/").status_code == 302


def test_wrong_password_is_a_form_error(app):
    client = app.test_client()
    response = client.post("/login", data={"email": "admin@acme.test", "password": "nope"})
    assert response.status_code == 400
    assert "Wrong email or password." in response.text
    assert client.get("/admin/").headers["Location"].startswith("/login")
    unknown = client.post("/login", data={"email": "ghost@acme.test", "password": "demo"})
    assert unknown.status_code == 400


def test_admin_pages_need_a_login(app):
    client = app.test_client()
    for path in ("/admin/", "/admin/orders"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_csrf_is_enforced(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        response = client.post("/login", data={"email": "admin@acme.test", "password": "demo"})
        assert response.status_code == 400
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(
            "/login", data={"email": "admin@acme.test", "password": "demo", "csrf_token": token}
        )
        assert response.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_login_does_not_redirect_off_site(app):
    client = app.test_client()
    response = client.post(
        "/login?next=https://evil.test/", data={"email": "admin@acme.test", "password": "demo"}
    )
    assert response.headers["Location"] == "/admin/"


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.text).group(1)


def test_language_switcher_sets_the_locale(app):
    client = app.test_client()
    assert html_lang(client.get("/login")) == "en"
    response = client.post("/lang", data={"lang": "ru", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert html_lang(client.get("/login")) == "ru"
    client.post("/lang", data={"lang": "uz"})
    assert html_lang(client.get("/login")) == "uz"
    client.post("/lang", data={"lang": "xx"})  # unknown: ignored
    assert html_lang(client.get("/login")) == "uz"


def test_locale_falls_back_to_accept_language(app):
    client = app.test_client()
    response = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert html_lang(response) == "ru"
    assert html_lang(client.get("/login", headers={"Accept-Language": "de"})) == "en"


# --- wiring to the extension ---------------------------------------------------------------


@pytest.mark.parametrize(
    "email, granted",
    [
        ("admin@acme.test", EVERY_PERMISSION),
        ("dev@acme.test", ["scripts.create", "scripts.execute", "scripts.read", "scripts.update"]),
        ("viewer@acme.test", ["scripts.read"]),
    ],
)
def test_roles_map_onto_the_extensions_permissions(app, email, granted):
    with app.app_context():
        someone = user(email)
        assert [p for p in EVERY_PERMISSION if permissions.has_permission(someone, p)] == granted
        assert not any(permissions.has_permission(None, p) for p in EVERY_PERMISSION)


def test_tenant_loader_answers_the_signed_in_users_tenant(app):
    client = client_as(app, "admin@globex.test")
    with client:
        client.get("/admin/")
        assert app.extensions["jsscripts"].load_tenant() == "globex"
    with app.test_request_context():
        assert app.extensions["jsscripts"].load_tenant() is None


def test_host_function_returns_only_the_current_tenants_orders(app):
    with app.app_context():
        for slug in ("acme", "globex"):
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
            mine = db.session.scalars(select(Order).where(Order.tenant_id == tenant.id)).all()
            execution = jsscripts.run("Order summary", tenant_id=slug, user=user("admin@acme.test"))
            assert execution.status == "completed", execution.error
            out = execution.output
            assert out["tenant"] == slug
            assert out["count"] == len(mine)
            assert sorted(out["customers"]) == sorted({o.customer for o in mine})
            assert any(entry["message"].startswith("summarised") for entry in execution.logs)

        # orders.get of another tenant's order looks missing
        globex = db.session.scalar(select(Tenant).where(Tenant.slug == "globex"))
        foreign = db.session.scalar(select(Order.id).where(Order.tenant_id == globex.id))
        lookup = jsscripts.run("Order lookup API", {"params": {"id": foreign}}, tenant_id="acme")
        assert lookup.status == "completed", lookup.error
        assert lookup.output["status"] == 404
        own = jsscripts.run("Order lookup API", {"params": {"id": foreign}}, tenant_id="globex")
        assert own.output["status"] == 200 and own.output["body"]["id"] == foreign


def test_creating_an_order_publishes_an_outbox_event(app):
    client = client_as(app, "dev@acme.test")
    response = client.post(
        "/admin/orders", data={"customer": "Outbox Test", "total": "15.50", "status": "new"}
    )
    assert response.status_code == 302
    with app.app_context(), tenancy.tenant_scope("acme"):
        event = db.session.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "order.created")
        ).all()[-1]
        assert event.payload["customer"] == "Outbox Test"
        assert event.payload["total"] == 15.5
        assert event.actor_id == str(user("dev@acme.test").id)
        order = db.session.get(Order, event.payload["id"])
        assert order.tenant.slug == "acme"


def test_viewers_cannot_create_orders_and_bad_input_is_a_form_error(app):
    viewer = client_as(app, "viewer@acme.test")
    assert viewer.get("/admin/orders").status_code == 200
    denied = viewer.post("/admin/orders", data={"customer": "X", "total": "1", "status": "new"})
    assert denied.status_code == 403
    admin = client_as(app, "admin@acme.test")
    bad = admin.post("/admin/orders", data={"customer": "", "total": "abc", "status": "new"})
    assert bad.status_code == 400
    with app.app_context(), tenancy.tenant_scope("acme"):
        assert not db.session.scalars(
            select(OutboxEvent).where(OutboxEvent.payload["customer"].as_string() == "X")
        ).all()


def test_scripts_ui_is_mounted_inside_the_admin(app):
    if "jsscripts" not in app.blueprints:
        pytest.skip("the extension's blueprint is not registered yet")
    client = client_as(app, "admin@acme.test")
    assert client.get("/admin/scripts/").status_code == 200


def test_the_hosts_own_strings_are_translated(app):
    client = app.test_client()
    client.post("/lang", data={"lang": "ru"})
    assert "Войти" in client.get("/login").text
    client.post("/lang", data={"lang": "uz"})
    assert "Kirish" in client.get("/login").text
