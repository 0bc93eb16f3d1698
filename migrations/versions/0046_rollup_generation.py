"""Rollups: the mark's generation, set afresh by a rebuild and before retention deletes rolled-up
events, so a process may bring the journey map's kept figures forward across plain roll-ups

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-04 21:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None


def upgrade():
    # Empty on the existing row until the first rebuild or purge: processes compare it, nothing more.
    with op.batch_alter_table("insight_rollup_marks") as batch:
        batch.add_column(sa.Column("generation", sa.Uuid(), nullable=True))


def downgrade():
    with op.batch_alter_table("insight_rollup_marks") as batch:
        batch.drop_column("generation")
