"""Journeys: remember when a plan could not be rebuilt, so the next read or tick rebuilds it

A completion (or any other learning event) is the primary write; replanning is derived from it.
When replanning fails, the event still commits and the journey is marked stale here instead.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("journeys") as batch_op:
        batch_op.add_column(sa.Column("plan_stale_since", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("journeys") as batch_op:
        batch_op.drop_column("plan_stale_since")
