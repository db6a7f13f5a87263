"""flask-jsscripts: record which compiler made each version's compiled form.

Revision ID: jsscripts_0004
Revises: jsscripts_0003
Create Date: 2026-12-05

Forms stored before this revision have no compiler (NULL): they are compiled again before they
next run, or all at once by ``flask jsscripts recompile``.
"""

import sqlalchemy as sa
from alembic import op

revision = "jsscripts_0004"
down_revision = "jsscripts_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jsscripts_script_versions") as batch:
        batch.add_column(sa.Column("compiler", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jsscripts_script_versions") as batch:
        batch.drop_column("compiler")
