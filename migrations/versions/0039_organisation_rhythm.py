"""Adaptive timing: each organisation's rhythm (learning events per hour of the week), stored weekly

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-04 03:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organisation_rhythms",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("organisation_id"),
    )


def downgrade():
    op.drop_table("organisation_rhythms")
