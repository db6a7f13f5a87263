"""flask-jsscripts: per-tenant quota counters (events published by scripts per minute).

Revision ID: jsscripts_0003
Revises: jsscripts_0002
Create Date: 2026-12-04

One row per tenant and quota, updated in place by a conditional upsert, so that every web
process and consumer sharing the database counts against the same number.
"""

import sqlalchemy as sa
from alembic import op

revision = "jsscripts_0003"
down_revision = "jsscripts_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jsscripts_quota_usage",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("quota", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.CheckConstraint("used >= 0", name="ck_jsscripts_quota_usage_used"),
        sa.PrimaryKeyConstraint("id", name="pk_jsscripts_quota_usage"),
        sa.UniqueConstraint("tenant_id", "quota", name="uq_jsscripts_quota_usage_tenant_id_quota"),
    )


def downgrade() -> None:
    op.drop_table("jsscripts_quota_usage")
