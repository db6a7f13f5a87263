"""flask-jsscripts: one execution per (event, script, attempt).

Revision ID: jsscripts_0002
Revises: jsscripts_0001
Create Date: 2026-11-27

The event dispatcher and the reaper may both try to create an event's run after a consumer
died; this unique index makes the second attempt fail instead of running the event twice.
A unique index rather than a constraint: SQLite cannot add a constraint to an existing table.
"""

from alembic import op

revision = "jsscripts_0002"
down_revision = "jsscripts_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_jsscripts_executions_tenant_id_event_id_script_id_attempt",
        "jsscripts_executions",
        ["tenant_id", "event_id", "script_id", "attempt"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_jsscripts_executions_tenant_id_event_id_script_id_attempt",
        table_name="jsscripts_executions",
    )
