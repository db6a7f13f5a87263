"""The shipped Alembic branch inside a host's own Flask-Migrate history (SQLite + PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import Migrate
from sqlalchemy import Integer, String, inspect, text
from sqlalchemy.orm import Mapped, mapped_column

from flask_jsscripts import models
from flask_jsscripts.migrations import add_version_location, versions_path

OUR_TABLES = set(models.metadata.tables)
OUR_REVISIONS = {
    "jsscripts_0001_initial.py",
    "jsscripts_0002_event_idempotency.py",
    "jsscripts_0003_quota_usage.py",
    "jsscripts_0004_compiler.py",
}


def define_host_model(db):
    class Widget(db.Model):
        __tablename__ = "widgets"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        name: Mapped[str] = mapped_column(String(50))

    return Widget


def tables(db) -> set[str]:
    return set(inspect(db.engine).get_table_names())


def version_rows(db) -> set[str]:
    with db.engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}


def py_files(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.py")}


def test_versions_path_points_at_the_shipped_revisions():
    folder = Path(versions_path())
    assert folder.is_dir()
    assert "jsscripts_0001_initial.py" in py_files(folder)


def test_upgrade_downgrade_upgrade_without_drift(app_factory, tmp_path, restore_logging):
    mig = tmp_path / "host_migrations"

    # 1. A host with its own history, before it adopts the extension.
    host_app, host_db, _ = app_factory(with_extension=False)
    define_host_model(host_db)
    Migrate(host_app, host_db, directory=str(mig))
    with host_app.app_context():
        flask_migrate.init(str(mig))
        flask_migrate.migrate(str(mig), message="host widgets")
        flask_migrate.upgrade(str(mig))
        host_head = version_rows(host_db)
    host_files = py_files(mig / "versions")
    assert len(host_files) == 1 and len(host_head) == 1

    # 2. The same host with the extension: JSScripts before Migrate (hook installs lazily).
    app, db, _ = app_factory()
    define_host_model(db)
    Migrate(app, db, directory=str(mig))
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(str(mig))
        locations = config.get_version_locations_list()
        assert str(mig / "versions") in locations and versions_path() in locations

        flask_migrate.upgrade(str(mig), revision="heads")
        assert OUR_TABLES | {"widgets"} <= tables(db)
        assert version_rows(db) == host_head | {"jsscripts_0004"}

        flask_migrate.downgrade(str(mig), revision="jsscripts@base")
        assert not OUR_TABLES & tables(db)
        assert "widgets" in tables(db)
        assert version_rows(db) == host_head

        flask_migrate.upgrade(str(mig), revision="heads")
        assert tables(db) >= OUR_TABLES

        with db.engine.connect() as conn:
            ours_only = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, type_, parents: (
                        type_ != "table" or name in OUR_TABLES
                    ),
                },
            )
            # The models and the migrated schema agree exactly (indexes, FKs, uniques, types).
            assert compare_metadata(ours_only, models.metadata) == []
            # ...and so does the host's metadata, which carries copies of our tables.
            everything = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(everything, db.metadata) == []

        # 3. The host's autogenerate ignores the extension's tables, even when they drift.
        with db.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_jsscripts_kv_expires_at"))
        (host_rev,) = host_head
        # Flask-Migrate's env.py caches its "skip empty revisions" hook in configure_args on the
        # first in-process run, bound to that run's config; drop it so this run installs its own.
        app.extensions["migrate"].configure_args.pop("process_revision_directives", None)
        flask_migrate.migrate(str(mig), message="noop", head=host_rev)
    assert py_files(mig / "versions") == host_files
    assert "jsscripts_0001_initial.py" in py_files(Path(versions_path()))
    assert py_files(Path(versions_path())) == OUR_REVISIONS


def test_constraint_names_follow_the_convention():
    names: list[str] = []
    for table in models.metadata.sorted_tables:
        assert table.name.startswith("jsscripts_")
        assert "tenant_id" in table.c and not table.c.tenant_id.nullable
        for item in [*table.constraints, *table.indexes]:
            name = str(item.name)
            prefix = {
                "PrimaryKeyConstraint": "pk_",
                "ForeignKeyConstraint": "fk_",
                "UniqueConstraint": "uq_",
                "CheckConstraint": "ck_",
                "Index": "ix_",
            }[type(item).__name__]
            assert name.startswith(prefix + table.name), name
            assert len(name) <= 63, name
            names.append(name)
        for fk in table.foreign_keys:
            assert fk.column.table.name in OUR_TABLES  # never a host table
            assert fk.ondelete == "CASCADE"
    assert len(names) == len(set(names))


def test_tenant_first_indexes():
    system_indexes = {
        "ix_jsscripts_executions_status_deadline_at",  # reaper
        "ix_jsscripts_executions_created_at",  # retention
        "ix_jsscripts_schedules_next_run_at",  # cron claim
        "ix_jsscripts_kv_expires_at",  # kv expiry
        "ix_jsscripts_event_outbox_status_available_at",  # dispatcher
    }
    for table in models.metadata.sorted_tables:
        for index in table.indexes:
            if index.name not in system_indexes:
                assert index.columns.keys()[0] == "tenant_id", index.name
        for uq in table.constraints:
            if type(uq).__name__ == "UniqueConstraint":
                assert uq.columns.keys()[0] == "tenant_id", uq.name


def test_configure_callback_keeps_host_locations(tmp_path):
    from alembic.config import Config
    from flask import Flask

    app = Flask("x")
    app.extensions["jsscripts"] = object()
    config = Config()
    config.set_main_option("script_location", str(tmp_path / "m"))
    config.set_main_option("version_locations", f"{tmp_path}/a b")  # legacy: space-separated
    with app.app_context():
        add_version_location(config)
        add_version_location(config)  # idempotent
    assert config.get_version_locations_list() == [f"{tmp_path}/a", "b", versions_path()]
