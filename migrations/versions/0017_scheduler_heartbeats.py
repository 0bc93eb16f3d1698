"""Scheduler heartbeats: when each job last ran, so `flask lxp check` can tell whether a scheduler is alive

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 13:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scheduler_heartbeats",
        sa.Column("job_id", sa.String(length=100), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_scheduler_heartbeats")),
    )


def downgrade():
    op.drop_table("scheduler_heartbeats")
