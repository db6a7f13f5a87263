"""flask-jsscripts: initial schema (independent base of the ``jsscripts`` branch).

Revision ID: jsscripts_0001
Revises:
Create Date: 2025-11-26

Written from the models, then reviewed by hand. Frozen history: it imports nothing from the
package, so later model changes cannot alter what this revision creates. Constraint and index
names follow the models' naming convention (pk_/fk_/uq_/ix_/ck_<table>_...).
"""

import sqlalchemy as sa
from alembic import op

revision = "jsscripts_0001"
down_revision = None
branch_labels = ("jsscripts",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jsscripts_event_outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("causation_execution_id", sa.String(length=36), nullable=True),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'dispatching', 'dispatched', 'failed', 'refused')",
            name="ck_jsscripts_event_outbox_status",
        ),
        sa.CheckConstraint("depth >= 0", name="ck_jsscripts_event_outbox_depth"),
        sa.PrimaryKeyConstraint("id", name="pk_jsscripts_event_outbox"),
    )
    op.create_index(
        "ix_jsscripts_event_outbox_status_available_at",
        "jsscripts_event_outbox",
        ["status", "available_at"],
        unique=False,
    )
    op.create_index(
        "ix_jsscripts_event_outbox_tenant_id_created_at",
        "jsscripts_event_outbox",
        ["tenant_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "jsscripts_scripts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("limits", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'paused', 'disabled', 'archived')",
            name="ck_jsscripts_scripts_status",
        ),
        sa.CheckConstraint(
            "type IN ('manual', 'scheduled', 'http', 'event')", name="ck_jsscripts_scripts_type"
        ),
        sa.CheckConstraint("current_version >= 0", name="ck_jsscripts_scripts_current_version"),
        sa.PrimaryKeyConstraint("id", name="pk_jsscripts_scripts"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_jsscripts_scripts_tenant_id_id"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_jsscripts_scripts_tenant_id_name"),
    )
    op.create_index(
        "ix_jsscripts_scripts_tenant_id_status_type",
        "jsscripts_scripts",
        ["tenant_id", "status", "type"],
        unique=False,
    )
    op.create_index(
        "ix_jsscripts_scripts_tenant_id_updated_at",
        "jsscripts_scripts",
        ["tenant_id", "updated_at"],
        unique=False,
    )
    op.create_table(
        "jsscripts_dead_letters",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("script_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("event_type", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "script_id"],
            ["jsscripts_scripts.tenant_id", "jsscripts_scripts.id"],
            name="fk_jsscripts_dead_letters_jsscripts_scripts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_jsscripts_dead_letters"),
    )
    op.create_index(
        "ix_jsscripts_dead_letters_tenant_id_created_at",
        "jsscripts_dead_letters",
        ["tenant_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_jsscripts_dead_letters_tenant_id_script_id",
        "jsscripts_dead_letters",
        ["tenant_id", "script_id"],
        unique=False,
    )
    op.create_table(
        "jsscripts_event_subscriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("script_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("filter", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "script_id"],
            ["jsscripts_scripts.tenant_id", "jsscripts_scripts.id"],
            name="fk_jsscripts_event_subscriptions_jsscripts_scripts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_jsscripts_event_subscriptions"),
        sa.UniqueConstraint(
            "tenant_id",
            "script_id",
            "event_type",
            name="uq_jsscripts_event_subscriptions_tenant_id_script_id_event_type",
        ),
    )
    op.create_index(
        "ix_jsscripts_event_subscriptions_tenant_id_event_type",
        "jsscripts_event_subscriptions",
        ["tenant_id", "event_type"],
        unique=False,
    )
    op.create_table(
        "jsscripts_executions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("script_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("input", sa.JSON(), nullable=True),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("console", sa.JSON(), nullable=False),
        sa.Column("logs", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'completed', 'failed', 'timeout', 'cancelled')",
            name="ck_jsscripts_executions_status",
        ),
        sa.CheckConstraint(
            "trigger IN ('manual', 'cron', 'http', 'event', 'api')",
            name="ck_jsscripts_executions_trigger",
        ),
        sa.CheckConstraint("attempt >= 1", name="ck_jsscripts_executions_attempt"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "script_id"],
            ["jsscripts_scripts.tenant_id", "jsscripts_scripts.id"],
            name="fk_jsscripts_executions_jsscripts_scripts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_jsscripts_executions"),
    )
    op.create_index(
        "ix_jsscripts_executions_created_at", "jsscripts_executions", ["created_at"], unique=False
    )
    op.create_index(
        "ix_jsscripts_executions_status_deadline_at",
        "jsscripts_executions",
        ["status", "deadline_at"],
        unique=False,
    )
    op.create_index(
        "ix_jsscripts_executions_tenant_id_script_id_created_at",
        "jsscripts_executions",
        ["tenant_id", "script_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_jsscripts_executions_tenant_id_status_created_at",
        "jsscripts_executions",
        ["tenant_id", "status", "created_at"],
        unique=False,
    )
    op.create_table(
        "jsscripts_http_endpoints",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("script_id", sa.String(length=36), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("methods", sa.JSON(), nullable=False),
        sa.Column("auth_mode", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=True),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "auth_mode IN ('session', 'token', 'public')",
            name="ck_jsscripts_http_endpoints_auth_mode",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "script_id"],
            ["jsscripts_scripts.tenant_id", "jsscripts_scripts.id"],
            name="fk_jsscripts_http_endpoints_jsscripts_scripts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_jsscripts_http_endpoints"),
        sa.UniqueConstraint("tenant_id", "path", name="uq_jsscripts_http_endpoints_tenant_id_path"),
    )
    op.create_index(
        "ix_jsscripts_http_endpoints_tenant_id_script_id",
        "jsscripts_http_endpoints",
        ["tenant_id", "script_id"],
        unique=False,
    )
    op.create_table(
        "jsscripts_kv",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("script_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "script_id"],
            ["jsscripts_scripts.tenant_id", "jsscripts_scripts.id"],
            name="fk_jsscripts_kv_jsscripts_scripts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_jsscripts_kv"),
        sa.UniqueConstraint(
            "tenant_id", "script_id", "key", name="uq_jsscripts_kv_tenant_id_script_id_key"
        ),
    )
    op.create_index("ix_jsscripts_kv_expires_at", "jsscripts_kv", ["expires_at"], unique=False)
    op.create_table(
        "jsscripts_schedules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("script_id", sa.String(length=36), nullable=False),
        sa.Column("cron", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("running_execution_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "script_id"],
            ["jsscripts_scripts.tenant_id", "jsscripts_scripts.id"],
            name="fk_jsscripts_schedules_jsscripts_scripts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_jsscripts_schedules"),
        sa.UniqueConstraint(
            "tenant_id", "script_id", name="uq_jsscripts_schedules_tenant_id_script_id"
        ),
    )
    op.create_index(
        "ix_jsscripts_schedules_next_run_at", "jsscripts_schedules", ["next_run_at"], unique=False
    )
    op.create_table(
        "jsscripts_script_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("script_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("compiled", sa.Text(), nullable=True),
        sa.Column("compile_hash", sa.String(length=64), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("number >= 1", name="ck_jsscripts_script_versions_number"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "script_id"],
            ["jsscripts_scripts.tenant_id", "jsscripts_scripts.id"],
            name="fk_jsscripts_script_versions_jsscripts_scripts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_jsscripts_script_versions"),
        sa.UniqueConstraint(
            "tenant_id",
            "script_id",
            "number",
            name="uq_jsscripts_script_versions_tenant_id_script_id_number",
        ),
    )


def downgrade() -> None:
    op.drop_table("jsscripts_script_versions")
    op.drop_index("ix_jsscripts_schedules_next_run_at", table_name="jsscripts_schedules")
    op.drop_table("jsscripts_schedules")
    op.drop_index("ix_jsscripts_kv_expires_at", table_name="jsscripts_kv")
    op.drop_table("jsscripts_kv")
    op.drop_index(
        "ix_jsscripts_http_endpoints_tenant_id_script_id", table_name="jsscripts_http_endpoints"
    )
    op.drop_table("jsscripts_http_endpoints")
    op.drop_index(
        "ix_jsscripts_executions_tenant_id_status_created_at", table_name="jsscripts_executions"
    )
    op.drop_index(
        "ix_jsscripts_executions_tenant_id_script_id_created_at", table_name="jsscripts_executions"
    )
    op.drop_index("ix_jsscripts_executions_status_deadline_at", table_name="jsscripts_executions")
    op.drop_index("ix_jsscripts_executions_created_at", table_name="jsscripts_executions")
    op.drop_table("jsscripts_executions")
    op.drop_index(
        "ix_jsscripts_event_subscriptions_tenant_id_event_type",
        table_name="jsscripts_event_subscriptions",
    )
    op.drop_table("jsscripts_event_subscriptions")
    op.drop_index(
        "ix_jsscripts_dead_letters_tenant_id_script_id", table_name="jsscripts_dead_letters"
    )
    op.drop_index(
        "ix_jsscripts_dead_letters_tenant_id_created_at", table_name="jsscripts_dead_letters"
    )
    op.drop_table("jsscripts_dead_letters")
    op.drop_index("ix_jsscripts_scripts_tenant_id_updated_at", table_name="jsscripts_scripts")
    op.drop_index("ix_jsscripts_scripts_tenant_id_status_type", table_name="jsscripts_scripts")
    op.drop_table("jsscripts_scripts")
    op.drop_index(
        "ix_jsscripts_event_outbox_tenant_id_created_at", table_name="jsscripts_event_outbox"
    )
    op.drop_index(
        "ix_jsscripts_event_outbox_status_available_at", table_name="jsscripts_event_outbox"
    )
    op.drop_table("jsscripts_event_outbox")
