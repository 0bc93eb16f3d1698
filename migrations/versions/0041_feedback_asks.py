"""Spaces: a post may be its author's request for feedback on the work they shared

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-04 03:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("space_posts") as batch:
        batch.add_column(sa.Column("asks_feedback_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("space_posts") as batch:
        batch.drop_column("asks_feedback_at")
