"""Retention: each organisation's limits for inactive accounts and raw events, and warnings sent

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 16:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "retention_policies",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("inactive_months", sa.Integer(), nullable=True),
        sa.Column("event_months", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    op.create_table(
        "retention_warnings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade():
    op.drop_table("retention_warnings")
    op.drop_table("retention_policies")
