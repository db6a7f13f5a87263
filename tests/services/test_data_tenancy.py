"""Tenant isolation in the data layer: a row of another tenant behaves like a missing one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound

from flask_jsscripts import tenancy
from flask_jsscripts.models import (
    ALL_MODELS,
    DeadLetter,
    EventSubscription,
    Execution,
    HttpEndpoint,
    KVEntry,
    OutboxEvent,
    QuotaUsage,
    Schedule,
    Script,
    ScriptVersion,
)
from flask_jsscripts.tenancy import TenantScopeError, all_tenants, tenant_scope


def seed(session, tenant: str) -> dict[type, str]:
    """One row of every model for ``tenant``; returns {model: id}."""
    with tenant_scope(tenant):
        script = Script(name="s", source="1", type="event", status="active")
        script.versions.append(ScriptVersion(number=1, source="1", author="u"))
        script.subscriptions.append(EventSubscription(event_type="order.*", filter={"all": []}))
        script.schedule = Schedule(cron="* * * * *")
        script.endpoints.append(HttpEndpoint(path="/hello", methods=["GET"]))
        session.add(script)
        session.flush()
        children = [
            Execution(script=script, trigger="manual", input={"a": 1}),
            DeadLetter(script=script, event_id="e1", attempts=[]),
            KVEntry(script=script, key="k", value={"v": 1}),
            OutboxEvent(event_type="order.created", payload={"id": 1}),
            QuotaUsage(quota="script_publishes", window_start=0, used=1),
        ]
        session.add_all(children)
        session.commit()
        ids = {Script: script.id}
        for obj in [*script.versions, *script.subscriptions, script.schedule, *script.endpoints]:
            ids[type(obj)] = obj.id
        ids.update({type(obj): obj.id for obj in children})
        return ids


@pytest.fixture
def env(app_factory):
    app, db, ext = app_factory()
    with app.app_context():
        db.create_all()  # our tables were copied into the host's metadata by init_app
        a, b = seed(db.session, "tenant-a"), seed(db.session, "tenant-b")
        db.session.remove()
        yield app, db, a, b
        db.session.remove()
        with all_tenants():
            db.drop_all()


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_select_sees_only_own_rows(env, model):
    app, db, a, b = env
    with tenant_scope("tenant-a"):
        rows = db.session.scalars(select(model)).all()
        assert [r.id for r in rows] == [a[model]]
        assert db.session.scalar(select(func.count()).select_from(model)) == 1
        assert db.session.scalars(select(model).where(model.id == b[model])).all() == []
    with tenant_scope("tenant-b"):
        assert [r.id for r in db.session.scalars(select(model))] == [b[model]]


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_get_of_foreign_row_is_missing(env, model):
    app, db, a, b = env
    with tenant_scope("tenant-a"):
        assert db.session.get(model, b[model]) is None  # SQL path: loader criteria
        assert tenancy.get(db.session, model, b[model]) is None
        assert tenancy.get(db.session, model, a[model]).id == a[model]
        with pytest.raises(NotFound):
            tenancy.get_or_404(model, b[model])
        with pytest.raises(NotFound):
            tenancy.get_or_404(model, "no-such-id")
    # Identity-map path: the foreign row is already in the session, get() still hides it.
    with all_tenants():
        foreign = db.session.get(model, b[model])
        assert foreign is not None
    with tenant_scope("tenant-a"):
        assert tenancy.get(db.session, model, b[model]) is None


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_bulk_update_and_delete_of_foreign_row_touch_nothing(env, model):
    app, db, a, b = env
    with tenant_scope("tenant-a"):
        res = db.session.execute(
            update(model).where(model.id == b[model]).values(tenant_id="tenant-a")
        )
        assert res.rowcount == 0
        res = db.session.execute(delete(model).where(model.id == b[model]))
        assert res.rowcount == 0
        db.session.commit()
    with tenant_scope("tenant-b"):
        assert db.session.get(model, b[model]) is not None


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_orm_update_or_delete_of_foreign_object_refused(env, model):
    app, db, a, b = env
    with all_tenants():
        foreign = db.session.get(model, b[model])
    with tenant_scope("tenant-a"):
        db.session.delete(foreign)
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_unscoped_queries_raise(env, model):
    app, db, a, b = env
    with pytest.raises(TenantScopeError):
        db.session.scalars(select(model)).all()
    with pytest.raises(TenantScopeError):
        db.session.get(model, a[model])
    with pytest.raises(TenantScopeError):
        db.session.execute(update(model).values(tenant_id="x"))
    with pytest.raises(TenantScopeError):
        db.session.execute(delete(model))


def test_unscoped_subquery_raises(env):
    app, db, a, b = env
    from sqlalchemy import literal

    stmt = select(literal(1)).where(select(Script.id).exists())
    with pytest.raises(TenantScopeError):
        db.session.execute(stmt)


def test_joins_and_relationships_are_scoped(env):
    app, db, a, b = env
    with tenant_scope("tenant-a"):
        rows = db.session.execute(select(Execution.id, Script.id).join(Script)).all()
        assert rows == [(a[Execution], a[Script])]
        script = db.session.get(Script, a[Script])
        assert [v.id for v in script.versions] == [a[ScriptVersion]]
        assert [e.id for e in db.session.scalars(script.executions.select())] == [a[Execution]]


def test_all_tenants_sees_everything(env):
    app, db, a, b = env
    with all_tenants():
        for model in ALL_MODELS:
            assert {r.id for r in db.session.scalars(select(model))} == {a[model], b[model]}
        with tenant_scope("tenant-b"):  # a system job may narrow down to one tenant
            assert [s.id for s in db.session.scalars(select(Script))] == [b[Script]]


def test_writes_are_stamped_and_checked(env):
    app, db, a, b = env
    with tenant_scope("tenant-a"):
        s = Script(name="new")
        db.session.add(s)
        db.session.flush()
        assert s.tenant_id == "tenant-a"
        db.session.add(Script(name="other", tenant_id="tenant-b"))
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()
        s = db.session.get(Script, a[Script])
        s.tenant_id = "tenant-b"
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(TenantScopeError):
            db.session.execute(insert(Script), [{"name": "bulk", "tenant_id": "tenant-b"}])
        db.session.execute(insert(Script), [{"id": "bulk-1", "name": "bulk"}])
        assert db.session.get(Script, "bulk-1").tenant_id == "tenant-a"
        db.session.rollback()
    db.session.add(Script(name="nobody", tenant_id="tenant-a"))
    with pytest.raises(TenantScopeError):
        db.session.flush()
    db.session.rollback()


def test_database_refuses_child_pointing_at_foreign_script(env):
    app, db, a, b = env
    with tenant_scope("tenant-a"):
        db.session.add(Execution(script_id=b[Script], trigger="api"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_deleting_a_script_cascades(env):
    app, db, a, b = env
    with tenant_scope("tenant-a"):
        db.session.delete(db.session.get(Script, a[Script]))
        db.session.commit()
    with all_tenants():
        for model in ALL_MODELS:
            ids = {r.id for r in db.session.scalars(select(model))}
            if model in (OutboxEvent, QuotaUsage):  # not owned by a script
                assert ids == {a[model], b[model]}
            else:
                assert ids == {b[model]}, model


def test_versions_are_immutable_except_compile_cache(env):
    app, db, a, b = env
    with tenant_scope("tenant-a"):
        v = db.session.get(ScriptVersion, a[ScriptVersion])
        v.compiled, v.compile_hash = "compiled", "h" * 64
        db.session.commit()
        v.source = "changed"
        with pytest.raises(ValueError, match="immutable"):
            db.session.flush()
        db.session.rollback()


def test_timestamps_are_aware_utc(env):
    app, db, a, b = env
    with tenant_scope("tenant-a"):
        e = db.session.get(Execution, a[Execution])
        e.deadline_at = datetime(2030, 1, 1, 12, tzinfo=UTC) + timedelta(hours=0)
        db.session.commit()
        db.session.expire_all()
        e = db.session.get(Execution, a[Execution])
        assert e.created_at.tzinfo is not None and e.created_at.utcoffset() == timedelta(0)
        assert e.deadline_at == datetime(2030, 1, 1, 12, tzinfo=UTC)
        e.deadline_at = datetime(2030, 1, 1)  # naive: refused
        with pytest.raises(Exception, match="naive"):
            db.session.flush()
        db.session.rollback()


def test_invalid_choices_rejected():
    with pytest.raises(ValueError):
        Script(name="x", status="running")
    with pytest.raises(ValueError):
        Execution(trigger="webhook")
    with pytest.raises(ValueError):
        HttpEndpoint(auth_mode="none")


def test_tenant_scope_validates_and_nests():
    with pytest.raises(TenantScopeError), tenant_scope(""):
        pass
    assert tenancy.current_tenant() is None
    with tenant_scope("a"):
        with tenant_scope("b"):
            assert tenancy.current_tenant() == "b"
        assert tenancy.current_tenant() == "a"
    with pytest.raises(TenantScopeError):
        tenancy.require_tenant()


def test_tenant_bound_statements_must_name_the_tenant():
    runs = Execution.__table__
    with pytest.raises(TenantScopeError, match="tenancy.TENANT"):
        tenancy.tenant_bound(update(runs).where(runs.c.id == "x").values(status="failed"))
    bound = tenancy.tenant_bound(
        update(runs).where(runs.c.tenant_id == tenancy.TENANT).values(status="failed")
    )
    assert bound is not None


def test_tenant_bound_statements_see_only_the_current_tenant(env):
    """The run hot path's Core statements (executions.py) go round the ORM listener: the
    tenant comes from the scope, and a row of another tenant is out of reach."""
    app, db, a, b = env
    runs = Execution.__table__
    by_id = (runs.c.tenant_id == tenancy.TENANT, runs.c.id == bindparam("run_id"))
    read = tenancy.tenant_bound(select(runs.c.id).where(*by_id))
    write = tenancy.tenant_bound(update(runs).where(*by_id).values(status="failed"))
    with tenant_scope("tenant-a"):
        own, foreign = {"run_id": a[Execution]}, {"run_id": b[Execution]}
        assert tenancy.execute_bound(db.session, read, own).scalar() == a[Execution]
        assert tenancy.execute_bound(db.session, read, foreign).first() is None
        assert tenancy.execute_bound(db.session, write, foreign).rowcount == 0
        db.session.commit()
    with tenant_scope("tenant-b"):
        assert db.session.get(Execution, b[Execution]).status == "pending"
    with pytest.raises(TenantScopeError):
        tenancy.execute_bound(db.session, read, own)
    with all_tenants(), pytest.raises(TenantScopeError):  # system jobs name their tenant
        tenancy.execute_bound(db.session, read, own)
