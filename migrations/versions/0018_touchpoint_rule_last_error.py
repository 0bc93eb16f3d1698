"""Touchpoint rules: remember why a course's rule failed at its last planning run

The planning tick isolates each course's rule; one that fails is skipped, and its admin page
says when and why until a later run succeeds.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 13:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("touchpoint_rules") as batch_op:
        batch_op.add_column(sa.Column("last_error", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("touchpoint_rules") as batch_op:
        batch_op.drop_column("last_error_at")
        batch_op.drop_column("last_error")
