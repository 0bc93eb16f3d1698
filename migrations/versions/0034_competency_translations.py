"""Competency names and descriptions in other languages

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-03 19:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    # {"de": {"name": ..., "description": ...}, ...}; the columns keep the organisation's own text.
    with op.batch_alter_table("competencies") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade():
    with op.batch_alter_table("competencies") as batch:
        batch.drop_column("translations")
