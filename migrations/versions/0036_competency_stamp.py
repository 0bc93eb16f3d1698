"""Organisations: a stamp set afresh whenever one of their competencies changes, so each process
can keep their competency names until then

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03 22:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade():
    # Empty until the first change: no process caches names under an empty stamp.
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("competency_stamp", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("competency_stamp")
